/** SPEC.md §2: the third failing apply poisons an event. */
export const MAX_EVENT_RETRIES = 3;
import type { Action } from "../domain/actions";
import { isDomainError } from "../domain/errors";
import { parseTownEvent, type TownEvent } from "../domain/events";
import { outbound } from "../domain/notify";
import { notifyMayor } from "../domain/operations";
import type { TownRepo } from "../domain/repo";
import type { TownEventRow } from "../domain/types";
import { BatchFlushError, BatchTownRepo, DrainMemo } from "./batch-repo";
import { PgTownRepo } from "./pg-repo";
import type { TickTx } from "./tx";

// Phase 0 — drain the town's event queue in `seq` order (SPEC.md §2, §3b):
// - a batch of events is applied in one transaction (one commit per batch, not per event), through a unit of
//   work that reads the batch's rows in one statement and writes them back in a few (batch-repo.ts);
// - when an event of the batch throws before its writes reached the database (a domain error, a value Postgres
//   would refuse — what poison events do), the unit of work takes its buffered writes back in memory, exactly
//   as a savepoint rollback would, and the batch goes on: the event is counted after the batch's flush;
// - when an event throws after reaching the database (a failed statement, a flush mid-event), the batch is
//   rolled back and applied again as runs of good events between the failing ones (each run through the unit
//   of work, in a savepoint), so a failing event costs its own retry and a re-run of the events before it —
//   O(failures), not one savepoint per event;
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

/** After a failure, good events are applied in runs of at most this many: a later failure then rolls back
 *  (and re-applies) at most this many events, and each run prefetches only its own rows. */
const RUN_CHUNK = 50;

/** What one attempt at a run of events did: all applied (and flushed), or stopped at a failing event. */
type RunOutcome =
  | { ok: true; applied: { row: Row; actions: Action[] }[]; failed: { row: Row; error: unknown }[] }
  | { ok: false; failedAt: number; error: unknown; failed: { row: Row; error: unknown }[] }
  | { ok: false; flushFailed: true; error: BatchFlushError };

/** Applies `rows` in order through one unit of work (BatchTownRepo) and flushes it. Does not open or close a
 *  transaction: the caller rolls back (whole transaction or savepoint) when it does not come back ok. */
async function applyRun(client: TickTx["client"], townId: string, rows: Row[], now: Date, apply: ApplyEventFn, memo: DrainMemo): Promise<RunOutcome> {
  const repo = new BatchTownRepo(client, townId, memo);
  const applied: { row: Row; actions: Action[] }[] = [];
  const failed: { row: Row; error: unknown }[] = [];
  try {
    await repo.prefetch(rows);
    for (let i = 0; i < rows.length; i++) {
      repo.beginEvent();
      try {
        applied.push({ row: rows[i], actions: await apply(repo, parseTownEvent(rows[i]), now) });
        repo.endEvent();
      } catch (error) {
        // a failed flush of earlier events' writes surfaced here: it is not this event's failure
        if (error instanceof BatchFlushError) return { ok: false, flushFailed: true, error };
        // failed before reaching the database (a domain error, a value Postgres would refuse): its buffered
        // writes are taken back as a savepoint rollback would, and the run goes on without it
        if (repo.undoEvent()) {
          failed.push({ row: rows[i], error });
          continue;
        }
        return { ok: false, failedAt: i, error, failed };
      }
    }
    await repo.flush();
  } catch (error) {
    // the flush (or the prefetch) failed: a database problem of the run, not of one event we can name
    return { ok: false, flushFailed: true, error: error instanceof BatchFlushError ? error : new BatchFlushError(error) };
  } finally {
    repo.discard();
  }
  return { ok: true, applied, failed };
}

