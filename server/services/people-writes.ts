import { Prisma } from "../db/client";
import { asRecord, json, type TownEventInput, type Tx } from "../db/tx";
import { DomainError } from "../domain/errors";
import type { EventPayloadInput, EventType } from "../domain/events";
import { isTerminal, type BeadStatus } from "../domain/types";
import { makeTownDue } from "./towns";
import { recountConvoy as recountConvoyInRepo, recountConvoysTracking as recountConvoysTrackingInRepo, setBeadStatus } from "../domain/operations";
import { prismaTownRepo } from "../tick/pg-repo";
import { enqueueEventsInTx } from "../tick/enqueue";

// What every write made by a person shares (SPEC.md §3b "Writes from people"): its own transaction, a
// compare-and-set status write that leaves a `bead_events` row naming the person, an `audit_log` row for
// anything that is not a bead change, events validated before they are queued, and the town made due.

export { asRecord, inTransaction, json, type Tx } from "../db/tx";

export function asStringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** An `audit_log` row: who did what to which target. `detail` must never hold a secret value. */
export async function writeAudit(
  tx: Tx,
  townId: string,
  actorUserId: string,
  entry: { action: string; targetType: string; targetId: string | null; detail?: Record<string, unknown> },
  now: Date,
) {
  await tx.auditLog.create({
    data: { townId, actorUserId, action: entry.action, targetType: entry.targetType, targetId: entry.targetId, detail: json(entry.detail ?? {}), createdAt: now },
  });
}

/** A `bead_events` row written by a person (the audit timeline of bead changes). */
export async function writeBeadEvent(
  tx: Tx,
  townId: string,
  actorUserId: string,
  row: { beadId: string; eventType: string; oldValue?: string | null; newValue?: string | null; metadata?: Record<string, unknown> },
  now: Date,
) {
  await tx.beadEvent.create({
    data: {
      townId,
      beadId: row.beadId,
      actorUserId,
      eventType: row.eventType,
      oldValue: row.oldValue ?? null,
      newValue: row.newValue ?? null,
      metadata: json({ actor: "user", ...(row.metadata ?? {}) }),
      createdAt: now,
    },
  });
}

/** Queues a fact for the reconciler through the one enqueue path (tick/enqueue.ts: payload checked against
 *  its event schema, the town made due). */
export async function enqueueEvent<T extends EventType>(
  tx: Tx,
  townId: string,
  type: T,
  fields: { beadId?: string | null; agentId?: string | null; payload: EventPayloadInput<T> },
  now: Date,
): Promise<string> {
  const [id] = await enqueueEventsInTx(tx, townId, [{ eventType: type, beadId: fields.beadId, agentId: fields.agentId, payload: fields.payload as Record<string, unknown> }], now);
  return id;
}

/** Several facts of one change in one statement (a convoy's `bead_created`s), each payload checked; makes the town due. */
export async function enqueueEvents(tx: Tx, townId: string, events: TownEventInput[], now: Date): Promise<void> {
  await enqueueEventsInTx(tx, townId, events.map(({ type, ...e }) => ({ eventType: type, ...e })), now);
}

type BeadForStatus = { id: string; status: string; metadata: unknown };

/**
 * A person's status write — a wrapper around the domain's one status update (operations.ts setBeadStatus:
 * `closed_at`, failure reason, `status_changed` bead event, convoy recount), adding what people's writes
 * need: terminal statuses are immutable (CONFLICT; retry is its own operation) and compare-and-set on the
 * status that was read (CONFLICT when it moved meanwhile — the row is locked, then compared). The bead
 * event names the person. Returns false when the bead already had that status.
 */
export async function changeStatusByPerson(
  tx: Tx,
  townId: string,
  actorUserId: string,
  bead: BeadForStatus,
  to: BeadStatus,
  now: Date,
  change: { reason: string; failure?: { code: string; message: string }; metadata?: Record<string, unknown> },
): Promise<boolean> {
  if (bead.status === to) return false;
  if (isTerminal(bead.status)) throw new DomainError("conflict", `This bead is already ${bead.status}; finished beads do not change (retry it instead).`);
  const repo = prismaTownRepo(tx, townId);
  const current = await repo.lockBead(bead.id);
  if (!current || current.status !== bead.status) throw movedConflict();
  // a failure's reason is merged into the metadata the caller passed (it may have edited it, e.g. failMr)
  if (to === "failed" && change.failure) current.metadata = asRecord(bead.metadata);
  await setBeadStatus(repo, current, to, now, {
    reason: change.reason,
    actor: "user",
    actorUserId,
    agentId: null,
    failure: change.failure ? { ...change.failure, source: "user" } : undefined,
    metadata: change.metadata,
  });
  return true;
}

export function movedConflict(what = "This bead"): DomainError {
  return new DomainError("conflict", `${what} was changed by someone else meanwhile; reload and try again.`);
}

/** Convoy progress of every convoy tracking the bead (SPEC.md §3 #8): the domain's one recount, on this
 *  transaction. */
export async function recountConvoysTracking(tx: Tx, townId: string, beadId: string): Promise<void> {
  await recountConvoysTrackingInRepo(prismaTownRepo(tx, townId), beadId);
}

/** Recount one convoy by id (after a bead was added or removed). */
export async function recountConvoy(tx: Tx, townId: string, convoyId: string): Promise<void> {
  await recountConvoyInRepo(prismaTownRepo(tx, townId), convoyId);
}

/** Unhooks every agent hooked to the bead (idle, no checkpoint), with an `unhooked` bead event each. */
export async function unhookAgentsOf(tx: Tx, townId: string, actorUserId: string, beadId: string, reason: string, now: Date) {
  const hooked = await tx.agentMetadata.findMany({ where: { townId, currentHookBeadId: beadId }, select: { beadId: true } });
  for (const a of hooked) {
    await tx.agentMetadata.updateMany({
      where: { beadId: a.beadId, townId, currentHookBeadId: beadId },
      data: { currentHookBeadId: null, status: "idle", checkpoint: Prisma.DbNull, stalledAt: null },
    });
    await writeBeadEvent(tx, townId, actorUserId, { beadId, eventType: "unhooked", oldValue: a.beadId, metadata: { reason } }, now);
  }
  return hooked.map((a) => a.beadId);
}

export { makeTownDue };
