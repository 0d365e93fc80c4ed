import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import type { PrismaClient } from "../server/db/generated/client";
import { createAdapters, loadAdapterConfig } from "../server/adapters";
import { startFakeRuntime, type FakeRuntimeServer } from "../server/adapters/agent-runtime/testing";
import { buildTickDeps } from "../server/tick/deps";
import { enqueueEvents } from "../server/tick/enqueue";
import { runTick } from "../server/tick/run-tick";
import { completedRun, startFakeGitHub, type FakeGitHub } from "../server/testing/fake-github/server";
import { makeBeads, makeRig, makeTown } from "../prisma/factories";
import type { StatementCounter } from "./counting";
import { percentile, timed } from "./stats";

// Acting ticks (issue 15): a small town whose every tick has work, through the real adapters over HTTP — the
// `http` agent runtime against the loopback fake runtime (server/adapters/agent-runtime/testing.ts) or the
// `local` runtime spawning `true`, and the Octokit GitHub adapter against the loopback fake GitHub
// (server/testing/fake-github). Per tick: 10 open issues to dispatch (10 idle polecats to reuse), 10 MRs whose
// PR is due for a poll, 2 MRs whose auto-merge is pending (merge_pr), 5 working polecats whose beads are
// cancelled by 5 pending `bead_cancelled` events (stop_agent). Before every sample (not timed) the town is
// restored to the same rows (a snapshot of its beads, agents, reviews and dependencies taken after seeding;
// what the last tick created is deleted, its pending events dropped), the merged PRs reopened and the five
// cancellations enqueued again, so every tick does the same work.

export const ACTING_TEXT =
  "10 issues to dispatch (idle polecats reused), 10 MRs due for a PR poll, 2 MRs with auto-merge pending (merge_pr), 5 bead_cancelled events stopping working polecats; padded with closed beads";

const DISPATCH = 10;
const POLL = 10;
const MERGE = 2;
const STOP = 5;

export interface ActingResult {
  label: string;
  samples: number;
  p50: number;
  p95: number;
  statements: number;
  actions: number;
  sideEffects: number;
  githubRequests: number;
  runtimeRequests: number;
  failedSideEffects: number;
}

interface ActingTown {
  townId: string;
  prUrls: { poll: string[]; merge: string[] };
  cancelIds: string[];
}

const SNAP = ["beads", "agent_metadata", "review_metadata"] as const;
const KEYS: Record<(typeof SNAP)[number], string> = { beads: "bead_id", agent_metadata: "bead_id", review_metadata: "bead_id" };

async function columnsOf(pool: pg.Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, [table]);
  return rows.map((r) => `"${r.column_name as string}"`);
}

