import { z } from "zod";
import type { Db } from "../db/client";
import { getPool, queryPrepared, type SqlClient } from "../db/pool";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { parseEventPayload } from "../domain/events";
import { inTransaction, json, makeTownDue, writeAudit } from "./people-writes";

// The town's event queue as people see it (SPEC.md §2 poison protection, §4.1 events and poison pages):
// pending (with retry counts and the last error), processed, poisoned, discarded — paged by `seq` — and
// the poison inbox's repairs: requeue, edit-and-requeue (re-validated), discard with a note, bulk requeue.
// Nothing is ever deleted: a discarded event keeps its row.

export const EVENT_QUEUE_STATUSES = ["pending", "processed", "poisoned", "discarded"] as const;
export type EventQueueStatus = (typeof EVENT_QUEUE_STATUSES)[number];

export const EventTypeFilterSchema = z.string().trim().min(1).max(100);

/** Edited payloads are JSON objects of bounded size (the drain re-validates them against their schema). */
export const EventPayloadEditSchema = z
  .record(z.string(), z.unknown())
  .refine((p) => JSON.stringify(p).length <= 64 * 1024, "The payload is larger than 64 KiB.");

function statusOf(e: { processedAt: Date | null; poisonedAt: Date | null; discardedAt: Date | null }): EventQueueStatus {
  if (e.discardedAt) return "discarded";
  if (e.processedAt) return "processed";
  if (e.poisonedAt) return "poisoned";
  return "pending";
}

const MAX_SEQ = 2n ** 63n - 1n;

function parseSeqCursor(cursor: string): bigint {
  const seq = /^\d{1,19}$/.test(cursor) ? BigInt(cursor) : -1n;
  if (seq < 0n || seq > MAX_SEQ) throw new DomainError("bad_request", "The page cursor is not valid; reload the list.");
  return seq;
}

type EventRow = Prisma.TownEventGetPayload<object>;

function toView(e: Omit<EventRow, "seq" | "townId"> & { seq: bigint | string }) {
  return {
    id: e.id,
    seq: e.seq.toString(),
    eventType: e.eventType,
    status: statusOf(e),
    agentId: e.agentId,
    beadId: e.beadId,
    payload: e.payload as Record<string, unknown>,
    createdAt: e.createdAt,
    processedAt: e.processedAt,
    retryCount: e.retryCount,
    lastError: e.lastError,
    poisonedAt: e.poisonedAt,
    poisonReason: e.poisonReason,
    discardedAt: e.discardedAt,
    discardedBy: e.discardedBy,
    discardNote: e.discardNote,
    requeuedAt: e.requeuedAt,
    requeuedBy: e.requeuedBy,
    requeueCount: e.requeueCount,
  };
}

/**
 * One page of the queue. Pending events come in drain order (seq ascending: what runs next is on top);
 * the other lists show the most recent first (seq descending). The cursor is the last seq of the page.
 */
export async function listEvents(
  sql: SqlClient,
  townId: string,
  input: { status: EventQueueStatus; type?: string; cursor?: string; limit: number },
) {
  const ascending = input.status === "pending";
  const seq = input.cursor ? parseSeqCursor(input.cursor).toString() : null;
  // One statement on the pool per status (the poison page polls it).
  const { rows } = await queryPrepared<SqlEventRow>(
    sql,
    `gt_events_${input.status}`,
    `SELECT event_id AS id, seq::text AS seq, event_type AS "eventType", agent_id AS "agentId", bead_id AS "beadId", payload,
            created_at AS "createdAt", processed_at AS "processedAt", retry_count AS "retryCount", last_error AS "lastError",
            poisoned_at AS "poisonedAt", poison_reason AS "poisonReason", discarded_at AS "discardedAt", discarded_by AS "discardedBy",
            discard_note AS "discardNote", requeued_at AS "requeuedAt", requeued_by AS "requeuedBy", requeue_count AS "requeueCount"
       FROM town_events
      WHERE town_id = $1 AND ${STATUS_SQL[input.status]} AND ($2::text IS NULL OR event_type = $2)
        AND ($3::bigint IS NULL OR seq ${ascending ? ">" : "<"} $3::bigint)
      ORDER BY seq ${ascending ? "ASC" : "DESC"}
      LIMIT $4`,
    [townId, input.type ?? null, seq, input.limit + 1],
  );
  const items = rows.slice(0, input.limit).map(toView);
  return { items, nextCursor: rows.length > input.limit ? items[items.length - 1].seq : null };
}

