import { ORPHANED_SOURCE_TIMEOUT_MS, STALE_IN_PROGRESS_TIMEOUT_MS, SYSTEM_ACTOR } from "../constants";
import { isTerminal, type Bead, type Priority } from "../types";
import {
  agentsHookedTo,
  attemptsExhausted,
  hasFreshHeartbeat,
  inCooldown,
  isHeld,
  isTriageRequest,
  mrsTracking,
  olderThan,
  settingsFor,
  stagedConvoyOf,
  unresolvedBlockers,
  type WorldIndex,
} from "../world";
import { act } from "./build";
import type { Rule } from "./context";

const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Dispatch order when the concurrency cap leaves room for only some: most urgent, then oldest. */
function byUrgency(a: Bead, b: Bead): number {
  return (PRIORITY_RANK[a.priority] ?? 2) - (PRIORITY_RANK[b.priority] ?? 2) || a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id);
}

/** Not dispatchable whatever the counters say: blocked (stricter rule), in a staged convoy, or held. */
function waitingOnSomething(index: WorldIndex, bead: Bead): boolean {
  return unresolvedBlockers(index, bead.id).length > 0 || stagedConvoyOf(index, bead.id) !== null || isHeld(bead);
}

/** B2: an idle polecat hooked to an `open` bead was meant to run it: redispatch it, unless the bead has
 *  used up its attempts (fail it and free the agent), is backing off, is waiting on something, or the
 *  breaker / drain / concurrency cap says not now. Runs before B1 so hooked work gets its slot back before
 *  new work takes one. */
export const b2IdleHookedAgents: Rule = function* ({ world, index, now, breakerOpen, plan }) {
  const candidates = world.agents
    .filter((a) => a.status === "idle" && a.role === "polecat" && a.currentHookBeadId)
    .map((agent) => ({ agent, bead: index.beads.get(agent.currentHookBeadId!) }))
    .filter((c): c is { agent: typeof c.agent; bead: Bead } => !!c.bead && c.bead.status === "open")
    .sort((x, y) => byUrgency(x.bead, y.bead));
  for (const { agent, bead } of candidates) {
    const rigId = bead.rigId ?? agent.rigId;
    const settings = settingsFor(index, rigId);
    if (attemptsExhausted(bead, settings)) {
      const reason = `max dispatch attempts exceeded (${bead.dispatchAttempts})`;
      yield [act.transitionBead("B2", bead.id, null, "failed", reason), act.unhookAgent("B2", agent.id, reason)];
      continue;
    }
    if (inCooldown(bead, now)) continue;
    if (waitingOnSomething(index, bead)) continue;
    if (world.draining || breakerOpen) continue;
    if (!rigId || !plan.hasPolecatCapacity(rigId, false)) continue;
    yield [act.dispatchAgent("B2", agent.id, bead.id, rigId, "idle agent hooked to open bead")];
  }
};

/** B1: open, unassigned issue work in a rig gets a polecat — an idle unhooked polecat of the rig if there
 *  is one, else the dispatch creates one. Triage requests, held, blocked and staged beads wait; a bead out
 *  of attempts fails; a backing-off bead waits; the breaker, the drain and the concurrency cap
 *  (max_concurrent_polecats) suppress the dispatch. */
export const b1UnassignedWork: Rule = function* ({ world, index, now, breakerOpen, plan }) {
  if (world.draining) return;
  const candidates = world.beads
    .filter((b) => b.type === "issue" && b.status === "open" && !b.assigneeAgentBeadId && b.rigId && index.rigs.has(b.rigId))
    .filter((b) => !isTriageRequest(b) && !waitingOnSomething(index, b))
    .sort(byUrgency);
  for (const bead of candidates) {
    const rigId = bead.rigId!;
    const settings = settingsFor(index, rigId);
    if (attemptsExhausted(bead, settings)) {
      yield [act.transitionBead("B1", bead.id, "open", "failed", `max dispatch attempts exceeded (${bead.dispatchAttempts})`)];
      continue;
    }
    if (inCooldown(bead, now)) continue;
    if (breakerOpen) continue;
    if (!plan.hasPolecatCapacity(rigId, true)) continue;
    const reusable = world.agents
      .filter((a) => a.role === "polecat" && a.rigId === rigId && a.status === "idle" && !a.currentHookBeadId && !plan.isAgentTaken(a.id))
      .sort((x, y) => (y.lastActivityAt?.getTime() ?? 0) - (x.lastActivityAt?.getTime() ?? 0))[0];
    yield [act.dispatchAgent("B1", reusable?.id ?? null, bead.id, rigId, reusable ? "unassigned work, reusing idle polecat" : "unassigned work, new polecat")];
  }
};

