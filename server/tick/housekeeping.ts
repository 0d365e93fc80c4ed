import type pg from "pg";
import { dueReEscalations } from "../domain/escalations";
import { outbound } from "../domain/notify";
import { notifyMayor } from "../domain/operations";
import type { World } from "../domain/types";
import { PgTownRepo } from "./pg-repo";
import { reportError } from "./report";
import type { TickDeps } from "./types";
import { TickTx } from "./tx";

// The tick's last phase (SPEC.md §3b): prune processed events and tick rows after 7 days (poisoned and
// discarded events never), expire nudges, re-escalate stale escalations.

const PRUNE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** Phase 3: each step isolated; a failure is reported, never fatal. */
export async function housekeeping(deps: TickDeps, townId: string, world: World, now: Date) {
  const cutoff = new Date(now.getTime() - PRUNE_AFTER_MS);
  // Processed events and tick rows are pruned after 7 days; poisoned and discarded events never are.
  const PRUNE_EVENTS = `DELETE FROM town_events WHERE town_id = $1 AND processed_at < $2 AND poisoned_at IS NULL AND discarded_at IS NULL`;
  const PRUNE_TICKS = `DELETE FROM ticks WHERE town_id = $1 AND started_at < $2`;
  const EXPIRE_NUDGES = `UPDATE agent_nudges SET delivered_at = $3 WHERE town_id = $1 AND delivered_at IS NULL AND expires_at < $3`;
  const steps: [string, () => Promise<unknown>][] = [
    ["prune_events", () => deps.pool.query(PRUNE_EVENTS, [townId, cutoff])],
    ["prune_ticks", () => deps.pool.query(PRUNE_TICKS, [townId, cutoff])],
    ["expire_nudges", () => deps.pool.query(EXPIRE_NUDGES.replaceAll("$3", "$2"), [townId, now])],
  ];
  try {
    // the three in one statement (every tick of every town runs them); should it fail, each runs alone
    // below so the failing one is reported and the others still happen
    await deps.pool.query(`WITH e AS (${PRUNE_EVENTS}), t AS (${PRUNE_TICKS}), n AS (${EXPIRE_NUDGES}) SELECT 1`, [townId, cutoff, now]);
    steps.length = 0;
  } catch {
    /* isolated below */
  }
  steps.push(["re_escalate", () => reEscalate(deps.pool, townId, world, now)]);
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      reportError(deps, err, { town_id: townId, housekeeping: name }, `housekeeping step ${name} failed`);
    }
  }
}

/** Unacknowledged open escalations get one severity step every 4 h, at most 3 times, and the mayor is told
 *  (the decision is the domain's `dueReEscalations`; this applies it with a compare-and-set). */
async function reEscalate(pool: pg.Pool, townId: string, world: World, now: Date) {
  for (const due of dueReEscalations(world, now)) {
    const client = await pool.connect();
    try {
      await new TickTx(client, false).run(async () => {
        // compare-and-set on the count: a concurrent acknowledge or tick makes this a no-op
        const { rowCount } = await client.query(
          `UPDATE escalation_metadata SET severity = $2, re_escalation_count = $3
            WHERE bead_id = $1 AND re_escalation_count = $3 - 1 AND NOT acknowledged`,
          [due.beadId, due.to, due.count],
        );
        if (rowCount !== 1) return;
        await client.query(`UPDATE beads SET priority = $2, updated_at = $3 WHERE bead_id = $1`, [due.beadId, due.to, now]);
        const title = world.beads.find((b) => b.id === due.beadId)?.title ?? due.beadId;
        const text = `Escalation "${title}" is still unacknowledged; raised from ${due.from} to ${due.to}.`;
        const repo = new PgTownRepo(client, townId);
        await notifyMayor(repo, text, "escalation", now, due.beadId);
        // The raised severity may now reach channels whose minimum it did not reach before (issue 16).
        await repo.insertOutbound(outbound.escalation({ id: due.beadId, title }, due.to, now, text));
      });
    } finally {
      client.release();
    }
  }
}
