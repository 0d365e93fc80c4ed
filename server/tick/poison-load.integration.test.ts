import { describe, expect, it } from "vitest";
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import { isEmbeddedDb, REAL_PG_ONLY_REASON, testDb, truncateAll } from "../testing/db";
import { testTickDeps } from "../testing/tick-doubles";
import { makeBeads, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { runTicks } from "./run-ticks";

// Poison under load (issue 8): 10,000 good events with 1,000 bad ones interleaved across 5 towns. Every
// good event is applied exactly once (each MR's poll_null_count ends at exactly 8), every bad one is
// poisoned after exactly 3 tries, and no town's queue is blocked by them. Figures are printed.

const TOWNS = 5;
const MRS_PER_TOWN = 250;
const GOOD_PER_MR = 8; // 250 × 8 = 2,000 good events per town
const BAD_PER_TOWN = 200;

describe.skipIf(isEmbeddedDb)(`poison under load (${REAL_PG_ONLY_REASON})`, () => {
  it("10,000 good + 1,000 bad events across 5 towns: good exactly once, bad poisoned after exactly 3 tries", async () => {
    await truncateAll(testDb());
    const db = testDb();
    const user = await makeUser(db);
    const towns: { id: string; mrIds: string[] }[] = [];
    for (let t = 0; t < TOWNS; t++) {
      const town = await makeTown(db, user.id);
      const rig = await makeRig(db, town.id, { config: { code_review: false } });
      const far = new Date(Date.now() + 3600_000).toISOString(); // keep R1 from polling during the test
      await makeBeads(db, town.id, MRS_PER_TOWN, () => ({ type: "merge_request", status: "in_progress", rigId: rig.id, metadata: { last_poll_at: far } }));
      const mrs = await db.bead.findMany({ where: { townId: town.id, type: "merge_request" }, select: { id: true } });
      await db.reviewMetadata.createMany({ data: mrs.map((m, i) => ({ beadId: m.id, townId: town.id, branch: `b${i}` })) });
      const mrIds = mrs.map((m) => m.id);
      const rows = [];
      let bad = 0;
      for (let round = 0; round < GOOD_PER_MR; round++) {
        for (const [i, id] of mrIds.entries()) {
          rows.push({ townId: town.id, eventType: "poll_null_result", beadId: id, payload: { mr_bead_id: id, pr_url: "https://github.com/a/b/pull/1" } });
          // one bad event after every 10th good one, interleaved through the queue
          if ((round * MRS_PER_TOWN + i) % 10 === 9 && bad < BAD_PER_TOWN) {
            bad++;
            rows.push({ townId: town.id, eventType: "poll_nonnull_result", beadId: `always-fails-${bad}`, payload: { mr_bead_id: mrIds[0] } });
          }
        }
      }
      await db.townEvent.createMany({ data: rows });
      towns.push({ id: town.id, mrIds });
    }

    // A transient failure the test controls: these events fail every time (not entity_not_found).
    const attempts = new Map<string, number>();
    const deps = testTickDeps({
      applyEvent: async (repo, event, now) => {
        if (event.beadId?.startsWith("always-fails")) {
          attempts.set(event.id!, (attempts.get(event.id!) ?? 0) + 1);
          throw new Error("downstream unavailable");
        }
        return applyEvent(repo, event, now);
      },
    });

    const started = performance.now();
    let sweeps = 0;
    for (; sweeps < 10; sweeps++) {
      const now = new Date(Date.now() + sweeps * 1000);
      await runTicks(deps, { now, concurrency: 5 });
      const { rows } = await getPool().query(
        `SELECT count(*)::int AS n FROM town_events WHERE processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL`,
      );
      if (Number(rows[0].n) === 0) break;
      // make every town due again for the next sweep
      await getPool().query(`UPDATE towns SET next_tick_at = $1`, [new Date(0)]);
    }
    const seconds = (performance.now() - started) / 1000;

    for (const town of towns) {
      const counts = await db.bead.findMany({ where: { id: { in: town.mrIds } }, select: { metadata: true } });
      expect(counts.map((c) => (c.metadata as { poll_null_count?: number }).poll_null_count)).toEqual(town.mrIds.map(() => GOOD_PER_MR));
      const poisoned = await db.townEvent.findMany({ where: { townId: town.id, poisonedAt: { not: null } } });
      expect(poisoned).toHaveLength(BAD_PER_TOWN);
      expect(poisoned.every((p) => p.retryCount === 3 && p.poisonReason === "max_retries" && p.processedAt === null)).toBe(true);
    }
    expect([...attempts.values()].every((n) => n === 3)).toBe(true);
    expect(attempts.size).toBe(TOWNS * BAD_PER_TOWN);
    console.log(
      `poison under load: ${TOWNS * MRS_PER_TOWN * GOOD_PER_MR} good + ${TOWNS * BAD_PER_TOWN} bad events, ${sweeps + 1} sweeps, ${seconds.toFixed(1)} s` +
        ` (${Math.round((TOWNS * MRS_PER_TOWN * GOOD_PER_MR) / seconds)} good events/s including retries)`,
    );
  }, 300_000);
});
