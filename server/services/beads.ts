import { z } from "zod";
import type { Db } from "../db/client";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { queryPrepared, statementNameFor, type SqlClient } from "../db/pool";
import { explainBead } from "../domain/explain";
import { isTerminal, LabelSchema } from "../domain/types";
export { LabelSchema };
import { loadWorld } from "../tick/load-world";
import { BEAD_COLUMNS, beadFromRow, reviewFromRow } from "../tick/rows";
import type { RecordedAction } from "../tick/types";
import {
  asRecord,
  changeStatusByPerson,
  enqueueEvent,
  inTransaction,
  json,
  movedConflict,
  recountConvoysTracking,
  unhookAgentsOf,
  writeBeadEvent,
  type Tx,
} from "./people-writes";
import { getRigOrThrow } from "./rigs";
import { makeTownDue } from "./towns";

// Beads as people see them: create, list with filters and keyset pagination, get with its satellites.
// Lists never load a whole town: they page on (created_at, bead_id) with an index behind it.

export const BEAD_TYPES = ["issue", "merge_request", "convoy", "agent", "escalation", "message", "molecule"] as const;
export const BEAD_STATUSES = ["open", "in_progress", "in_review", "closed", "failed"] as const;
export const PRIORITIES = ["low", "medium", "high", "critical"] as const;
/** What the beads page shows when no type filter is set: work, not agents or mail. */
export const WORK_TYPES = ["issue", "merge_request", "convoy", "escalation"] as const;


export const BeadCreateSchema = z.strictObject({
  rigId: z.string().min(1),
  title: z.string().trim().min(1, "Give the bead a title.").max(200),
  body: z.string().max(20_000).optional(),
  priority: z.enum(PRIORITIES).default("medium"),
  labels: z.array(LabelSchema).max(20).default([]),
});
export type BeadCreate = z.infer<typeof BeadCreateSchema>;

export const BeadListFilterSchema = z.strictObject({
  rigId: z.string().min(1).optional(),
  status: z.array(z.enum(BEAD_STATUSES)).max(5).optional(),
  type: z.array(z.enum(BEAD_TYPES)).max(7).optional(),
  label: LabelSchema.optional(),
  search: z.string().trim().max(200).optional(),
});
export type BeadListFilter = z.infer<typeof BeadListFilterSchema>;

const CursorSchema = z.object({ createdAt: z.iso.datetime(), id: z.string() });

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: row.createdAt.toISOString(), id: row.id })).toString("base64url");
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const parsed = CursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { createdAt: new Date(parsed.createdAt), id: parsed.id };
  } catch {
    throw new DomainError("bad_request", "The page cursor is not valid; reload the list.");
  }
}

/** Creates an issue bead in a rig, records `bead_created` for the reconciler and makes the town due. */
export async function createBead(db: PrismaClient, townId: string, actorUserId: string, input: BeadCreate) {
  await getRigOrThrow(db, townId, input.rigId);
  return db.$transaction(async (tx) => {
    const bead = await tx.bead.create({
      data: {
        townId,
        type: "issue",
        status: "open",
        title: input.title,
        body: input.body ?? null,
        rigId: input.rigId,
        priority: input.priority,
        labels: input.labels,
        metadata: { slung_by: actorUserId },
        createdBy: actorUserId,
      },
    });
    await tx.beadEvent.create({ data: { townId, beadId: bead.id, actorUserId, eventType: "created", newValue: "open" } });
    await tx.townEvent.create({
      data: {
        townId,
        eventType: "bead_created",
        beadId: bead.id,
        payload: { bead_type: "issue", rig_id: input.rigId, has_blockers: false },
      },
    });
    await makeTownDue(tx, townId);
    return bead;
  });
}

/**
 * The list's WHERE clause as SQL with its parameters (from $1). `anyStatus` is the same filter without the
 * status condition: the counts by status use it, so the status picker can say what each choice would show.
 */
