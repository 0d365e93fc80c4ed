import { runTick, summaryOf, type TickDeps, type TickSummary } from "./run-tick";

// One sweep: every due town (one statement finds them), ticked with bounded concurrency. Towns whose lease
// another caller holds are skipped and not listed (SPEC.md §4.2). A failing town never stops the sweep.

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
        deps.captureException(err, { town_id: townId, phase: "tick" });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, townIds.length) }, worker));
  return results;
}
