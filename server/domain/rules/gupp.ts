import { GUPP_ESCALATE_MS, GUPP_FORCE_STOP_MS, GUPP_NUDGE_DEDUPE_MS, GUPP_WARN_MS } from "../constants";
import type { NudgeTier } from "../actions";
import type { World } from "../types";
import { act } from "./build";
import type { Rule } from "./context";

export const GUPP_ESCALATE_MESSAGE =
  "You have been working for over 1 hour without completing your task. Please wrap up or report if you are stuck.";
export const GUPP_WARN_MESSAGE = "You have been idle for 15 minutes with no tool activity. Please check your progress.";

function recentNudge(world: World, agentId: string, tier: NudgeTier, now: Date): boolean {
  const source = `reconciler:${tier}`;
  return world.nudges.some(
    (n) => n.agentBeadId === agentId && n.source === source && now.getTime() - n.createdAt.getTime() < GUPP_NUDGE_DEDUPE_MS,
  );
}

/** GUPP (work on your hook must be running): measured from the last SDK activity, else the heartbeat.
 * - over 2 h: stop the agent, mark it stalled, ask for triage — once: a stalled agent is not force-stopped
 *   again (SPEC.md §3 #13);
 * - over 1 h: an `escalate` nudge and a triage request, at most one per hour;
 * - over 15 min with no tool running: a `warn` nudge, at most one per hour.
 * Skipped while draining, for the mayor, and for agents another rule already moved this tick. */
export const guppRules: Rule = function* ({ world, now, plan }) {
  if (world.draining) return;
  for (const agent of world.agents) {
    if (agent.role === "mayor" || (agent.status !== "working" && agent.status !== "stalled")) continue;
    if (plan.isMoved("agent", agent.id)) continue;
    const activity = agent.lastEventAt ?? agent.lastActivityAt;
    if (!activity || Number.isNaN(activity.getTime())) continue;
    const idleMs = now.getTime() - activity.getTime();
    if (idleMs < 0) continue; // a timestamp from the future says nothing reliable
    if (idleMs > GUPP_FORCE_STOP_MS) {
      if (agent.status === "stalled") continue;
      yield [
        act.transitionAgent("GUPP", agent.id, "working", "stalled", "GUPP force stop — no SDK activity for 2h"),
        act.stopAgent("GUPP", agent.id, "exceeded 2h GUPP limit"),
        act.createTriageRequest("GUPP", agent.id, "stuck_agent", "GUPP force stop"),
      ];
    } else if (idleMs > GUPP_ESCALATE_MS) {
      if (recentNudge(world, agent.id, "escalate", now)) continue;
      yield [
        act.sendNudge("GUPP", agent.id, "escalate", GUPP_ESCALATE_MESSAGE, "no SDK activity for over 1h"),
        act.createTriageRequest("GUPP", agent.id, "stuck_agent", "GUPP escalation"),
      ];
    } else if (idleMs > GUPP_WARN_MS) {
      if (agent.activeTools.length > 0 || recentNudge(world, agent.id, "warn", now)) continue;
      yield [act.sendNudge("GUPP", agent.id, "warn", GUPP_WARN_MESSAGE, "no SDK activity for over 15 min")];
    }
  }
};
