import type { Db } from "../db/client";
import type { Role } from "../api/trpc";
import { getTownOrThrow } from "./towns";

// The town overview: counts by status, tick status, poison-inbox size, notifications and recent activity.
// Everything is an aggregate or a short list, so it stays cheap at 10,000 beads.

export async function getTownOverview(db: Db, townId: string, role: Role) {
  const town = await getTownOrThrow(db, townId);
  const [byStatus, agentsByStatus, poisonedCount, pendingEventCount, notifications, activity, rigCount, lastTick] = await Promise.all([
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
    notifications,
    activity,
  };
}
