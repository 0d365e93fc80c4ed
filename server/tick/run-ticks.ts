import { runTick, summaryOf, type TickDeps, type TickSummary } from "./run-tick";
import { reportError } from "./report";

// One sweep: every due town (one statement finds them), ticked with bounded concurrency. Towns whose lease
// another caller holds are skipped and not listed (SPEC.md §4.2). A failing town never stops the sweep.
//
// The end of each full sweep is remembered in this process (GET /api/health shows it): a sweep that finds no
// town due writes nothing to the database, so only the process itself can tell "swept, nothing to do" from
// "not sweeping". Kept on globalThis, because Next bundles the ticker and the route handlers apart.

const globalForSweep = globalThis as unknown as { __gastownLastSweep?: { at: Date; townsTicked: number } };

/** When this process last finished a full sweep (the in-process ticker's or a cron call's), or null. */
export function lastSweep(): { at: Date; townsTicked: number } | null {
  return globalForSweep.__gastownLastSweep ?? null;
}

export interface SweepOptions {
  now: Date;
  /** tick exactly this town now, due or not */
  townId?: string;
  limit?: number;
  concurrency?: number;
}

export async function runTicks(deps: TickDeps, options: SweepOptions): Promise<TickSummary[]> {
  const { now } = options;
  let townIds: string[];
  if (options.townId) {
    townIds = [options.townId];
  } else {
    const { rows } = await deps.pool.query(
      `SELECT id FROM towns WHERE next_tick_at <= $1 AND tick_lease_until < $1 ORDER BY next_tick_at LIMIT $2`,
      [now, options.limit ?? 2000],
    );
    townIds = rows.map((r) => r.id as string);
  }
  const results: TickSummary[] = [];
  let next = 0;
  const worker = async () => {
    while (next < townIds.length) {
      const townId = townIds[next++];
      try {
        const report = await runTick(deps, townId, { now });
        if (report) results.push(summaryOf(report));
      } catch (err) {
        reportError(deps, err, { town_id: townId, phase: "tick" }, "tick failed");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, townIds.length) }, worker));
  // The real clock, not `now`: this is when the sweep ran, for an operator (no decision reads it).
  if (!options.townId) globalForSweep.__gastownLastSweep = { at: new Date(), townsTicked: results.length };
  return results;
}
