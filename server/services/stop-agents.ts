import type { PrismaClient } from "../db/generated/client";
import type { TownConfig } from "../domain/settings";
import type { AgentRuntime } from "../adapters/agent-runtime/types";

// Deleting a town or a rig stops its running agents first (issue 5): their rows cascade away with the
// delete, and a process nobody tracks any more would keep burning credits.

export type RuntimeFor = (name: string | null | undefined) => AgentRuntime;

export async function stopAgentsOf(runtimeFor: RuntimeFor, db: PrismaClient, townId: string, reason: string, rigId?: string) {
  const settings = await db.townSettings.findUnique({ where: { townId } });
  const townRuntime = (settings?.config as TownConfig | undefined)?.agent_runtime ?? null;
  const agents = await db.agentMetadata.findMany({
    where: { townId, role: { not: "mayor" }, OR: [{ status: { in: ["working", "stalled"] } }, { pid: { not: null } }], ...(rigId ? { bead: { rigId } } : {}) },
    select: { beadId: true, runtimeName: true },
  });
  let stopped = 0;
  let failed = 0;
  await Promise.all(
    agents.map(async (a) => {
      // The runtime the agent was started on (the town may have switched since); unknown → the town's.
      let runtime: AgentRuntime;
      try {
        runtime = runtimeFor(a.runtimeName ?? townRuntime);
      } catch {
        return; // no such runtime configured: nothing of it can be running here
      }
      try {
        const res = await runtime.stop(a.beadId, reason);
        if (res.stopped) stopped++;
        else failed++;
      } catch {
        failed++;
      }
    }),
  );
  return { stopped, failed };
}