export async function drainEvents(tx: TickTx, townId: string, now: Date, options: DrainOptions): Promise<DrainResult> {
  const batchSize = options.batchSize ?? 500;
  const maxEvents = options.maxEvents ?? 10_000;
  const repo = new PgTownRepo(tx.client, townId);
  const redact = options.redact ?? ((text: string) => text);
  const errorText = (err: unknown) => redact(errorTextOf(err));
  const result: DrainResult = { drained: 0, poisoned: [], failed: 0, actions: [], emittedBy: new Map() };
  const memo = new DrainMemo(); // shared by the drain's units of work (rigs; whether they need the graph)
  /** Counts a failed apply: a retry, or poison (at once for errors that can never succeed). */
  const handleFailure = async (row: Row, err: unknown) => {
    const immediate = immediatePoisonReason(err);
    if (immediate) {
      await poison(tx, repo, row, immediate, row.retryCount, errorText(err), err, now, result);
      return;
    }
    const { rows: counted } = await tx.client.query(
      `UPDATE town_events SET retry_count = retry_count + 1, last_error = $2 WHERE event_id = $1 RETURNING retry_count`,
      [row.id, errorText(err)],
    );
    const retries = counted[0].retry_count as number;
    if (retries >= MAX_EVENT_RETRIES) await poison(tx, repo, row, "max_retries", retries, errorText(err), err, now, result);
    else result.failed += 1;
  };
  /** The same for the failures of a run that were taken back in memory, set-based: one statement counts the
   *  retries, and the poisonings' mail, notifications and outbox rows go through one unit of work. */
  const handleFailures = async (failed: { row: Row; error: unknown }[]) => {
    if (failed.length <= 1) {
      for (const { row, error } of failed) await handleFailure(row, error);
      return;
    }
    const retried = failed.filter(({ error }) => !immediatePoisonReason(error));
    const counts = new Map<string, number>();
    if (retried.length) {
      const { rows: counted } = await tx.client.query(
        `UPDATE town_events t SET retry_count = t.retry_count + 1, last_error = v.last_error
           FROM jsonb_to_recordset($1::jsonb) AS v(event_id text, last_error text)
          WHERE t.event_id = v.event_id RETURNING t.event_id, t.retry_count`,
        [JSON.stringify(retried.map(({ row, error }) => ({ event_id: row.id, last_error: errorText(error) })))],
      );
      for (const r of counted) counts.set(r.event_id as string, r.retry_count as number);
    }
    const poisoned: Poisoning[] = [];
    for (const { row, error } of failed) {
      const immediate = immediatePoisonReason(error);
      const retries = immediate ? row.retryCount : counts.get(row.id)!;
      if (immediate || retries >= MAX_EVENT_RETRIES) poisoned.push({ row, reason: immediate ?? "max_retries", retries, error: errorText(error), cause: error });
      else result.failed += 1;
    }
    await poisonAll(tx, townId, memo, poisoned, now, result);
  };
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

    // Fast path: the whole batch in one transaction, through a unit of work (BatchTownRepo): one prefetch,
    // buffered writes, a few set-based statements at the end — the per-event round trips were most of a
    // tick's time (issue 7).
    // The event that breaks it keeps its failure (`failures`): it is counted without being applied again, so
    // every event is tried exactly once per tick (and a poison event exactly MAX_EVENT_RETRIES times in all).
    const failures = new Map<string, unknown>();
    if (!batch.some((row) => row.retryCount >= MAX_EVENT_RETRIES)) {
      let outcome: RunOutcome | null = null;
      try {
        await tx.run(async () => {
          outcome = await applyRun(tx.client, townId, batch, now, options.apply, memo);
          if (!outcome.ok) throw new RolledBack();
          await markProcessed(tx, outcome.applied.map(({ row }) => row.id), now);
          // events that failed before reaching the database were taken back in memory: counted here
          await handleFailures(outcome.failed);
        });
      } catch (err) {
        if (!(err instanceof RolledBack)) throw err;
      }
      const done = outcome as RunOutcome | null;
      if (done?.ok) {
        for (const { row, actions } of done.applied) collect(result, row, actions);
        result.drained += done.applied.length;
        continue;
      }
      if (done && !done.ok && "failedAt" in done) {
        // the events before it that failed in memory keep their failure too: each is tried once per tick
        for (const { row, error } of done.failed) failures.set(row.id, error);
        failures.set(batch[done.failedAt].id, done.error);
      }
    }

    // Some event failed (or sits at the retry limit): the batch again, in one transaction, as runs of good
    // events between the failing ones. Each run is applied through the unit of work inside a savepoint; when
    // an event of a run fails, the run is rolled back to its savepoint, the events before the failing one
    // are applied again as a shorter run, and the failing one is counted (retry or poison) without another
    // try. So a poison event costs a rollback and a re-run of the events before it in its run — not one
    // savepoint per event of the whole batch (issue 15). Good events are applied exactly once, in order.
    await tx.run(async () => {
      const processed: string[] = [];
      const stopsRun = (row: Row) => row.retryCount >= MAX_EVENT_RETRIES || failures.has(row.id);

      // Applies `part` in order, isolating failures: runs of good events through the unit of work, each in a
      // savepoint; a failing event splits its run (the part before it is applied again, the event counted);
      // a failed flush — which belongs to no single event — splits the run in halves until it does.
      const settle = async (part: Row[]): Promise<void> => {
        let i = 0;
        while (i < part.length) {
          const row = part[i];
          if (row.retryCount >= MAX_EVENT_RETRIES) {
            // Already at the limit (e.g. counted by an earlier crashed tick): poison without another try.
            await poison(tx, repo, row, "max_retries", row.retryCount, "retry limit reached", null, now, result);
            i += 1;
            continue;
          }
          if (failures.has(row.id)) {
            await handleFailure(row, failures.get(row.id));
            i += 1;
            continue;
          }
          let end = i;
          while (end < part.length && end - i < RUN_CHUNK && !stopsRun(part[end])) end += 1;
          const run = part.slice(i, end);
          await tx.begin();
          let outcome: RunOutcome;
          try {
            outcome = await applyRun(tx.client, townId, run, now, options.apply, memo);
          } catch (err) {
            await tx.rollback();
            throw err;
          }
          if (outcome.ok) {
            await tx.commit();
            for (const { row: r, actions } of outcome.applied) {
              processed.push(r.id);
              collect(result, r, actions);
            }
            await handleFailures(outcome.failed);
            i = end;
            continue;
          }
          await tx.rollback();
          if ("failedAt" in outcome) {
            for (const { row: r, error } of outcome.failed) failures.set(r.id, error);
            failures.set(run[outcome.failedAt].id, outcome.error); // the next pass applies the run up to it
            continue;
          }
          if (run.length === 1) {
            failures.set(run[0].id, outcome.error.cause ?? outcome.error); // alone, the flush failure is its own
            continue;
          }
          const mid = Math.ceil(run.length / 2);
          await settle(run.slice(0, mid));
          await settle(run.slice(mid));
          i = end;
        }
      };
      await settle(batch);
      await markProcessed(tx, processed, now);
      result.drained += processed.length;
    });
  }
  return result;
}