/** Which events each tab lists (every condition an index column: the pending one is the drain's own index). */
const STATUS_SQL: Record<EventQueueStatus, string> = {
  pending: "processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL",
  processed: "processed_at IS NOT NULL",
  poisoned: "poisoned_at IS NOT NULL AND processed_at IS NULL AND discarded_at IS NULL",
  discarded: "processed_at IS NULL AND discarded_at IS NOT NULL",
};

type SqlEventRow = Omit<EventRow, "seq" | "townId"> & { seq: string };

/** The processed tab counts up to this many ("1,000+"): a busy town keeps hundreds of thousands of processed
 *  events for the retention period, and counting them all on every poll of the page cost seconds under load. */
export const PROCESSED_COUNT_CAP = 1_000;

/** Counts per queue status (for the tabs), and poisoned events per type (for bulk requeue): one statement on
 *  the pg pool, each part an index scan (Prisma's count with `take` read the rows into the process: 75 ms of
 *  CPU per call on a town with many processed events). The conditions are STATUS_SQL's. */
export async function countEvents(_db: Db, townId: string, input: { type?: string }) {
  const type = input.type ?? null;
  const { rows } = await getPool().query(
    `WITH e AS NOT MATERIALIZED (SELECT * FROM town_events WHERE town_id = $1 AND ($2::text IS NULL OR event_type = $2))
     SELECT
       (SELECT count(*)::int FROM e WHERE processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL) AS pending,
       (SELECT count(*)::int FROM (SELECT 1 FROM e WHERE processed_at IS NOT NULL LIMIT $3) x) AS processed_up_to,
       (SELECT count(*)::int FROM e WHERE poisoned_at IS NOT NULL AND processed_at IS NULL AND discarded_at IS NULL) AS poisoned,
       (SELECT count(*)::int FROM e WHERE processed_at IS NULL AND discarded_at IS NOT NULL) AS discarded,
       (SELECT coalesce(json_object_agg(event_type, n), '{}') FROM (
          SELECT event_type, count(*)::int AS n FROM e WHERE poisoned_at IS NOT NULL AND processed_at IS NULL AND discarded_at IS NULL GROUP BY event_type
        ) p) AS poisoned_by_type`,
    [townId, type, PROCESSED_COUNT_CAP + 1],
  );
  const r = rows[0] as { pending: number; processed_up_to: number; poisoned: number; discarded: number; poisoned_by_type: Record<string, number> };
  return {
    pending: r.pending,
    processed: Math.min(r.processed_up_to, PROCESSED_COUNT_CAP),
    /** true: there are more processed events than `processed` says */
    processedMore: r.processed_up_to > PROCESSED_COUNT_CAP,
    poisoned: r.poisoned,
    discarded: r.discarded,
    poisonedByType: r.poisoned_by_type,
  };
}

export async function getEventOrThrow(db: Db, townId: string, eventId: string) {
  const row = await db.townEvent.findFirst({ where: { id: eventId, townId } });
  if (!row) throw new DomainError("not_found", "Event not found in this town.");
  return toView(row);
}

const POISONED_NOW = { poisonedAt: { not: null }, processedAt: null, discardedAt: null } satisfies Prisma.TownEventWhereInput;

function notPoisonedConflict(status: EventQueueStatus | null): DomainError {
  const now = status ? `is ${status}, not poisoned` : "is no longer poisoned";
  return new DomainError("conflict", `This event ${now} (someone may have requeued or discarded it); reload the inbox.`);
}

/** Back to pending: retry count 0, poison marks cleared, requeue stamped (compare-and-set on "still poisoned"). */
function requeueData(actorUserId: string, now: Date) {
  return {
    retryCount: 0,
    poisonedAt: null,
    poisonReason: null,
    requeuedAt: now,
    requeuedBy: actorUserId,
    requeueCount: { increment: 1 },
  } satisfies Prisma.TownEventUpdateManyMutationInput;
}

