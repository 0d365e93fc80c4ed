/** SPEC.md §2: the third failing apply poisons an event. */
export const MAX_EVENT_RETRIES = 3;
import type { Action } from "../domain/actions";
import { isDomainError } from "../domain/errors";
import { parseTownEvent, type TownEvent } from "../domain/events";
import { outbound } from "../domain/notify";
import { notifyMayor } from "../domain/operations";
import type { TownRepo } from "../domain/repo";
import type { TownEventRow } from "../domain/types";
import { BatchFlushError, BatchTownRepo } from "./batch-repo";
import { PgTownRepo } from "./pg-repo";
import type { TickTx } from "./tx";

// Phase 0 — drain the town's event queue in `seq` order (SPEC.md §2, §3b):
// - a batch of events is applied in one transaction (one commit per batch, not per event), through a unit of
//   work that reads the batch's rows in one statement and writes them back in a few (batch-repo.ts);
// - when any event of the batch throws, the batch is rolled back and re-applied one event per savepoint, so
//   a failing event costs its own retry and nobody else's;
// - a failure increments retry_count atomically and records last_error; at MAX_EVENT_RETRIES (3) — or at
//   once for entity_not_found / invalid_payload, which can never succeed — the event is poisoned: kept, with
//   poisoned_at / poison_reason / last_error, processed_at left NULL, skipped by later drains, and reported
//   (mail + notification to the mayor here, Sentry by the caller after commit).
// Returned actions are the event-emitted ones (e.g. stop_agent for a cancelled bead), in event order.

export type ApplyEventFn = (repo: TownRepo, event: TownEvent, now: Date) => Promise<Action[]>;

export type PoisonReason = "entity_not_found" | "invalid_payload" | "max_retries";

export interface PoisonedEvent {
  eventId: string;
  eventType: string;
  reason: PoisonReason;
  error: string;
  cause: unknown;
}

export interface DrainResult {
  drained: number;
  poisoned: PoisonedEvent[];
  failed: number;
  actions: Action[];
  /** actions with the event that emitted them, for the tick record */
  emittedBy: Map<Action, string>;
}

export interface DrainOptions {
  apply: ApplyEventFn;
  batchSize?: number;
  /** cap per tick so one huge backlog does not hold the lease for minutes; the rest drains next tick */
  maxEvents?: number;
  /** the town's secrets redactor: an apply error can quote a payload from outside (SPEC.md §5) */
  redact?: (text: string) => string;
}

type Row = TownEventRow & { seq: bigint | number; retryCount: number };

const SELECT_PENDING = `
  SELECT event_id, seq, event_type, agent_id, bead_id, payload, created_at, retry_count
    FROM town_events
   WHERE town_id = $1 AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL AND seq > $2
   ORDER BY seq
   LIMIT $3`;

function toRow(r: Record<string, unknown>): Row {
  return {
    id: r.event_id as string,
    seq: r.seq as string as unknown as bigint,
    eventType: r.event_type as string,
    agentId: (r.agent_id as string | null) ?? null,
    beadId: (r.bead_id as string | null) ?? null,
    payload: r.payload,
    createdAt: r.created_at as Date,
    retryCount: r.retry_count as number,
  };
}

function errorTextOf(err: unknown): string {
  const msg = err instanceof Error ? `${isDomainError(err) ? "" : `${err.name}: `}${err.message}` : String(err);
  return msg.slice(0, 2000);
}

/** Classifies a failed apply: poison at once, or count a retry. */
export function immediatePoisonReason(err: unknown): PoisonReason | null {
  if (isDomainError(err) && (err.code === "entity_not_found" || err.code === "invalid_payload")) return err.code;
  return null;
}

class NeedsSlowPath extends Error {}

