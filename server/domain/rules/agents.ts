import { HEARTBEAT_STALE_MS } from "../constants";
import { isTerminal } from "../types";
import { olderThan } from "../world";
import { act } from "./build";
import type { Rule } from "./context";

/** A1: a `working` agent (never the mayor) must prove it is alive: no heartbeat since dispatch, a heartbeat
 *  older than 90 s, or no hook at all (gt_done already finished) sends it back to idle. Skipped while
 *  draining (the dying container stops heartbeating). */
export const a1WorkingAgentLiveness: Rule = function* ({ world, now }) {
  if (world.draining) return;
  for (const agent of world.agents) {
    if (agent.status !== "working" || agent.role === "mayor") continue;
    let reason: string | null = null;
    if (!agent.lastActivityAt) reason = "no heartbeat received since dispatch";
    else if (olderThan(agent.lastActivityAt, now, HEARTBEAT_STALE_MS)) reason = "heartbeat lost (3 missed cycles)";
    else if (!agent.currentHookBeadId) reason = "working agent has no hook (gt_done already completed)";
    if (reason) yield [act.transitionAgent("A1", agent.id, "working", "idle", reason)];
  }
};

/** A4: an idle agent hooked to a bead that is gone or terminal is holding nothing; free it. */
export const a4IdleAgentOnDeadHook: Rule = function* ({ world, index }) {
  for (const agent of world.agents) {
    if (agent.status !== "idle" || !agent.currentHookBeadId) continue;
    const bead = index.beads.get(agent.currentHookBeadId);
    const reason = !bead ? "hooked bead does not exist" : isTerminal(bead.status) ? "hooked bead is terminal" : null;
    if (!reason) continue;
    yield [act.unhookAgent("A4", agent.id, reason), act.clearAgentCheckpoint("A4", agent.id, reason)];
  }
};

export const agentRules: Rule = function* (ctx) {
  yield* a1WorkingAgentLiveness(ctx);
  yield* a4IdleAgentOnDeadHook(ctx);
};
