import { AGENT_GC_RETENTION_MS } from "../constants";
import { olderThan } from "../world";
import { act } from "./build";
import type { Rule } from "./context";

/** GC: idle (or dead) polecats and refineries without a hook and without activity for 24 h are deleted;
 *  a new one is created when work needs it. The mayor is never collected. An agent that an earlier rule
 *  picked this tick (e.g. B1 reusing it) is left alone. */
export const gcRules: Rule = function* ({ world, now, plan }) {
  for (const agent of world.agents) {
    if (agent.role === "mayor" || (agent.status !== "idle" && agent.status !== "dead")) continue;
    if (agent.currentHookBeadId || plan.isAgentTaken(agent.id)) continue;
    if (!olderThan(agent.lastActivityAt, now, AGENT_GC_RETENTION_MS)) continue;
    yield [act.deleteAgent("GC", agent.id, "GC: idle > 24h")];
  }
};