export async function requeueEvent(db: PrismaClient, townId: string, actorUserId: string, eventId: string, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const before = await tx.townEvent.findFirst({ where: { id: eventId, townId } });
    if (!before) throw new DomainError("not_found", "Event not found in this town.");
    const res = await tx.townEvent.updateMany({ where: { id: eventId, townId, ...POISONED_NOW }, data: requeueData(actorUserId, now) });
    if (res.count === 0) throw notPoisonedConflict(statusOf(before));
    await writeAudit(
      tx,
      townId,
      actorUserId,
      { action: "event.requeue", targetType: "town_event", targetId: eventId, detail: { event_type: before.eventType, poison_reason: before.poisonReason, last_error: before.lastError } },
      now,
    );
    await makeTownDue(tx, townId, now);
    return toView(await tx.townEvent.findUniqueOrThrow({ where: { id: eventId } }));
  });
}

/** Replace the payload and requeue. The new payload must pass the event type's own schema (400 with the
 *  zod message otherwise, and nothing changes). */
export async function editAndRequeueEvent(
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: { eventId: string; payload: Record<string, unknown> },
  now = new Date(),
) {
  return inTransaction(db, async (tx) => {
    const before = await tx.townEvent.findFirst({ where: { id: input.eventId, townId } });
    if (!before) throw new DomainError("not_found", "Event not found in this town.");
    if (statusOf(before) !== "poisoned") throw notPoisonedConflict(statusOf(before));
    parseEventPayload(before.eventType, input.payload); // throws invalid_payload → 400 with the issues
    const res = await tx.townEvent.updateMany({
      where: { id: input.eventId, townId, ...POISONED_NOW },
      data: { ...requeueData(actorUserId, now), payload: json(input.payload) },
    });
    if (res.count === 0) throw notPoisonedConflict(null);
    await writeAudit(
      tx,
      townId,
      actorUserId,
      {
        action: "event.edit_requeue",
        targetType: "town_event",
        targetId: input.eventId,
        detail: { event_type: before.eventType, old_payload: before.payload, new_payload: input.payload },
      },
      now,
    );
    await makeTownDue(tx, townId, now);
    return toView(await tx.townEvent.findUniqueOrThrow({ where: { id: input.eventId } }));
  });
}

/** Set a poisoned event aside for good, with a note. The row stays (nothing is deleted silently). */
export async function discardEvent(
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: { eventId: string; note: string },
  now = new Date(),
) {
  return inTransaction(db, async (tx) => {
    const before = await tx.townEvent.findFirst({ where: { id: input.eventId, townId } });
    if (!before) throw new DomainError("not_found", "Event not found in this town.");
    const res = await tx.townEvent.updateMany({
      where: { id: input.eventId, townId, ...POISONED_NOW },
      data: { discardedAt: now, discardedBy: actorUserId, discardNote: input.note },
    });
    if (res.count === 0) throw notPoisonedConflict(statusOf(before));
    await writeAudit(
      tx,
      townId,
      actorUserId,
      { action: "event.discard", targetType: "town_event", targetId: input.eventId, detail: { event_type: before.eventType, note: input.note } },
      now,
    );
    return toView(await tx.townEvent.findUniqueOrThrow({ where: { id: input.eventId } }));
  });
}

/** Requeue every poisoned event of one type; returns how many went back to pending. */
export async function bulkRequeueEvents(db: PrismaClient, townId: string, actorUserId: string, eventType: string, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const res = await tx.townEvent.updateMany({ where: { townId, eventType, ...POISONED_NOW }, data: requeueData(actorUserId, now) });
    if (res.count > 0) {
      await writeAudit(tx, townId, actorUserId, { action: "event.bulk_requeue", targetType: "town_event", targetId: null, detail: { event_type: eventType, count: res.count } }, now);
      await makeTownDue(tx, townId, now);
    }
    return { requeued: res.count };
  });
}
