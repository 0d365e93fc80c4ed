import type { PrismaClient } from "../db/generated/client";
import { queryPrepared, type SqlClient } from "../db/pool";
import { DomainError } from "../domain/errors";
import { decodeCursor, encodeCursor } from "./beads";

// The town's notifications (SPEC.md §3b: poisonings, breaker, escalations, mayor notices): most recent
// first with the unread count; members mark them read (one, several, or all).

export interface NotificationRow {
  id: string;
  townId: string;
  kind: string;
  message: string;
  beadId: string | null;
  eventId: string | null;
  createdAt: Date;
  readAt: Date | null;
}

/**
 * A page of the town's notifications, newest first, and the unread count: one statement on the pg pool (the
 * overview polls this every 3 s, issue 15; through Prisma it was two queries and its query compiler each
 * time). The page is a LATERAL join on the count's single row, so an empty page still brings the count.
 */
export async function listNotifications(pool: SqlClient, townId: string, input: { unreadOnly: boolean; cursor?: string; limit: number }) {
  const c = input.cursor ? decodeCursor(input.cursor) : null;
  const { rows } = await queryPrepared<NotificationRow & { unreadCount: number }>(
    pool,
    "gt_notifications_page",
    `SELECT u.unread_count AS "unreadCount", n.*
       FROM (SELECT count(*)::int AS unread_count FROM notifications WHERE town_id = $1 AND read_at IS NULL) u
       LEFT JOIN LATERAL (
         SELECT notification_id AS id, town_id AS "townId", kind, message, bead_id AS "beadId", event_id AS "eventId",
                created_at AS "createdAt", read_at AS "readAt"
           FROM notifications
          WHERE town_id = $1 AND ($2::boolean IS FALSE OR read_at IS NULL)
            AND ($3::timestamptz IS NULL OR created_at < $3 OR (created_at = $3 AND notification_id < $4))
          ORDER BY created_at DESC, notification_id DESC
          LIMIT $5
       ) n ON true`,
    [townId, input.unreadOnly, c?.createdAt ?? null, c?.id ?? null, input.limit + 1],
  );
  const unreadCount = rows[0]?.unreadCount ?? 0;
  const page: NotificationRow[] = rows
    .filter((r) => r.id !== null)
    .map((r) => ({ id: r.id, townId: r.townId, kind: r.kind, message: r.message, beadId: r.beadId, eventId: r.eventId, createdAt: r.createdAt, readAt: r.readAt }));
  const items = page.slice(0, input.limit);
  return { items, unreadCount, nextCursor: page.length > input.limit ? encodeCursor(items[items.length - 1]) : null };
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
