import type { Db } from "../db/client";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { decodeCursor, encodeCursor } from "./beads";

// The town's notifications (SPEC.md §3b: poisonings, breaker, escalations, mayor notices): most recent
// first with the unread count; members mark them read (one, several, or all).

export async function listNotifications(db: Db, townId: string, input: { unreadOnly: boolean; cursor?: string; limit: number }) {
  const where: Prisma.NotificationWhereInput = { townId, ...(input.unreadOnly ? { readAt: null } : {}) };
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    where.OR = [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }];
  }
  const [rows, unreadCount] = await Promise.all([
    db.notification.findMany({ where, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: input.limit + 1 }),
    db.notification.count({ where: { townId, readAt: null } }),
  ]);
  const items = rows.slice(0, input.limit);
  return { items, unreadCount, nextCursor: rows.length > input.limit ? encodeCursor(items[items.length - 1]) : null };
}

export async function markNotificationsRead(db: PrismaClient, townId: string, input: { ids?: string[]; all?: boolean }, now = new Date()) {
  if (!input.all && !input.ids?.length) throw new DomainError("bad_request", "Say which notifications to mark read (ids), or all: true.");
  const res = await db.notification.updateMany({
    where: { townId, readAt: null, ...(input.all ? {} : { id: { in: input.ids } }) },
    data: { readAt: now },
  });
  const unreadCount = await db.notification.count({ where: { townId, readAt: null } });
  return { marked: res.count, unreadCount };
}
