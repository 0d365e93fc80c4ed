// `npm run bench [-- --quick] [-- --skip-http] [-- --only acting,drain,capacity] [-- --build | --skip-build] [-- --allow-embedded]`
// Seeds towns on a real Postgres and measures ticks, the drain, statements per tick, an idle sweep and the
// page latencies (issue 7), acting ticks, the working drain with poison and the capacity per instance
// (issue 15), prints one table and writes bench/results/latest.md. Not a test: it asserts nothing, it
// reports (targets marked ✓/✗). It wipes its database first, so it refuses any database whose name does not
// contain "bench" unless that database is empty (no users, no towns).
import { cpus, loadavg } from "node:os";
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { getDb } from "../server/db/client";
import { getPool } from "../server/db/pool";
import { applyEvent } from "../server/domain/apply-event";
import { drainEvents } from "../server/tick/drain";
import { enqueueEvents } from "../server/tick/enqueue";
import { runTick, type TickReport } from "../server/tick/run-tick";
import { runTicks } from "../server/tick/run-ticks";
import { TickTx } from "../server/tick/tx";
import { testTickDeps } from "../server/testing/tick-doubles";
import { truncateAll } from "../server/testing/db";
import { addMembership, makeUser } from "../prisma/factories";
import { countStatements } from "./counting";
import { EVENT_MIX_TEXT, describeShape, eventMix, mixShape, paddedShape, seedIdleTowns, seedTown, type SeededTown } from "./fixtures";
import { ROOT, buildApp, hasBuild, load, signUp, startApp, trpcBatchPath, type LoadResult } from "./http";
import { int, median, ms, percentile, ratio, timed } from "./stats";
import { ACTING_TEXT, actingTicks, startActingEnv, type ActingResult } from "./acting";
import { WEBHOOK_TEXT, webhookPath, type WebhookPathResult } from "./webhook";
import { WORK_MIX_TEXT, workDrainRun, type WorkDrainResult } from "./drain-work";
import { capacity, capacityOf, type CapacityStep } from "./capacity";
import { pageBench, runOnly, type PageRow, type Section } from "./pages";

// The app logs every tick that did something at info; in the bench that is thousands of lines (and their cost is
// not what is measured). Warnings and errors still show. The capacity workers inherit it.
process.env.LOG_LEVEL ??= "warn";

const args = new Set(process.argv.slice(2));
const QUICK = args.has("--quick");
// Percentiles come from at least 30 samples in a full run (issue 15); --quick is for development only.
const SAMPLES = QUICK
  ? { smallTicks: 15, largeIdleTicks: 10, largeEventTicks: 3, drainRuns: 1, loadSeconds: 5, acting: 10, workDrainEvents: 2000, capacitySeconds: 8 }
  : { smallTicks: 40, largeIdleTicks: 30, largeEventTicks: 30, drainRuns: 3, loadSeconds: 15, acting: 30, workDrainEvents: 5000, capacitySeconds: 15 };
// `--only a,b` runs only those phases (the others' rows are left out): ticks, drain, statements, sweep, pages,
// acting, capacity. `--skip-http` leaves out pages.
const PHASES = ["ticks", "drain", "statements", "sweep", "pages", "dashboards", "weight", "acting", "capacity"] as const;
// The three sections of bench/pages.ts (issue 15 items 3, 4, 6) run on the same `next start` as the page rows.
const PAGE_SECTIONS: readonly string[] = ["pages", "dashboards", "weight"];
type Phase = (typeof PHASES)[number];
const onlyArg = process.argv.slice(2).find((a, i, all) => a.startsWith("--only=") || all[i - 1] === "--only");
const ONLY = onlyArg ? new Set(onlyArg.replace(/^--only=/, "").split(",").map((x) => x.trim())) : null;
if (ONLY) for (const p of ONLY) if (!PHASES.includes(p as Phase)) refuse(`--only: unknown phase "${p}" (phases: ${PHASES.join(", ")})`);
const on = (phase: Phase) => (ONLY ? ONLY.has(phase) : true) && !(PAGE_SECTIONS.includes(phase) && args.has("--skip-http"));
// `--only` naming page sections alone: seed the large town, run just those on a reused build (bench/pages.ts).
const PAGE_ONLY = ONLY && [...ONLY].every((p) => PAGE_SECTIONS.includes(p)) ? (ONLY as Set<Section>) : null;
const IDLE_TOWNS = 1000;
const LARGE_EVENTS = 5000;
const SMALL_EVENTS = 50;
const CONCURRENT_CLIENTS = 20;
const COUNT_SIZES = [200, 2000, 10_000];

