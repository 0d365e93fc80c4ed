import { describe, expect, it } from "vitest";
import { testDb } from "../testing/db";
import { testTickDeps } from "../testing/tick-doubles";
import { makeBead, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { runTick } from "./run-tick";

// A database error inside an event's apply (here: a timestamp JavaScript accepts but Postgres cannot store)
// is an ordinary failing apply: retried, poisoned after three ticks, and the ticks and the process go on —
// on the embedded Postgres too, whose socket server is picky about errors mid-transaction.

describe("a database error inside an apply", () => {
  it("counts a retry per tick, poisons after three, and leaves the pool usable", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    const rig = await makeRig(db, town.id, { config: { code_review: false } });
    const mr = await makeBead(db, town.id, { type: "merge_request", status: "in_progress", rigId: rig.id, metadata: { last_poll_at: new Date(Date.now() + 3600_000).toISOString() } });
    await db.reviewMetadata.create({ data: { beadId: mr.id, townId: town.id, branch: "b" } });
    const bad = await db.townEvent.create({
      data: { townId: town.id, eventType: "poll_feedback_checked", beadId: mr.id, payload: { mr_bead_id: mr.id, checked_at: "-271821-04-20T00:00:00.000Z" } },
    });
    const good = await db.townEvent.create({ data: { townId: town.id, eventType: "poll_nonnull_result", beadId: mr.id, payload: { mr_bead_id: mr.id } } });
    const deps = testTickDeps();
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) {
      const report = await runTick(deps, town.id, { now: new Date(t0 + i * 1000) });
      expect(report).not.toBeNull();
    }
    const row = await db.townEvent.findUniqueOrThrow({ where: { id: bad.id } });
    expect(row).toMatchObject({ retryCount: 3, poisonReason: "max_retries" });
    expect(row.lastError).toMatch(/out of range/);
    expect((await db.townEvent.findUniqueOrThrow({ where: { id: good.id } })).processedAt).not.toBeNull();
    // the pool still works
    expect(await db.town.count()).toBeGreaterThan(0);
    expect(await runTick(deps, town.id, { now: new Date(t0 + 10_000) })).not.toBeNull();
  });
});
