import { spawn } from "node:child_process";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { getPool } from "../db/pool";
import { isEmbeddedDb, REAL_PG_ONLY_REASON, testDb, truncateAll } from "../testing/db";
import { RecordingRuntime, testTickDeps } from "../testing/tick-doubles";
import { addMembership, makeBead, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { createBead } from "../services/beads";
import { runTicks } from "./run-ticks";
import { runTick } from "./run-tick";

// Exactly-once under concurrency and crashes, on a real Postgres (SPEC.md §3b: the embedded one serialises
// transactions, so these are skipped there and always run in CI). The counter: each MR gets 9
// `poll_null_result` events, and each application increments its poll_null_count. A double application
// would show as 10+ (and fail the MR), a lost one as 8 or fewer.

const MRS = 12;
const PER_MR = 9;
const ROOT = path.resolve(__dirname, "../..");

async function seedCounterTown() {
  const db = testDb();
  const user = await makeUser(db);
  const town = await makeTown(db, user.id);
  const rig = await makeRig(db, town.id, { config: { code_review: false } });
  const mrIds: string[] = [];
  for (let i = 0; i < MRS; i++) {
    const mr = await makeBead(db, town.id, { type: "merge_request", status: "in_progress", rigId: rig.id, metadata: { last_poll_at: new Date(Date.now() + 86_400_000).toISOString() } }); // no polls during the test
    await db.reviewMetadata.create({ data: { beadId: mr.id, townId: town.id, branch: `b${i}`, prUrl: `https://github.com/example/repo/pull/${i + 1}` } });
    mrIds.push(mr.id);
  }
  const events = [];
  for (let round = 0; round < PER_MR; round++) {
    for (const id of mrIds) events.push({ townId: town.id, eventType: "poll_null_result", beadId: id, payload: { mr_bead_id: id, pr_url: "https://github.com/example/repo/pull/1" } });
  }
  await db.townEvent.createMany({ data: events });
  return { town, mrIds };
}

async function counters(mrIds: string[]) {
  const rows = await testDb().bead.findMany({ where: { id: { in: mrIds } }, select: { metadata: true, status: true } });
  return rows.map((r) => [(r.metadata as { poll_null_count?: number }).poll_null_count ?? 0, r.status]);
}

function worker(args: string[], extraEnv: Record<string, string> = {}) {
  // `--import tsx` keeps the worker a single process (the tsx CLI would fork a child that outlives a SIGKILL).
  const child = spawn(process.execPath, ["--import", "tsx", "server/testing/tick-worker.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe.skipIf(isEmbeddedDb)(`concurrency and crashes (${REAL_PG_ONLY_REASON})`, () => {
  beforeEach(async () => truncateAll(testDb()));

  it("ten concurrent sweeps apply every event exactly once", async () => {
    const { town, mrIds } = await seedCounterTown();
    const deps = testTickDeps();
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 10 }, () => runTicks(deps, { now: new Date(), townId: town.id })));
      const { rows } = await getPool().query(`SELECT count(*)::int AS n FROM town_events WHERE town_id = $1 AND processed_at IS NULL`, [town.id]);
      if (Number(rows[0].n) === 0) break;
    }
    expect(await counters(mrIds)).toEqual(mrIds.map(() => [PER_MR, "in_progress"]));
  });

  it("two processes ticking the same town apply every event exactly once", async () => {
    const { town, mrIds } = await seedCounterTown();
    const a = worker([town.id, "30"]);
    const b = worker([town.id, "30"]);
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(await counters(mrIds)).toEqual(mrIds.map(() => [PER_MR, "in_progress"]));
  }, 90_000);

  it("a tick killed mid-drain leaves its lease to expire; the next tick applies everything exactly once", async () => {
    const { town, mrIds } = await seedCounterTown();
    // One event that makes the worker hang inside the drain's batch transaction.
    await testDb().townEvent.create({ data: { townId: town.id, eventType: "bead_created", payload: { bead_type: "issue", rig_id: null, has_blockers: false } } });
    const w = worker([town.id, "60", "bead_created"]);
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = setInterval(() => {
        if (w.output().includes("HANGING")) (clearInterval(check), resolve());
        else if (Date.now() - started > 30_000) (clearInterval(check), reject(new Error(`worker never hung: ${w.output()}`)));
      }, 50);
    });
    w.child.kill("SIGKILL");
    await w.exited;
    const row = await testDb().town.findUniqueOrThrow({ where: { id: town.id } });
    expect(row.tickLeaseOwner).toMatch(/^worker-/); // the dead tick's lease is still there
    const deps = testTickDeps();
    expect(await runTick(deps, town.id, { now: new Date() })).toBeNull(); // not yet expired: skipped
    const afterExpiry = new Date(row.tickLeaseUntil.getTime() + 1000);
    const report = await runTick(deps, town.id, { now: afterExpiry });
    expect(report).not.toBeNull();
    expect(report!.eventsDrained).toBe(MRS * PER_MR + 1);
    // (the tick's own polls then queue fresh poll results, created after the killed tick's events)
    const leftover = await testDb().townEvent.count({ where: { townId: town.id, processedAt: null, createdAt: { lt: row.tickLeaseUntil } } });
    expect(leftover).toBe(0);
    expect(await counters(mrIds)).toEqual(mrIds.map(() => [PER_MR, "in_progress"]));
  }, 90_000);

  it.each(["drained", "state_applied", "side_effect"])(
    "a tick killed %s loses nothing, applies nothing twice, and the rules recover the dispatch",
    async (crashAt) => {
      const { town, mrIds } = await seedCounterTown();
      const db = testDb();
      const user = await makeUser(db);
      const rig = await db.rig.findFirstOrThrow({ where: { townId: town.id } });
      await addMembership(db, town.id, user.id, "member");
      const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "survives crashes", priority: "medium", labels: [] });
      const w = worker([town.id, "60"], { CRASH_AT: crashAt });
      await w.exited;
      expect(w.output()).toContain(`CRASHING ${crashAt}`);

      const runtime = new RecordingRuntime();
      const deps = testTickDeps({ runtime });
      const lease = (await db.town.findUniqueOrThrow({ where: { id: town.id } })).tickLeaseUntil;
      let t = lease.getTime() + 1000;
      // Ticks every 30 s of simulated time for up to 10 minutes: the bead must get (re)dispatched.
      for (let i = 0; i < 20 && runtime.starts.length === 0; i++, t += 30_000) {
        await runTick(deps, town.id, { now: new Date(t) });
      }
      expect(runtime.starts.map((s) => s.beadId)).toContain(bead.id);
      expect(await counters(mrIds)).toEqual(mrIds.map(() => [PER_MR, "in_progress"]));
      const hooked = await db.agentMetadata.count({ where: { townId: town.id, currentHookBeadId: bead.id } });
      expect(hooked).toBe(1);
      const report = await runTick(deps, town.id, { now: new Date(t) });
      expect(report!.violations).toEqual([]);
    },
    120_000,
  );
});