function listWhereSql(townId: string, f: BeadListFilter): { sql: string; anyStatus: string; params: unknown[] } {
  const params: unknown[] = [townId, [...(f.type?.length ? f.type : WORK_TYPES)]];
  const parts = ["b.town_id = $1", "b.type = ANY($2::text[])"];
  if (f.rigId) parts.push(`b.rig_id = $${params.push(f.rigId)}`);
  if (f.label) parts.push(`b.labels @> $${params.push(JSON.stringify([f.label]))}::jsonb`);
  if (f.search) parts.push(`b.title ILIKE '%' || $${params.push(f.search.replace(/[\\%_]/g, (c) => `\\${c}`))} || '%'`);
  const anyStatus = parts.join(" AND ");
  if (f.status?.length) parts.push(`b.status = ANY($${params.push([...f.status])}::text[])`);
  return { sql: parts.join(" AND "), anyStatus, params };
}

export type BeadStatusCounts = Record<(typeof BEAD_STATUSES)[number], number>;
type ListRow = {
  id: string;
  type: string;
  status: string;
  title: string;
  rigId: string | null;
  priority: string;
  labels: string[];
  assigneeAgentBeadId: string | null;
  dispatchAttempts: number;
  createdAt: string;
  updatedAt: string;
  rigName: string | null;
};
type ListInput = BeadListFilter & { cursor?: string; limit: number };

/**
 * A page of beads, newest first, keyset-paged on (created_at, bead_id); with `withCounts` also the beads by
 * status for the same filter. One statement on the pg pool either way (issue 7: the beads page is polled,
 * and through Prisma, or as two procedures, most of a request was overhead around ~1 ms of SQL).
 */
async function queryBeads(pool: SqlClient, townId: string, input: ListInput, withCounts: boolean) {
  const { cursor, limit, ...filter } = input;
  const where = listWhereSql(townId, filter);
  const params = [...where.params];
  let keyset = "";
  if (cursor) {
    const c = decodeCursor(cursor);
    keyset = ` AND (b.created_at, b.bead_id) < ($${params.push(c.createdAt)}::timestamptz, $${params.push(c.id)}::text)`;
  }
  const counts = withCounts
    ? `(SELECT json_object_agg(c.status, c.n) FROM (
          SELECT b.status, count(*)::int AS n FROM beads b WHERE ${where.anyStatus} GROUP BY b.status) c)`
    : "NULL::json";
  const text = `SELECT coalesce((SELECT json_agg(p ORDER BY p."createdAt" DESC, p.id DESC) FROM (
              SELECT b.bead_id AS id, b.type, b.status, b.title, b.rig_id AS "rigId", b.priority, b.labels,
                     b.assignee_agent_bead_id AS "assigneeAgentBeadId", b.dispatch_attempts AS "dispatchAttempts",
                     b.created_at AS "createdAt", b.updated_at AS "updatedAt", r.name AS "rigName"
                FROM beads b LEFT JOIN rigs r ON r.id = b.rig_id
               WHERE ${where.sql}${keyset}
               ORDER BY b.created_at DESC, b.bead_id DESC
               LIMIT $${params.push(limit + 1)}) p), '[]'::json) AS items,
            ${counts} AS counts`;
  // Prepared per filter shape (a handful in practice): the beads page asks for this on every visit and poll.
  const { rows } = await queryPrepared<{ items: ListRow[]; counts: Record<string, number> | null }>(
    pool,
    statementNameFor("gt_beads", text),
    text,
    params,
  );
  const items = rows[0].items.slice(0, limit).map((b) => ({
    ...b,
    labels: Array.isArray(b.labels) ? b.labels : [],
    createdAt: new Date(b.createdAt),
    updatedAt: new Date(b.updatedAt),
  }));
  const nextCursor = rows[0].items.length > limit ? encodeCursor(items[items.length - 1]) : null;
  const byStatus = Object.fromEntries(BEAD_STATUSES.map((s) => [s, rows[0].counts?.[s] ?? 0])) as BeadStatusCounts;
  return { items, nextCursor, counts: byStatus };
}

/** One page of beads (the rig page's "in flight" list, the API). */
export async function listBeads(pool: SqlClient, townId: string, input: ListInput) {
  const { items, nextCursor } = await queryBeads(pool, townId, input, false);
  return { items, nextCursor };
}