async function seedActingTown(db: PrismaClient, pool: pg.Pool, ownerUserId: string, fake: FakeGitHub, runtimeName: string, padding: number, label: string): Promise<ActingTown> {
  const t0 = Date.now();
  const town = await makeTown(db, ownerUserId, { name: `bench acting ${label}` });
  await pool.query(`UPDATE town_settings SET config = config || $2::jsonb WHERE town_id = $1`, [town.id, JSON.stringify({ agent_runtime: runtimeName })]);
  const rig = await makeRig(db, town.id, { name: "rig-0", gitUrl: `${fake.webUrl}/acme/widgets`, config: { max_concurrent_polecats: 50, code_review: false } });
  const old = new Date(t0 - 60_000);
  const plan: { title: string; seed: Parameters<typeof makeBeads>[3] extends ((i: number) => infer S) | undefined ? S : never }[] = [];
  for (let i = 0; i < DISPATCH; i++) plan.push({ title: `open-${i}`, seed: { status: "open" } });
  for (let i = 0; i < STOP; i++) plan.push({ title: `cancel-${i}`, seed: { status: "in_progress", dispatchAttempts: 1 } });
  for (let i = 0; i < POLL; i++) plan.push({ title: `poll-src-${i}`, seed: { status: "in_review" } });
  for (let i = 0; i < MERGE; i++) plan.push({ title: `merge-src-${i}`, seed: { status: "in_review" } });
  for (let i = 0; i < POLL; i++) plan.push({ title: `poll-mr-${i}`, seed: { type: "merge_request", status: "in_progress", metadata: { last_poll_at: new Date(0).toISOString() } } });
  for (let i = 0; i < MERGE; i++) {
    plan.push({ title: `merge-mr-${i}`, seed: { type: "merge_request", status: "in_progress", metadata: { last_poll_at: new Date(t0 + 3_600_000).toISOString(), auto_merge_pending: true } } });
  }
  for (let i = 0; i < DISPATCH + STOP; i++) plan.push({ title: `Polecat-${i + 1}`, seed: { type: "agent", status: "open" } });
  const closed = Math.max(0, padding - plan.length);
  await makeBeads(db, town.id, plan.length, (i) => ({ ...plan[i].seed, title: plan[i].title, rigId: rig.id, createdAt: new Date(old.getTime() - i * 10) }));
  await makeBeads(db, town.id, closed, (i) => ({ status: "closed", title: `closed-${i}`, rigId: rig.id, createdAt: new Date(old.getTime() - 60_000 - i * 10) }));
  const ids = new Map<string, string>();
  for (const b of await db.bead.findMany({ where: { townId: town.id, status: { not: "closed" } }, select: { id: true, title: true } })) ids.set(b.title, b.id);
  const id = (t: string) => ids.get(t)!;
  const short = town.id.slice(0, 8);
  await db.agentMetadata.createMany({
    data: Array.from({ length: DISPATCH + STOP }, (_, i) => {
      const working = i >= DISPATCH;
      return {
        beadId: id(`Polecat-${i + 1}`),
        townId: town.id,
        role: "polecat",
        identity: `polecat-${short}-${i}`,
        status: working ? "working" : "idle",
        currentHookBeadId: working ? id(`cancel-${i - DISPATCH}`) : null,
        runtimeName: working ? runtimeName : null,
        lastActivityAt: working ? new Date(t0) : new Date(t0 - 3_600_000),
        dispatchedAt: working ? old : null,
        dispatchAttempts: working ? 1 : 0,
      };
    }),
  });
  await pool.query(`UPDATE beads b SET assignee_agent_bead_id = m.bead_id FROM agent_metadata m WHERE m.town_id = $1 AND b.bead_id = m.current_hook_bead_id`, [town.id]);
  const prUrls = { poll: [] as string[], merge: [] as string[] };
  const reviews: { beadId: string; townId: string; branch: string; prUrl: string }[] = [];
  const deps: { townId: string; beadId: string; dependsOnBeadId: string; dependencyType: string; createdAt: Date }[] = [];
  for (const [kind, n] of [["poll", POLL], ["merge", MERGE]] as const) {
    for (let i = 0; i < n; i++) {
      const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets", headRef: `gt/${kind}-${i}` });
      fake.setCheckRuns(prUrl, [completedRun("success")]);
      prUrls[kind].push(prUrl);
      reviews.push({ beadId: id(`${kind}-mr-${i}`), townId: town.id, branch: `gt/${kind}-${i}`, prUrl });
      deps.push({ townId: town.id, beadId: id(`${kind}-mr-${i}`), dependsOnBeadId: id(`${kind}-src-${i}`), dependencyType: "tracks", createdAt: old });
    }
  }
  await db.reviewMetadata.createMany({ data: reviews });
  await db.beadDependency.createMany({ data: deps });
  // the snapshot every sample is restored to
  for (const t of SNAP) {
    await pool.query(`DROP TABLE IF EXISTS bench_snap_${t}_${short}`);
    await pool.query(`CREATE TABLE bench_snap_${t}_${short} AS SELECT * FROM ${t} WHERE town_id = $1`.replace("$1", `'${town.id}'`));
  }
  return { townId: town.id, prUrls, cancelIds: Array.from({ length: STOP }, (_, i) => id(`cancel-${i}`)) };
}

async function restore(pool: pg.Pool, town: ActingTown, fake: FakeGitHub, cols: Record<string, string[]>) {
  const short = town.townId.slice(0, 8);
  await pool.query(`DELETE FROM town_events WHERE town_id = $1 AND processed_at IS NULL`, [town.townId]);
  // beads the last tick made (none expected, but a poll may file feedback): gone with their satellites
  await pool.query(`DELETE FROM beads WHERE town_id = $1 AND bead_id NOT IN (SELECT bead_id FROM bench_snap_beads_${short})`, [town.townId]);
  await pool.query(
    `DELETE FROM bead_dependencies WHERE town_id = $1 AND dependency_type <> 'tracks'`,
    [town.townId],
  );
  for (const t of SNAP) {
    const c = cols[t].filter((x) => x !== `"${KEYS[t]}"`);
    await pool.query(`UPDATE ${t} AS x SET (${c.join(", ")}) = (SELECT ${c.map((k) => `s.${k}`).join(", ")} FROM bench_snap_${t}_${short} s WHERE s.${KEYS[t]} = x.${KEYS[t]}) WHERE x.town_id = $1`, [town.townId]);
  }
  // the five stopped polecats were heard from just now (no GUPP, no lost-agent recovery)
  await pool.query(`UPDATE agent_metadata SET last_activity_at = now() WHERE town_id = $1 AND status = 'working'`, [town.townId]);
  for (const url of town.prUrls.merge) fake.updatePr(url, { state: "open", mergedWith: undefined });
  await enqueueEvents(
    pool,
    town.townId,
    town.cancelIds.map((beadId) => ({ eventType: "bead_cancelled", beadId, payload: { cancel_status: "failed", reason: "bench" } })),
    new Date(),
  );
}