export async function drainEvents(tx: TickTx, townId: string, now: Date, options: DrainOptions): Promise<DrainResult> {
  const batchSize = options.batchSize ?? 500;
  const maxEvents = options.maxEvents ?? 10_000;
  const repo = new PgTownRepo(tx.client, townId);
  const redact = options.redact ?? ((text: string) => text);
  const errorText = (err: unknown) => redact(errorTextOf(err));
  const result: DrainResult = { drained: 0, poisoned: [], failed: 0, actions: [], emittedBy: new Map() };
  let afterSeq = "0";
  let seen = 0;

  let more = true;
  while (more && seen < maxEvents) {
    const limit = Math.min(batchSize, maxEvents - seen);
    const { rows } = await tx.client.query(SELECT_PENDING, [townId, afterSeq, limit]);
    if (rows.length === 0) break;
    more = rows.length === limit; // a short batch was the last one: no need to ask again
    const batch = rows.map(toRow);
    seen += batch.length;
    afterSeq = String(batch[batch.length - 1].seq);

    // Fast path: the whole batch in one transaction.
    // The event that broke it keeps its failure: the slow path counts it without applying it again, so every
    // event is tried exactly once per tick (and a poison event exactly MAX_EVENT_RETRIES times in all).
    // Its reads and writes go through a unit of work (BatchTownRepo): one prefetch, buffered writes, a few
    // set-based statements at the end — the per-event round trips were most of a tick's time (issue 7).
    let fastFailure: { eventId: string; error: unknown } | null = null;
    const batchRepo = new BatchTownRepo(tx.client, townId);
    try {
      if (batch.some((row) => row.retryCount >= MAX_EVENT_RETRIES)) throw new NeedsSlowPath();
      const applied = await tx.run(async () => {
        const out: { row: Row; actions: Action[] }[] = [];
        await batchRepo.prefetch(batch);
        for (const row of batch) {
          try {
            out.push({ row, actions: await options.apply(batchRepo, parseTownEvent(row), now) });
          } catch (error) {
            // a failed flush of earlier events' writes surfaced here: it is not this event's failure
            if (!(error instanceof BatchFlushError)) fastFailure = { eventId: row.id, error };
            throw error;
          }
        }
        await batchRepo.flush();
        await markProcessed(tx, batch.map((r) => r.id), now);
        return out;
      });
      for (const { row, actions } of applied) collect(result, row, actions);
      result.drained += applied.length;
      continue;
    } catch {
      // rolled back: fall through to one event per savepoint, on the plain repo
      batchRepo.discard();
    }

    await tx.run(async () => {
      const processed: string[] = [];
      for (const row of batch) {
        if (row.retryCount >= MAX_EVENT_RETRIES) {
          // Already at the limit (e.g. counted by an earlier crashed tick): poison without another try.
          await poison(tx, repo, row, "max_retries", row.retryCount, "retry limit reached", null, now, result);
          continue;
        }
        await tx.begin();
        try {
          const failedBefore = fastFailure as { eventId: string; error: unknown } | null;
          if (failedBefore?.eventId === row.id) throw failedBefore.error;
          const actions = await options.apply(repo, parseTownEvent(row), now);
          await tx.commit();
          processed.push(row.id);
          collect(result, row, actions);
        } catch (err) {
          await tx.rollback();
          const immediate = immediatePoisonReason(err);
          if (immediate) {
            await poison(tx, repo, row, immediate, row.retryCount, errorText(err), err, now, result);
            continue;
          }
          const { rows: counted } = await tx.client.query(
            `UPDATE town_events SET retry_count = retry_count + 1, last_error = $2 WHERE event_id = $1 RETURNING retry_count`,
            [row.id, errorText(err)],
          );
          const retries = counted[0].retry_count as number;
          if (retries >= MAX_EVENT_RETRIES) await poison(tx, repo, row, "max_retries", retries, errorText(err), err, now, result);
          else result.failed += 1;
        }
      }
      await markProcessed(tx, processed, now);
      result.drained += processed.length;
    });
  }
  return result;
}

function collect(result: DrainResult, row: Row, actions: Action[]) {
  for (const a of actions) {
    result.actions.push(a);
    result.emittedBy.set(a, row.id);
  }
}

async function markProcessed(tx: TickTx, ids: string[], now: Date) {
  if (ids.length === 0) return;
  await tx.client.query(`UPDATE town_events SET processed_at = $2 WHERE event_id = ANY($1::text[])`, [ids, now]);
}

async function poison(
  tx: TickTx,
  repo: TownRepo,
  row: Row,
  reason: PoisonReason,
  retries: number,
  error: string,
  cause: unknown,
  now: Date,
  result: DrainResult,
) {
  await tx.client.query(
    `UPDATE town_events SET poisoned_at = $2, poison_reason = $3, last_error = $4, retry_count = $5 WHERE event_id = $1`,
    [row.id, now, reason, error, retries],
  );
  // Mail to the mayor and a notification people see on the overview (SPEC.md §2). In its own savepoint:
  // a town without a mayor must not turn a poisoning into a failed drain.
  await tx.begin();
  try {
    const text = `Event ${row.eventType} (${row.id}) was poisoned (${reason}): ${error}. It is kept in the poison inbox; requeue, edit or discard it there.`;
    // The outbox rows of notifications out (issue 16) first: buffered with the poisoning, they cannot fail here.
    await repo.insertOutbound(outbound.poisonedEvent({ id: row.id, eventType: row.eventType, beadId: row.beadId }, text, now));
    await notifyMayor(repo, text, "poisoned_event", now, row.beadId);
    await tx.commit();
  } catch {
    await tx.rollback();
  }
  result.poisoned.push({ eventId: row.id, eventType: row.eventType, reason, error, cause });
}