/** The beads page: one page and the counts by status (the filter's status aside), in one statement. */
export function beadsPage(pool: SqlClient, townId: string, input: ListInput) {
  return queryBeads(pool, townId, input, true);
}

export async function getBeadOrThrow(db: Db, townId: string, beadId: string) {
  const bead = await db.bead.findFirst({
    where: { id: beadId, townId },
    include: {
      rig: { select: { id: true, name: true, gitUrl: true } },
      review: true,
      convoy: true,
      escalation: true,
      agent: true,
      hookedBy: { select: { beadId: true, role: true, status: true, lastActivityAt: true, identity: true } },
      dependencies: { include: { dependsOn: { select: { id: true, title: true, status: true, type: true } } } },
      dependents: { include: { bead: { select: { id: true, title: true, status: true, type: true } } } },
    },
  });
  if (!bead) throw new DomainError("not_found", "Bead not found in this town.");
  const timeline = await db.beadEvent.findMany({ where: { beadId, townId }, orderBy: { createdAt: "desc" }, take: 200 });
  return { ...bead, labels: bead.labels as string[], metadata: bead.metadata as Record<string, unknown>, timeline };
}

// ------------------------------------------------------------------------------------------ people's writes

const RETRYABLE_TYPES = new Set(["issue", "merge_request"]);
/** Metadata keys a failure or the auto-merge machinery left on a bead; a retry starts without them. */
const FAILURE_KEYS = ["failureReason", "failureMessage", "failureSource", "failureKind", "last_dispatch_error"];
const MR_RESET_KEYS = ["auto_merge_pending", "poll_null_count"];

async function findBeadOrThrow(tx: Tx, townId: string, beadId: string) {
  const bead = await tx.bead.findFirst({ where: { id: beadId, townId } });
  if (!bead) throw new DomainError("not_found", "Bead not found in this town.");
  return bead;
}

/**
 * Cancel (SPEC.md §4.1 beads page): the `bead_cancelled` event `{cancel_status: failed}` goes in first, then
 * the synchronous status write, in one transaction (DOMAIN.md §3) — so the next tick unhooks the agents on
 * it and stops the ones that were working. A finished bead cannot be cancelled (CONFLICT).
 */
export async function cancelBead(db: PrismaClient, townId: string, actorUserId: string, input: { beadId: string; reason?: string }, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const bead = await findBeadOrThrow(tx, townId, input.beadId);
    if (bead.type === "agent") throw new DomainError("conflict", "Agents are not cancelled; stop, reset or delete them on the agents page.");
    if (bead.type === "convoy") throw new DomainError("conflict", "Close a convoy from its page: closing it also cancels its unfinished beads.");
    if (isTerminal(bead.status)) throw new DomainError("conflict", `This bead is already ${bead.status}; there is nothing to cancel.`);
    const reason = input.reason?.trim() || "cancelled by a person";
    await enqueueEvent(tx, townId, "bead_cancelled", { beadId: bead.id, payload: { cancel_status: "failed", reason, actor: "user" } }, now);
    await changeStatusByPerson(tx, townId, actorUserId, bead, "failed", now, { reason, failure: { code: "cancelled", message: reason } });
    await makeTownDue(tx, townId, now);
    return findBeadOrThrow(tx, townId, bead.id);
  });
}

/**
 * Retry (SPEC.md §2, §3b): the explicit, audited way out of `failed` for an issue or a merge request. The
 * bead reopens in place: `open`, no assignee (agents still hooked to it are unhooked), dispatch counters
 * zeroed, failure marks dropped. A retried MR also gets its review `retry_count` + 1 and its auto-merge
 * state cleared. Anything not failed is a CONFLICT (its status moved, or it never failed).
 */
