import type { Db } from "../db/client";
import type { Role } from "../api/trpc";
import { getTownOrThrow } from "./towns";

// The town overview: counts by status, tick status, poison-inbox size, notifications and recent activity.
// Everything is an aggregate or a short list, so it stays cheap at 10,000 beads.

/** Which runtime the town's agents start on, and whether the operator configured it (SPEC.md §4.4: without
 *  one, dispatch fails cleanly and the town says "no agent runtime configured"). */
export interface RuntimeStatus {
  selected: string | null;
  configured: boolean;
  message: string | null;
}

export function runtimeStatus(selected: string | null, options: { name: string }[]): RuntimeStatus {
  const names = options.map((o) => o.name);
  if (selected) {
    return names.includes(selected)
      ? { selected, configured: true, message: null }
      : { selected, configured: false, message: `The runtime "${selected}" is not configured on this server any more; pick another in Settings.` };
  }
  if (names.includes("default")) return { selected: null, configured: true, message: null };
  return {
    selected: null,
    configured: false,
    message:
      names.length > 0
        ? "No agent runtime selected: pick one in Settings, or agents cannot start."
        : "No agent runtime configured: the operator sets GASTOWN_AGENT_COMMANDS or GASTOWN_RUNTIMES (see the README). Until then dispatches fail and back off.",
  };
}

export async function getTownOverview(db: Db, townId: string, role: Role, runtimeOptions: { name: string }[] = []) {
  const town = await getTownOrThrow(db, townId);
  const [settings, byStatus, agentsByStatus, poisonedCount, pendingEventCount, notifications, activity, rigCount, lastTick] = await Promise.all([
    db.townSettings.findUnique({ where: { townId }, select: { config: true } }),
    db.bead.groupBy({ by: ["type", "status"], where: { townId, type: { in: ["issue", "merge_request", "convoy", "escalation"] } }, _count: { _all: true } }),
    db.agentMetadata.groupBy({ by: ["status"], where: { townId }, _count: { _all: true } }),
    db.townEvent.count({ where: { townId, poisonedAt: { not: null }, discardedAt: null, processedAt: null } }),
    db.townEvent.count({ where: { townId, processedAt: null, poisonedAt: null, discardedAt: null } }),
    db.notification.findMany({ where: { townId }, orderBy: { createdAt: "desc" }, take: 10 }),
    db.beadEvent.findMany({
      where: { townId },
      orderBy: { createdAt: "desc" },
      take: 15,
      select: { id: true, beadId: true, eventType: true, oldValue: true, newValue: true, createdAt: true, bead: { select: { title: true, type: true } } },
    }),
    db.rig.count({ where: { townId } }),
    db.tick.findFirst({ where: { townId }, orderBy: { startedAt: "desc" } }),
  ]);
  const counts: Record<string, Record<string, number>> = {};
  for (const r of byStatus) (counts[r.type] ??= {})[r.status] = r._count._all;
  return {
    id: town.id,
    name: town.name,
    role,
    createdAt: town.createdAt,
    rigCount,
    counts,
    agents: Object.fromEntries(agentsByStatus.map((a) => [a.status, a._count._all])),
    tick: {
      lastTickAt: town.lastTickAt,
      nextTickAt: town.nextTickAt,
      hasActiveWork: town.hasActiveWork,
      lastMetrics: town.lastMetrics,
      breakerOpen: lastTick?.breakerOpen ?? false,
    },
    poisonedCount,
    pendingEventCount,
    runtime: runtimeStatus(((settings?.config ?? {}) as { agent_runtime?: string }).agent_runtime ?? null, runtimeOptions),
    notifications,
    activity,
  };
}