/** B1b: an open issue whose assignee is not hooked to it is assigned to nobody in practice; clearing the
 *  assignee lets B1 pick it up. `system`-assigned beads and triage requests are never hookable. */
export const b1bStaleAssignee: Rule = function* ({ world, index }) {
  for (const bead of world.beads) {
    if (bead.type !== "issue" || bead.status !== "open" || !bead.assigneeAgentBeadId) continue;
    if (bead.assigneeAgentBeadId === SYSTEM_ACTOR || isTriageRequest(bead)) continue;
    const assignee = index.agents.get(bead.assigneeAgentBeadId);
    if (assignee?.currentHookBeadId === bead.id) continue;
    yield [act.clearBeadAssignee("B1b", bead.id, "assignee is not hooked to the bead")];
  }
};

/** B3: an in_progress issue untouched for 5 min with no live agent on it (working/stalled, or a heartbeat
 *  within 90 s) lost its agent: reopen it for B1, or fail it if it is out of attempts. */
export const b3LostAgent: Rule = function* ({ world, index, now }) {
  for (const bead of world.beads) {
    if (bead.type !== "issue" || bead.status !== "in_progress") continue;
    if (!olderThan(bead.updatedAt, now, STALE_IN_PROGRESS_TIMEOUT_MS)) continue;
    const alive = agentsHookedTo(index, bead.id).some((a) => a.status === "working" || a.status === "stalled" || hasFreshHeartbeat(a, now));
    if (alive) continue;
    if (attemptsExhausted(bead, settingsFor(index, bead.rigId))) {
      const reason = `agent lost and max dispatch attempts exceeded (${bead.dispatchAttempts})`;
      yield [act.transitionBead("B3", bead.id, "in_progress", "failed", reason), act.clearBeadAssignee("B3", bead.id, reason)];
    } else {
      yield [act.transitionBead("B3", bead.id, "in_progress", "open", "agent lost"), act.clearBeadAssignee("B3", bead.id, "agent lost")];
    }
  }
};

/** B4: an in_review issue whose MRs have all ended (for 5 min) missed its completion: merged → close it,
 *  every review failed → reopen it for another attempt. */
export const b4OrphanedInReview: Rule = function* ({ world, index, now }) {
  for (const bead of world.beads) {
    if (bead.type !== "issue" || bead.status !== "in_review") continue;
    if (!olderThan(bead.updatedAt, now, ORPHANED_SOURCE_TIMEOUT_MS)) continue;
    const mrs = mrsTracking(index, bead.id);
    if (mrs.length === 0 || !mrs.every((m) => isTerminal(m.bead.status))) continue;
    if (mrs.some((m) => m.bead.status === "closed")) {
      yield [act.transitionBead("B4", bead.id, "in_review", "closed", "MR merged (reconciler safety net)")];
    } else {
      yield [act.transitionBead("B4", bead.id, "in_review", "open", "all reviews failed"), act.clearBeadAssignee("B4", bead.id, "all reviews failed")];
    }
  }
};

export const beadRules: Rule = function* (ctx) {
  yield* b2IdleHookedAgents(ctx);
  yield* b1UnassignedWork(ctx);
  yield* b1bStaleAssignee(ctx);
  yield* b3LostAgent(ctx);
  yield* b4OrphanedInReview(ctx);
};