export async function retryBead(
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: { beadId: string; only?: "merge_request" },
  now = new Date(),
) {
  return inTransaction(db, async (tx) => {
    const bead = await findBeadOrThrow(tx, townId, input.beadId);
    if (input.only && bead.type !== input.only) throw new DomainError("bad_request", "That bead is not a merge request.");
    if (!RETRYABLE_TYPES.has(bead.type)) throw new DomainError("conflict", `Only failed issues and merge requests can be retried; this is a ${bead.type}.`);
    if (bead.status !== "failed") throw new DomainError("conflict", `Only a failed bead can be retried; this one is ${bead.status}.`);
    const isMr = bead.type === "merge_request";
    const metadata = { ...asRecord(bead.metadata) };
    for (const key of [...FAILURE_KEYS, ...(isMr ? MR_RESET_KEYS : [])]) delete metadata[key];
    const res = await tx.bead.updateMany({
      where: { id: bead.id, townId, status: "failed" },
      data: {
        status: "open",
        assigneeAgentBeadId: null,
        dispatchAttempts: 0,
        lastDispatchAttemptAt: null,
        closedAt: null,
        metadata: json(metadata),
        updatedAt: now,
      },
    });
    if (res.count === 0) throw movedConflict();
    let reviewRetryCount: number | null = null;
    if (isMr) {
      await tx.reviewMetadata.updateMany({ where: { beadId: bead.id, townId }, data: { retryCount: { increment: 1 }, autoMergeReadySince: null } });
      reviewRetryCount = (await tx.reviewMetadata.findUnique({ where: { beadId: bead.id }, select: { retryCount: true } }))?.retryCount ?? null;
    }
    await unhookAgentsOf(tx, townId, actorUserId, bead.id, "bead retried", now);
    await writeBeadEvent(
      tx,
      townId,
      actorUserId,
      {
        beadId: bead.id,
        eventType: "status_changed",
        oldValue: "failed",
        newValue: "open",
        metadata: { retry: true, reason: "retried by a person", ...(reviewRetryCount !== null ? { review_retry_count: reviewRetryCount } : {}) },
      },
      now,
    );
    await recountConvoysTracking(tx, townId, bead.id);
    await makeTownDue(tx, townId, now);
    return findBeadOrThrow(tx, townId, bead.id);
  });
}

/** How many recent ticks "the last decisions about this bead" looks back through. */
export const EXPLAIN_TICK_WINDOW = 20;

/**
 * "Why is this stuck?" (SPEC.md §4.1 bead page): the domain's `explainBead` on the world the reconciler
 * would load now, plus the decisions of the last ticks whose actions targeted the bead.
 */
export async function explainBeadForPage(db: Db, pool: SqlClient, townId: string, beadId: string, now = new Date()) {
  const exists = await db.bead.findFirst({ where: { id: beadId, townId }, select: { id: true } });
  if (!exists) throw new DomainError("not_found", "Bead not found in this town.");
  const world = await loadWorld(pool, townId, now);
  if (!world.beads.some((b) => b.id === beadId)) {
    // Finished beads nobody refers to are not in the reconciler's view; add this one so the facts say why.
    const { rows } = await pool.query(`SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.bead_id = $2`, [townId, beadId]);
    if (rows[0]) world.beads.push(beadFromRow(rows[0]));
    const review = await pool.query(`SELECT * FROM review_metadata WHERE town_id = $1 AND bead_id = $2`, [townId, beadId]);
    if (review.rows[0]) world.reviews.push(reviewFromRow(review.rows[0]));
  }
  const explanation = explainBead(world, beadId, now);
  const decisions = await db.$queryRaw<{ tick_id: string; started_at: Date; action: Record<string, unknown> }[]>`
    SELECT t.tick_id, t.started_at, a.value AS action
      FROM (SELECT tick_id, started_at, actions FROM ticks WHERE town_id = ${townId}
             ORDER BY started_at DESC, tick_id DESC LIMIT ${EXPLAIN_TICK_WINDOW}) t
      CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(t.actions) = 'array' THEN t.actions ELSE '[]'::jsonb END) a
     WHERE a.value->'target'->>'id' = ${beadId}
     ORDER BY t.started_at DESC, t.tick_id DESC`;
  return {
    ...explanation,
    lastDecisions: decisions.map((d) => ({ tickId: d.tick_id, at: d.started_at, ...(d.action as object) })) as Array<
      { tickId: string; at: Date } & Partial<RecordedAction>
    >,
  };
}