export interface ActingEnv {
  fake: FakeGitHub;
  runtime: FakeRuntimeServer;
  workRoot: string;
  close(): Promise<void>;
}

export async function startActingEnv(): Promise<ActingEnv> {
  const fake = await startFakeGitHub({ token: "ghp_BENCHtoken0123456789abcdef0123456789" });
  const runtime = await startFakeRuntime();
  const workRoot = mkdtempSync(path.join(tmpdir(), "gastown-bench-agents-"));
  return {
    fake,
    runtime,
    workRoot,
    async close() {
      await fake.close();
      await runtime.close();
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}

/** `samples` ticks of a fresh acting town (after one warm-up), each from the restored state. */
export async function actingTicks(
  db: PrismaClient,
  pool: pg.Pool,
  counter: StatementCounter,
  env: ActingEnv,
  ownerUserId: string,
  opts: { runtime: "http" | "local"; padding: number; samples: number; label: string },
): Promise<ActingResult> {
  const { fake, runtime } = env;
  const config = loadAdapterConfig({
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_WEB_URL: fake.webUrl,
    GITHUB_TOKEN: "ghp_BENCHtoken0123456789abcdef0123456789",
    GASTOWN_SHARED_GITHUB_TOKEN: "all",
    GASTOWN_RUNTIMES: `benchhttp=${runtime.url}|${runtime.secret}`,
    GASTOWN_AGENT_COMMANDS: "benchlocal=true",
    GASTOWN_AGENT_WORK_ROOT: env.workRoot,
    GASTOWN_AGENT_STOP_GRACE_MS: "1000",
    PATH: process.env.PATH,
    HOME: process.env.HOME,
  });
  const captured: unknown[] = [];
  const deps = buildTickDeps({ adapters: createAdapters({ config }), pool, apiUrl: "http://127.0.0.1:9", instanceId: "bench-acting", captureException: (err) => captured.push(err) });
  const runtimeName = opts.runtime === "http" ? "benchhttp" : "benchlocal";
  const town = await seedActingTown(db, pool, ownerUserId, fake, runtimeName, opts.padding, opts.label);
  const cols: Record<string, string[]> = {};
  for (const t of SNAP) cols[t] = await columnsOf(pool, t);
  await pool.query(`ANALYZE beads, agent_metadata, review_metadata`);

  const times: number[] = [];
  let statements = 0;
  let actions = 0;
  let sideEffects = 0;
  let failed = 0;
  let gh = 0;
  let rt = 0;
  for (let i = 0; i <= opts.samples; i++) {
    await restore(pool, town, fake, cols);
    // the stopped agents are running at the fake runtime (the observe phase asks it)
    for (const a of (await pool.query(`SELECT bead_id FROM agent_metadata WHERE town_id = $1 AND status = 'working'`, [town.townId])).rows) {
      runtime.agents.set(a.bead_id as string, { status: "running" });
    }
    const ghBefore = fake.calls.length;
    const rtBefore = runtime.calls.length;
    const measured = await counter.measure(() => timed(() => runTick(deps, town.townId, { now: new Date() })));
    const report = measured.value.value;
    if (!report) throw new Error("acting tick did not get its lease");
    const byType = report.actionsByType;
    if ((byType.dispatch_agent ?? 0) !== DISPATCH || (byType.poll_pr ?? 0) !== POLL || (byType.merge_pr ?? 0) !== MERGE || (byType.stop_agent ?? 0) !== STOP) {
      throw new Error(`acting tick (${opts.label}) did other work than planned: ${JSON.stringify(byType)}; captured: ${captured.map(String).join("; ")}`);
    }
    if (i === 0) {
      counter.texts.clear();
      continue; // warm-up
    }
    times.push(measured.value.ms);
    statements += measured.statements;
    actions += report.actionsEmitted;
    sideEffects += report.sideEffectsAttempted;
    failed += report.sideEffectsFailed;
    gh += fake.calls.length - ghBefore;
    rt += runtime.calls.length - rtBefore;
  }
  const n = opts.samples;
  if (counter.texts.size > 0) {
    // BENCH_STATEMENTS=1: where an acting tick's statements go (per tick; the restore's statements included)
    const top = [...counter.texts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
    console.log(`statements per acting tick (${opts.label}), restore included:\n` + top.map(([t, c]) => `${(c / n).toFixed(1).padStart(6)}  ${t}`).join("\n"));
    counter.texts.clear();
  }
  return {
    label: opts.label,
    samples: n,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    statements: statements / n,
    actions: actions / n,
    sideEffects: sideEffects / n,
    githubRequests: gh / n,
    runtimeRequests: rt / n,
    failedSideEffects: failed / n,
  };
}