/** The fast attempt rolled back on purpose (an event failed): not an error of the drain. */
class RolledBack extends Error {}

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

interface Poisoning {
  row: Row;
  reason: PoisonReason;
  retries: number;
  error: string;
  cause: unknown;
}

/** poison() for several events at once: one UPDATE marks them, and their mail to the mayor, notifications and
 *  outbox rows are written through one unit of work in one savepoint (same rows as one poison() each). */
async function poisonAll(tx: TickTx, townId: string, memo: DrainMemo, list: Poisoning[], now: Date, result: DrainResult) {
  if (list.length === 0) return;
  await tx.client.query(
    `UPDATE town_events t SET poisoned_at = $1, poison_reason = v.reason, last_error = v.error, retry_count = v.retries
       FROM jsonb_to_recordset($2::jsonb) AS v(event_id text, reason text, error text, retries int)
      WHERE t.event_id = v.event_id`,
    [now, JSON.stringify(list.map((p) => ({ event_id: p.row.id, reason: p.reason, error: p.error, retries: p.retries })))],
  );
  await tx.begin();
  const repo = new BatchTownRepo(tx.client, townId, memo);
  try {
    for (const { row, reason, error } of list) {
      const text = `Event ${row.eventType} (${row.id}) was poisoned (${reason}): ${error}. It is kept in the poison inbox; requeue, edit or discard it there.`;
      await repo.insertOutbound(outbound.poisonedEvent({ id: row.id, eventType: row.eventType, beadId: row.beadId }, text, now));
      await notifyMayor(repo, text, "poisoned_event", now, row.beadId);
    }
    await repo.flush();
    await tx.commit();
  } catch {
    await tx.rollback();
  } finally {
    repo.discard();
  }
  for (const { row, reason, error, cause } of list) result.poisoned.push({ eventId: row.id, eventType: row.eventType, reason, error, cause });
}