const log = (msg: string) => console.log(`[bench ${((performance.now() - benchStart) / 1000).toFixed(1)}s] ${msg}`);
const benchStart = performance.now();

function refuse(msg: string): never {
  console.error(`\n${msg}\n`);
  process.exit(2);
}

const REAL_PG_HINT =
  "Run it on a real Postgres, in a database of its own:\n" +
  '  su postgres -c "createdb -O gastown gastown_bench"\n' +
  "  DATABASE_URL=postgresql://gastown:gastown@127.0.0.1:5432/gastown_bench npm run bench          # or -- --quick";

if (!process.env.DATABASE_URL) refuse(`DATABASE_URL is not set (start the bench with \`npm run bench\`, which provides one).\n${REAL_PG_HINT}`);
const embedded = process.env.GASTOWN_DB_KIND === "embedded";
if (embedded) {
  const warning =
    "WARNING: DATABASE_URL was not set, so this runs on the embedded Postgres (PGlite). It serialises every\n" +
    "transaction through one connection: its numbers say nothing about the app on Postgres.";
  if (!args.has("--allow-embedded")) refuse(`${warning}\n${REAL_PG_HINT}\n(--allow-embedded runs it anyway.)`);
  console.warn(`\n${warning}\n`);
}

interface Row {
  metric: string;
  value: string;
  target: string;
  ok: boolean | null;
}

