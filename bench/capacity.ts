import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type pg from "pg";
import type { PrismaClient } from "../server/db/generated/client";
import { seedIdleTowns } from "./fixtures";
import { ROOT } from "./http";
import { percentile } from "./stats";

// Capacity (issue 15): how many small towns with a trickle of events one app instance keeps within the 5 s
// cadence of active towns (SPEC.md §3b), and two instances over the same Postgres (the tick lease spreads
// the towns between them). An instance is a separate Node process running the real ticker loop
// (bench/capacity-worker.ts → startTicker → runTicks, pool max 5, sweep concurrency 4).
//
// Method: N towns made by createTown (owner, settings, mayor). For each step the first N of them get a
// trickle: every 500 ms one sixth of them (a different sixth each time) get 1–3 `agent_completed` events for
// their mayor (real apply work: the mayor's counters and status) and are made due, as enqueueEvents does —
// so each town sees 1–3 events every 3 s, and every town must be ticked within 5 s of its events to keep up.
// Every 250 ms the bench reads the age of the oldest pending event of those towns ("lag"). A step holds
// when the p95 of that lag over the step stays ≤ 5 s; capacity is the largest N that holds. Each step runs
// 3 s of warm-up and `seconds` of measurement; between steps the queue is drained.

export interface CapacityStep {
  instances: number;
  towns: number;
  lagP50: number;
  lagP95: number;
  lagMax: number;
  events: number;
  holds: boolean;
}

function startWorker(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), path.join(ROOT, "bench", "capacity-worker.ts")], {
      cwd: ROOT,
      env: { ...process.env, GASTOWN_LOCAL_TICKER: "0", DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX ?? "5" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const timer = setTimeout(() => reject(new Error("capacity worker did not start in 60 s")), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("READY")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => reject(new Error(`capacity worker exited (${code})`)));
  });
}

async function stopWorker(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function step(pool: pg.Pool, townIds: string[], seconds: number): Promise<Omit<CapacityStep, "instances" | "holds" | "towns">> {
  const groups = 6;
  let k = 0;
  let events = 0;
  const lags: number[] = [];
  const started = Date.now();
  const warmUntil = started + 3000;
  const until = warmUntil + seconds * 1000;
  let nextTrickle = started;
  let nextProbe = started;
  while (Date.now() < until) {
    const now = Date.now();
    if (now >= nextTrickle) {
      const group = townIds.filter((_, i) => i % groups === k % groups);
      k += 1;
      // 1–3 events per town of the group, in one statement, then the towns made due (enqueueEvents' SQL)
      const counts = group.map(() => 1 + Math.floor(Math.random() * 3));
      events += counts.reduce((a, b) => a + b, 0);
      await pool.query(
        `INSERT INTO town_events (town_id, event_type, agent_id, payload, created_at)
         SELECT t.id, 'agent_completed', NULL, '{"status":"completed","reason":"bench trickle"}'::jsonb, now()
           FROM unnest($1::text[], $2::int[]) AS t(id, n), generate_series(1, t.n)`,
        [group, counts],
      );
      await pool.query(`UPDATE towns SET next_tick_at = now() WHERE id = ANY($1::text[]) AND next_tick_at > now()`, [group]);
      nextTrickle += 500;
    }
    if (now >= nextProbe) {
      const { rows } = await pool.query(
        `SELECT coalesce(extract(epoch FROM now() - min(created_at)) * 1000, 0) AS lag FROM town_events
          WHERE town_id = ANY($1::text[]) AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL`,
        [townIds],
      );
      if (now >= warmUntil) lags.push(Number(rows[0].lag));
      nextProbe += 250;
    }
    await sleep(Math.max(0, Math.min(nextTrickle, nextProbe) - Date.now()));
  }
  return { lagP50: percentile(lags, 50), lagP95: percentile(lags, 95), lagMax: Math.max(...lags), events };
}

async function drainLeftovers(pool: pg.Pool, townIds: string[]) {
  for (let i = 0; i < 60; i++) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM town_events WHERE town_id = ANY($1::text[]) AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL`,
      [townIds],
    );
    if (Number(rows[0].n) === 0) return;
    await sleep(500);
  }
}

/** Before a step: what an earlier step left behind must not count against this one — its events still
 *  pending (a step that fell behind may not drain within drainLeftovers' 30 s) are marked processed, and the
 *  leases of the previous phase's stopped instance (killed mid-sweep, they would hold its towns for up to
 *  60 s) released at the start of a phase. */
async function settle(pool: pg.Pool, townIds: string[], opts: { leases: boolean }) {
  await pool.query(`UPDATE town_events SET processed_at = now() WHERE town_id = ANY($1::text[]) AND processed_at IS NULL`, [townIds]);
  // only at the start of a phase: later, the running instances' own leases are theirs
  if (opts.leases) await pool.query(`UPDATE towns SET tick_lease_owner = NULL, tick_lease_until = 'epoch' WHERE id = ANY($1::text[])`, [townIds]);
}

/** Runs the steps (town counts per instance count) and returns every step's lag. */
export async function capacity(
  db: PrismaClient,
  pool: pg.Pool,
  ownerUserId: string,
  plan: { instances: number; towns: number[] }[],
  seconds: number,
  log: (m: string) => void,
): Promise<CapacityStep[]> {
  const max = Math.max(...plan.flatMap((p) => p.towns));
  // nothing else in the database is due while this runs: the instances tick only these towns
  await pool.query(`UPDATE towns SET next_tick_at = now() + interval '1 day'`);
  const ids = await seedIdleTowns(db, ownerUserId, max);
  await pool.query(`UPDATE towns SET next_tick_at = now() + interval '1 day' WHERE id = ANY($1::text[])`, [ids]);
  await pool.query(`ANALYZE towns, town_events, agent_metadata, beads`);
  log(`capacity: seeded ${max} towns`);
  const out: CapacityStep[] = [];
  for (const { instances, towns } of plan) {
    const workers: ChildProcess[] = [];
    try {
      for (let i = 0; i < instances; i++) workers.push(await startWorker());
      for (const n of towns) {
        const stepIds = ids.slice(0, n);
        await settle(pool, ids, { leases: n === towns[0] });
        const r = await step(pool, stepIds, seconds);
        const s: CapacityStep = { instances, towns: n, ...r, holds: r.lagP95 <= 5000 };
        out.push(s);
        log(`capacity: ${instances} instance(s), ${n} towns — lag p50 ${Math.round(r.lagP50)} ms, p95 ${Math.round(r.lagP95)} ms, max ${Math.round(r.lagMax)} ms (${r.events} events) ${s.holds ? "holds" : "falls behind"}`);
        await drainLeftovers(pool, stepIds);
        await pool.query(`UPDATE towns SET next_tick_at = now() + interval '1 day' WHERE id = ANY($1::text[])`, [stepIds]);
        if (!s.holds) break; // more towns will not do better
      }
    } finally {
      for (const w of workers) await stopWorker(w);
    }
  }
  return out;
}

/** The largest town count that held for this many instances (0 when none did). */
export function capacityOf(steps: CapacityStep[], instances: number): number {
  return Math.max(0, ...steps.filter((s) => s.instances === instances && s.holds).map((s) => s.towns));
}