async function main() {
  const db = getDb();
  const pool = getPool();
  const counter = countStatements(pool);
  const deps = testTickDeps({ pool });

  const { rows: infoRows } = await pool.query(
    `SELECT current_database() AS db, current_setting('server_version') AS version, current_setting('synchronous_commit') AS sync,
            current_setting('shared_buffers') AS shared_buffers, (SELECT count(*)::int FROM towns) AS towns, (SELECT count(*)::int FROM users) AS users`,
  );
  const info = infoRows[0] as { db: string; version: string; sync: string; shared_buffers: string; towns: number; users: number };
  if (!embedded && !String(info.db).includes("bench") && info.towns + info.users > 0) {
    refuse(`The bench wipes its database, and "${info.db}" is not empty (${info.towns} towns, ${info.users} users).\n${REAL_PG_HINT}`);
  }
  await truncateAll(db);
  const poolMax = Number(process.env.DATABASE_POOL_MAX ?? 5);
  const loadAtStart = loadavg()[0];
  log(`Postgres ${info.version} (${info.db}${embedded ? ", EMBEDDED" : ""}), ${cpus().length} cores, pool max ${poolMax}, ${QUICK ? "quick" : "full"} run`);

  // ------------------------------------------------------------------ seed
  const owner = await makeUser(db, { email: "bench-owner@example.test" });
  const smallShape = mixShape("small", 200, 20, 1);
  const largeShape = mixShape("large", 10_000, 200, 4);
  const needTowns = on("ticks") || on("drain") || on("statements") || PAGE_ONLY !== null;
  const small = needTowns ? await seedTown(db, owner.id, smallShape) : (null as unknown as SeededTown);
  if (needTowns) log(`seeded small town: ${describeShape(smallShape)}`);
  const large = needTowns ? await seedTown(db, owner.id, largeShape) : (null as unknown as SeededTown);
  if (needTowns) log(`seeded large town: ${describeShape(largeShape)}`);
  if (PAGE_ONLY) return runOnly({ db, pool, townId: large.townId, quick: QUICK, sections: PAGE_ONLY, build: args.has("--build"), log });
  const counted: SeededTown[] = [small];
  if (on("statements")) {
    for (const size of COUNT_SIZES.slice(1)) counted.push(await seedTown(db, owner.id, paddedShape(smallShape, `count-${size}`, size)));
    log(`seeded statement-count towns (${COUNT_SIZES.join(" / ")} beads, the small town's live beads and agents)`);
  }
  await pool.query(`ANALYZE`);

  const reports: TickReport[] = [];
  const tick = async (town: SeededTown) => {
    const { ms: took, value } = await timed(() => runTick(deps, town.townId, { now: town.nextNow() }));
    if (!value) throw new Error(`tick of ${town.shape.label} did not get its lease`);
    reports.push(value);
    return { ms: took, report: value };
  };
  const enqueue = (town: SeededTown, n: number) => {
    const now = town.nextNow();
    return enqueueEvents(pool, town.townId, eventMix(town, n, now), now);
  };

  // ------------------------------------------------------------------ ticks
  const tickSamples = async (town: SeededTown, n: number, events: number) => {
    const times: number[] = [];
    const actions: number[] = [];
    for (let i = 0; i < n + 1; i++) {
      if (events) await enqueue(town, events);
      const t = await tick(town);
      if (events && t.report.eventsDrained !== events) throw new Error(`expected ${events} drained, got ${t.report.eventsDrained}`);
      if (i === 0) continue; // warm-up
      times.push(t.ms);
      actions.push(t.report.actionsEmitted);
    }
    return { p50: percentile(times, 50), p95: percentile(times, 95), actions: Math.max(...actions), n };
  };
  const none = { p50: NaN, p95: NaN, actions: 0, n: 0 };
  let smallTick = none;
  let largeIdle = none;
  let largeEvents = none;
  if (on("ticks")) {
    smallTick = await tickSamples(small, SAMPLES.smallTicks, SMALL_EVENTS);
    log(`small tick (${SMALL_EVENTS} events): p50 ${ms(smallTick.p50)}, p95 ${ms(smallTick.p95)} (n=${smallTick.n}, max actions ${smallTick.actions})`);
    largeIdle = await tickSamples(large, SAMPLES.largeIdleTicks, 0);
    log(`large tick (no events): p50 ${ms(largeIdle.p50)}, p95 ${ms(largeIdle.p95)} (n=${largeIdle.n}, max actions ${largeIdle.actions})`);
    largeEvents = await tickSamples(large, SAMPLES.largeEventTicks, LARGE_EVENTS);
    log(`large tick (${LARGE_EVENTS} events): p50 ${ms(largeEvents.p50)}, p95 ${ms(largeEvents.p95)} (n=${largeEvents.n})`);
  }

  // ------------------------------------------------------------------ drain and its baselines
  let drainRate = NaN;
  let baselineA = NaN;
  let baselineB = NaN;
  const work: WorkDrainResult[] = [];
  if (on("drain")) {
  const drainRates: number[] = [];
  for (let run = 0; run < SAMPLES.drainRuns; run++) {
    await enqueue(large, LARGE_EVENTS);
    const client = await pool.connect();
    try {
      const now = large.nextNow();
      const { ms: took, value } = await timed(() => drainEvents(new TickTx(client, false), large.townId, now, { apply: applyEvent }));
      if (value.drained !== LARGE_EVENTS || value.poisoned.length) throw new Error(`drain: ${value.drained} drained, ${value.poisoned.length} poisoned`);
      drainRates.push((value.drained / took) * 1000);
    } finally {
      client.release();
    }
  }
  drainRate = median(drainRates);
  log(`drain (light mix): ${int(drainRate)} events/s`);

  const pendingIds = async () =>
    (
      await pool.query(
        `SELECT event_id FROM town_events WHERE town_id = $1 AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL ORDER BY seq`,
        [large.townId],
      )
    ).rows.map((r) => r.event_id as string);
  await enqueue(large, LARGE_EVENTS);
  const ids = await pendingIds();
  baselineA = await (async () => {
    const client = await pool.connect();
    try {
      const now = large.nextNow();
      const { ms: took } = await timed(async () => {
        for (const id of ids) {
          await client.query("BEGIN");
          await client.query(`UPDATE town_events SET processed_at = $2 WHERE event_id = $1`, [id, now]);
          await client.query("COMMIT");
        }
      });
      return (ids.length / took) * 1000;
    } finally {
      client.release();
    }
  })();
  log(`baseline (a) one transaction per event: ${int(baselineA)} events/s`);
  const baselineBRates: number[] = [];
  for (let run = 0; run < 3; run++) {
    await enqueue(large, LARGE_EVENTS);
    const now = large.nextNow();
    const { ms: took, value } = await timed(() =>
      pool.query(`UPDATE town_events SET processed_at = $2 WHERE town_id = $1 AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL`, [
        large.townId,
        now,
      ]),
    );
    baselineBRates.push(((value.rowCount ?? 0) / took) * 1000);
  }
  baselineB = median(baselineBRates); // one statement is short: the median of three
  log(`baseline (b) one set-based UPDATE: ${int(baselineB)} events/s`);

  // the working drain: every event changes state, 1% fail every apply (bench/drain-work.ts)
  for (let run = 0; run < SAMPLES.drainRuns; run++) {
    const r = await workDrainRun(db, pool, owner.id, SAMPLES.workDrainEvents, `${run}`);
    work.push(r);
    log(`working drain run ${run + 1}: ${int(r.events)} events (${r.bad} poisoned after ${r.drains - 1} drains) in ${ms(r.ms)} → ${int(r.rate)} events/s`);
  }
  }
  const workRate = work.length ? median(work.map((w) => w.rate)) : NaN;

  // ------------------------------------------------------------------ statements per tick
  const statementsNoEvents: number[] = [];
  const statementsEvents: number[] = [];
  if (on("statements")) for (const town of counted) {
    await tick(town); // warm: same state as the measured tick
    statementsNoEvents.push((await counter.measure(() => tick(town))).statements);
    await enqueue(town, SMALL_EVENTS);
    statementsEvents.push((await counter.measure(() => tick(town))).statements);
  }
  if (on("statements")) log(`statements per tick, no events: ${statementsNoEvents.join(" / ")}; ${SMALL_EVENTS} events: ${statementsEvents.join(" / ")}`);

  // ------------------------------------------------------------------ acting ticks (issue 15)
  const acting: ActingResult[] = [];
  const prPaths: WebhookPathResult[] = [];
  if (on("acting")) {
    const env = await startActingEnv();
    try {
      for (const v of [
        { runtime: "http" as const, padding: 200, label: "http runtime, 200 beads" },
        { runtime: "local" as const, padding: 200, label: "local runtime (`true`), 200 beads" },
        { runtime: "http" as const, padding: 2000, label: "http runtime, 2,000 beads" },
      ]) {
        const r = await actingTicks(db, pool, counter, env, owner.id, { ...v, samples: SAMPLES.acting });
        acting.push(r);
        log(
          `acting tick (${r.label}): p50 ${ms(r.p50)}, p95 ${ms(r.p95)} (n=${r.samples}), ${r.statements.toFixed(1)} statements, ${r.actions.toFixed(0)} actions, ` +
            `${r.githubRequests.toFixed(0)} GitHub + ${r.runtimeRequests.toFixed(0)} runtime requests, ${r.failedSideEffects.toFixed(1)} failed side effects`,
        );
      }
      // Issue 16: merged PRs reported by webhook close their MRs without a request to GitHub; the poll path beside it.
      for (const via of ["webhook", "poll"] as const) {
        const r = await webhookPath(db, pool, env.fake, owner.id, { via, samples: SAMPLES.acting });
        prPaths.push(r);
        log(`${via} path: tick p50 ${ms(r.tickP50)}, p95 ${ms(r.tickP95)}; ${r.githubRequestsPerMr.toFixed(2)} GitHub requests per MR closed` + (via === "webhook" ? `; delivery p50 ${ms(r.deliveryP50)}, p95 ${ms(r.deliveryP95)}` : ""));
      }
    } finally {
      await env.close();
    }
  }

  // ------------------------------------------------------------------ idle sweep
  let sweepMs = NaN;
  let sweepStatements = NaN;
  let tickRowsWritten = NaN;
  let sweptTowns = 0;
  if (on("sweep")) {
  await pool.query(`UPDATE towns SET next_tick_at = now() + interval '1 day'`);
  const { ms: seedIdleMs } = await timed(() => seedIdleTowns(db, owner.id, IDLE_TOWNS));
  log(`seeded ${IDLE_TOWNS} idle towns in ${ms(seedIdleMs)}`);
  await pool.query(`ANALYZE towns`);
  const tickRowsBefore = Number((await pool.query(`SELECT count(*)::int AS n FROM ticks`)).rows[0].n);
  const sweepNow = new Date(Date.now() + 1000);
  const sweep = await counter.measure(() => timed(() => runTicks(deps, { now: sweepNow })));
  sweepMs = sweep.value.ms;
  sweepStatements = sweep.statements;
  tickRowsWritten = Number((await pool.query(`SELECT count(*)::int AS n FROM ticks`)).rows[0].n) - tickRowsBefore;
  sweptTowns = Number(
    (await pool.query(`SELECT count(*)::int AS n FROM towns WHERE last_tick_at = $1`, [sweepNow])).rows[0].n,
  );
  log(`sweep of ${IDLE_TOWNS} idle towns: ${ms(sweepMs)} (${sweptTowns} ticked, ${sweep.statements} statements, ${tickRowsWritten} tick rows)`);
  }

  // ------------------------------------------------------------------ capacity (issue 15)
  let capSteps: CapacityStep[] = [];
  if (on("capacity")) {
    const plan = QUICK
      ? [
          { instances: 1, towns: [150, 300, 600] },
          { instances: 2, towns: [300, 600, 1000] },
        ]
      : [
          // each list stops at the first step that falls behind, so it may reach as high as the code can go
          { instances: 1, towns: [150, 300, 450, 600, 800, 1000, 1300, 1600, 2000] },
          { instances: 2, towns: [600, 800, 1000, 1300, 1600, 2000, 2600, 3200] },
        ];
    capSteps = await capacity(db, pool, owner.id, plan, SAMPLES.capacitySeconds, log);
  }

  // ------------------------------------------------------------------ pages
  // The tick phases above update tens of thousands of rows; left alone, autovacuum and autoanalyze start on
  // them in the middle of the page measurements (seen: the overview's p95 tripled while they ran). Settle
  // the database first, so the page rows measure the pages.
  if (on("pages")) {
    await pool.query(`VACUUM (ANALYZE) beads, town_events, bead_events, agent_metadata, towns, ticks`);
    await pool.query(`CHECKPOINT`).catch(() => {}); // needs superuser or pg_checkpoint; fine without
  }
  let floor: LoadResult | null = null;
  let overview: LoadResult | null = null;
  let beadsPage: LoadResult | null = null;
  let httpNote = "";
  let pageSections: { rows: PageRow[]; header: string[] } = { rows: [], header: [] };
  if (!on("pages")) {
    httpNote = args.has("--skip-http") ? "skipped (--skip-http)" : "skipped (--only)";
  } else {
    const wantBuild = args.has("--build") || (!args.has("--skip-build") && (!QUICK || !hasBuild()));
    if (wantBuild) {
      log("next build …");
      const { ms: buildMs } = await timed(async () => buildApp());
      log(`next build: ${ms(buildMs)}`);
    } else {
      httpNote = "reused the existing .next build";
      log(`reusing the existing .next build (pass --build to rebuild)`);
    }
    const app = await startApp(process.env.DATABASE_URL!);
    try {
      const viewer = await signUp(app.url, `bench-${Date.now()}@example.test`);
      await addMembership(db, large.townId, viewer.userId, "member");
      const overviewPath = trpcBatchPath([["town.get", { townId: large.townId }]]);
      const beadsPath = trpcBatchPath([["bead.page", { townId: large.townId, limit: 50 }]]);
      const floorPath = trpcBatchPath([["health", {}]]);
      // warm-up: JIT, Prisma's first queries, the pools
      await load(app.url, floorPath, viewer.cookie, CONCURRENT_CLIENTS, 2);
      await load(app.url, overviewPath, viewer.cookie, CONCURRENT_CLIENTS, 2);
      await load(app.url, beadsPath, viewer.cookie, CONCURRENT_CLIENTS, 2);
      // the floor: the same request path (Next, tRPC, the session lookup every context does) with no town data
      floor = await load(app.url, floorPath, viewer.cookie, CONCURRENT_CLIENTS, SAMPLES.loadSeconds);
      log(`health (floor): p50 ${ms(floor.p50)}, p95 ${ms(floor.p95)}, ${int(floor.rps)} req/s`);
      overview = await load(app.url, overviewPath, viewer.cookie, CONCURRENT_CLIENTS, SAMPLES.loadSeconds);
      log(`overview: p50 ${ms(overview.p50)}, p95 ${ms(overview.p95)}, ${int(overview.rps)} req/s, ${overview.errors + overview.non2xx} errors`);
      beadsPage = await load(app.url, beadsPath, viewer.cookie, CONCURRENT_CLIENTS, SAMPLES.loadSeconds);
      log(`beads page: p50 ${ms(beadsPage.p50)}, p95 ${ms(beadsPage.p95)}, ${int(beadsPage.rps)} req/s, ${beadsPage.errors + beadsPage.non2xx} errors`);
      // whole page loads, many dashboards, browser weight (issue 15)
      const sections = ONLY ? (new Set([...ONLY].filter((p) => PAGE_SECTIONS.includes(p))) as Set<Section>) : null;
      pageSections = await pageBench({ app, db, pool, townId: large.townId, quick: QUICK, sections, log });
    } finally {
      await app.stop();
    }
  }

  // ------------------------------------------------------------------ table
  const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / Math.min(...xs);
  const allRows: (Row & { phase: Phase })[] = [
    { phase: "ticks",
      metric: `small town tick, ${SMALL_EVENTS} events — p50 / p95`,
      value: `${ms(smallTick.p50)} / ${ms(smallTick.p95)}`,
      target: "≤ 25 ms / ≤ 60 ms",
      ok: smallTick.p50 <= 25 && smallTick.p95 <= 60,
    },
    { phase: "ticks",
      metric: `large town tick, ${int(LARGE_EVENTS)} events — p50 / p95`,
      value: `${ms(largeEvents.p50)} / ${ms(largeEvents.p95)}`,
      target: "—",
      ok: null,
    },
    { phase: "ticks", metric: "large town tick, no events — p50 / p95", value: `${ms(largeIdle.p50)} / ${ms(largeIdle.p95)}`, target: "p50 ≤ 150 ms", ok: largeIdle.p50 <= 150 },
    { phase: "drain",
      metric: `light mix: large-town drain (${int(LARGE_EVENTS)} events, real apply)`,
      value: `${int(drainRate)} events/s`,
      target: "≥ 20,000/s",
      ok: drainRate >= 20_000,
    },
    { phase: "drain", metric: "baseline (a): one transaction per event", value: `${int(baselineA)} events/s`, target: "", ok: null },
    { phase: "drain", metric: "baseline (b): one set-based UPDATE", value: `${int(baselineB)} events/s`, target: "", ok: null },
    { phase: "drain", metric: "drain ÷ (a) / drain ÷ (b)", value: `${ratio(drainRate, baselineA)} / ${ratio(drainRate, baselineB)}`, target: "≥ 1× / —", ok: drainRate >= baselineA },
    { phase: "statements",
      metric: `statements per tick, no events — ${COUNT_SIZES.map(int).join(" / ")} beads`,
      value: statementsNoEvents.join(" / "),
      target: "constant ±10%",
      ok: spread(statementsNoEvents) <= 0.1,
    },
    { phase: "statements",
      metric: `statements per tick, ${SMALL_EVENTS} events — ${COUNT_SIZES.map(int).join(" / ")} beads`,
      value: statementsEvents.join(" / "),
      target: "constant ±10%",
      ok: spread(statementsEvents) <= 0.1,
    },
    { phase: "sweep",
      metric: `one sweep of ${int(IDLE_TOWNS)} idle towns — total`,
      value: `${ms(sweepMs)} (${(sweepStatements / IDLE_TOWNS).toFixed(1)} statements/town, ${tickRowsWritten} tick rows)`,
      target: "≤ 10 s",
      ok: sweepMs <= 10_000 && sweptTowns === IDLE_TOWNS,
    },
    overview
      ? { phase: "pages",
          metric: `overview (town.get, 10,000 beads), ${CONCURRENT_CLIENTS} clients — p50 / p95`,
          value: `${ms(overview.p50)} / ${ms(overview.p95)} (${int(overview.rps)} req/s)`,
          target: "p95 ≤ 100 ms",
          ok: overview.p95 <= 100 && overview.errors + overview.non2xx === 0,
        }
      : { phase: "pages", metric: "overview", value: httpNote, target: "p95 ≤ 100 ms", ok: null },
    beadsPage
      ? { phase: "pages",
          metric: `beads page (bead.page: 50 beads + counts by status), ${CONCURRENT_CLIENTS} clients — p50 / p95`,
          value: `${ms(beadsPage.p50)} / ${ms(beadsPage.p95)} (${int(beadsPage.rps)} req/s)`,
          target: "p95 ≤ 100 ms",
          ok: beadsPage.p95 <= 100 && beadsPage.errors + beadsPage.non2xx === 0,
        }
      : { phase: "pages", metric: "beads page", value: httpNote, target: "p95 ≤ 100 ms", ok: null },
    ...(floor
      ? [
          {
            phase: "pages" as const,
            metric: `reference: health (no town data; Next + tRPC + session lookup), ${CONCURRENT_CLIENTS} clients — p50 / p95`,
            value: `${ms(floor.p50)} / ${ms(floor.p95)} (${int(floor.rps)} req/s)`,
            target: "",
            ok: null,
          },
        ]
      : []),
    ...pageSections.rows.map((r) => ({ phase: "pages" as const, ...r })),
  ];
  const capacityOne = capacityOf(capSteps, 1);
  const capacityTwo = capacityOf(capSteps, 2);
  const stepsText = (instances: number) =>
    capSteps
      .filter((c) => c.instances === instances)
      .map((c) => `${c.towns}: p95 ${(c.lagP95 / 1000).toFixed(1)} s${c.holds ? "" : " ✗"}`)
      .join("; ");
  const newRows: (Row & { phase: Phase })[] = [
    ...acting.map((a, i) => ({
      phase: "acting" as const,
      metric: `acting small-town tick (${a.label}) — p50 / p95 (n=${a.samples})`,
      value: `${ms(a.p50)} / ${ms(a.p95)}`,
      target: i < 2 ? "p95 ≤ 150 ms" : "",
      ok: i < 2 ? a.p95 <= 150 && a.failedSideEffects === 0 : null,
    })),
    ...acting.map((a) => ({
      phase: "acting" as const,
      metric: `acting tick (${a.label}) — statements / actions → per action; HTTP requests per action (GitHub + runtime)`,
      value: `${a.statements.toFixed(0)} / ${a.actions.toFixed(0)} → ${(a.statements / a.actions).toFixed(2)}; ${((a.githubRequests + a.runtimeRequests) / a.actions).toFixed(2)} (${a.githubRequests.toFixed(0)} + ${a.runtimeRequests.toFixed(0)})`,
      target: "",
      ok: null,
    })),
    ...(acting.length >= 3
      ? [
          {
            phase: "acting" as const,
            metric: "acting tick statements per action — 200 / 2,000 beads (http runtime)",
            value: `${(acting[0].statements / acting[0].actions).toFixed(2)} / ${(acting[2].statements / acting[2].actions).toFixed(2)}`,
            target: "constant ±10%",
            ok: Math.abs(acting[2].statements / acting[2].actions - acting[0].statements / acting[0].actions) <= 0.1 * (acting[0].statements / acting[0].actions),
          },
        ]
      : []),
    ...prPaths.map((r) => ({
      phase: "acting" as const,
      metric:
        r.label === "webhook"
          ? `webhook path: 10 merged PRs delivered and closed — GitHub requests per MR; delivery p50 / p95; ticks until closed: count, p50 / p95 of their sum (n=${r.samples})`
          : `poll path (control): the same 10 merged PRs found by polling — GitHub requests per MR; ticks until closed: count, p50 / p95 of their sum (n=${r.samples})`,
      value:
        r.label === "webhook"
          ? `${r.githubRequestsPerMr.toFixed(2)}; ${ms(r.deliveryP50)} / ${ms(r.deliveryP95)}; ${r.ticksPerSample.toFixed(0)}, ${ms(r.tickP50)} / ${ms(r.tickP95)}`
          : `${r.githubRequestsPerMr.toFixed(2)}; ${r.ticksPerSample.toFixed(0)}, ${ms(r.tickP50)} / ${ms(r.tickP95)}`,
      target: r.label === "webhook" ? "0 GitHub requests" : "",
      ok: r.label === "webhook" ? r.githubRequestsPerMr === 0 : null,
    })),
    {
      phase: "drain",
      metric: `working drain (${int(SAMPLES.workDrainEvents)} events, every event changes state, 1% poisoned after 3 drains)`,
      value: `${int(workRate)} events/s`,
      target: "≥ 5,000/s",
      ok: workRate >= 5000,
    },
    { phase: "drain", metric: "working drain ÷ baseline (a)", value: ratio(workRate, baselineA), target: "≥ 3×", ok: workRate >= 3 * baselineA },
    {
      phase: "capacity",
      metric: "capacity: active small towns one instance keeps within the 5 s cadence (lag p95 ≤ 5 s)",
      value: `${int(capacityOne)} (${stepsText(1)})`,
      target: "≥ 300",
      ok: capacityOne >= 300,
    },
    {
      phase: "capacity",
      metric: "capacity: two instances over one Postgres",
      value: `${int(capacityTwo)} = ${ratio(capacityTwo, capacityOne)} (${stepsText(2)})`,
      target: "≥ 1.6×",
      ok: capacityOne > 0 && capacityTwo >= 1.6 * capacityOne,
    },
  ];
  const rows: Row[] = [...allRows, ...newRows].filter((r) => on(r.phase) || (r.phase === "pages" && !on("pages") && !ONLY));
  const mark = (ok: boolean | null) => (ok === null ? "" : ok ? "✓" : "✗");
  const table = [
    "| metric | measured | target | |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.metric} | ${r.value} | ${r.target} | ${mark(r.ok)} |`),
  ].join("\n");

  const totalS = (performance.now() - benchStart) / 1000;
  const commit = (() => {
    try {
      return execSync("git rev-parse --short HEAD", { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  const failed = rows.filter((r) => r.ok === false).map((r) => r.metric);
  const dirty = (() => {
    try {
      return execSync("git status --porcelain", { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    } catch {
      return true;
    }
  })();
  const header = [
    `# Bench results (${QUICK ? "quick" : "full"} run)`,
    "",
    `- date: ${new Date().toISOString()}, commit ${commit}${dirty ? " (dirty: the tree had uncommitted changes)" : ""}, bench wall time ${totalS.toFixed(0)} s`,
    `- machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}; 1-min load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (other work on the machine counts too)`,
    `- database: Postgres ${info.version}${embedded ? " — EMBEDDED (PGlite): numbers not meaningful" : ""}, synchronous_commit=${info.sync}, shared_buffers=${info.shared_buffers}; app pool max ${poolMax}`,
    `- small town: ${describeShape(smallShape)}; ${SMALL_EVENTS} pending events per tick`,
    `- large town: ${describeShape(largeShape)}; ${int(LARGE_EVENTS)} pending events per tick (or none)`,
    `- statement-count towns: the small town's live beads and agents, padded with closed beads to ${COUNT_SIZES.map(int).join(" / ")}`,
    `- event mix: ${EVENT_MIX_TEXT}`,
    `- ticks: runTick with the in-memory runtime and GitHub doubles; every town is in a steady state (no rule fires), samples after one warm-up tick: small ${SAMPLES.smallTicks}, large ${SAMPLES.largeIdleTicks} (no events) / ${SAMPLES.largeEventTicks} (events); drain runs ${SAMPLES.drainRuns}`,
    `- idle sweep: runTicks over ${int(IDLE_TOWNS)} towns made by createTown (mayor only), concurrency 4`,
    `- webhook and poll paths: ${WEBHOOK_TEXT}`,
    `- acting ticks: ${ACTING_TEXT} (200 or 2,000 beads); real adapters over loopback HTTP (fake GitHub, fake http runtime; the local runtime spawns \`true\`); the town restored before every sample (not timed); ${SAMPLES.acting} samples after one warm-up`,
    `- working drain: ${WORK_MIX_TEXT}; a fresh town per run, timed from the first drain until nothing is pending; ${SAMPLES.drainRuns} run(s), median`,
    `- capacity: towns made by createTown with a trickle of agent_completed events (1–3 per town every 3 s), ticked by 1 or 2 separate processes running the real ticker loop; the lag is the age of the oldest pending event, probed every 250 ms over ${SAMPLES.capacitySeconds} s per step (see bench/README.md)`,
    ...(ONLY ? [`- phases run: ${[...ONLY].join(", ")} (--only); the other rows are left out`] : []),
    `- pages: after VACUUM (ANALYZE) of the tables the ticks wrote; next start (production build${httpNote ? `, ${httpNote}` : ""}), ${CONCURRENT_CLIENTS} autocannon connections for ${SAMPLES.loadSeconds} s each after a 2 s warm-up, one signed-in member`,
    ...pageSections.header,
    "",
  ].join("\n");
  const notesFile = path.join(ROOT, "bench", "notes.md");
  const notes = existsSync(notesFile) ? readFileSync(notesFile, "utf8") : "";
  const summary = failed.length ? `Targets missed in this run: ${failed.join("; ")}.` : "Every target held in this run.";
  const doc = `${header}\n${table}\n\n${summary}\n${notes ? `\n${notes}` : ""}`;
  console.log(`\n${table}\n\n${summary}\n`);
  const outDir = path.join(ROOT, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "latest.md"), doc);
  log(`wrote bench/results/latest.md (${totalS.toFixed(0)} s)`);
  if (deps.captured.length) console.warn(`note: ${deps.captured.length} errors were captured during the run, e.g. ${String(deps.captured[0].err)}`);
}

main()
  .then(async () => {
    await getPool().end();
    await getDb().$disconnect();
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(err);
    process.exit(1);
  });
