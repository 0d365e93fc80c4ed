import type { Pool } from "pg";
import type { PrismaClient } from "../server/db/generated/client";
import { kB, proceduresOf, recordPages, type RecordedPage } from "./browser";
import { runDashboards, type DashboardsResult } from "./dashboards";
import { buildApp, hasBuild, startApp, type AppServer } from "./http";
import { Client } from "./replay";
import { signedInMembers } from "./sessions";
import { int, ms, percentile } from "./stats";

// Issue 15, items 3, 4 and 6, on a running `next start` and the large town:
//   whole page loads — the overview, beads, reviews and poison pages as Chromium loads them (recorded once:
//     the HTML document + every tRPC call of the first render), replayed by 20 distinct signed-in members,
//     each loading the page over and over (the document, then its calls in parallel);
//   many dashboards — 200 open overviews polling as Chromium was seen to poll (dashboards.ts);
//   browser weight — the JavaScript a first visit to the overview downloads, compressed, from Chromium.
// Static JS and CSS are not replayed: a browser caches them (immutable, hashed names) after the first visit,
// and the issue's load is the HTML and the tRPC calls. The weight row counts them for a first visit.

export const SECTIONS = ["pages", "dashboards", "weight"] as const;
export type Section = (typeof SECTIONS)[number];

export interface PageRow {
  metric: string;
  value: string;
  target: string;
  ok: boolean | null;
}

export const PAGE_USERS = 20;
export const DASHBOARDS = 200;
const PAGE_P95_TARGET_MS = 200;
const DASHBOARD_CPU_TARGET = 0.5;
const WEIGHT_TARGET_KB = 250;
/** a multiple of every interval the overview polls at (3 s, 5 s, 15 s: components/ui/live.ts) */
const POLL_WINDOW_MS = 30_000;
const POISONED_FOR_THE_INBOX = 30;

/** `--only pages,dashboards,weight` (any of them): run just those, on a freshly seeded large town. */
export function onlySections(argv: string[] = process.argv.slice(2)): Set<Section> | null {
  const i = argv.indexOf("--only");
  const raw = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  if (raw === undefined) return null;
  const picked = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = picked.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (bad.length || !picked.length) throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(", ")} (got "${raw}")`);
  return new Set(picked as Section[]);
}

interface LoadStats {
  name: string;
  samples: number;
  p50: number;
  p95: number;
  loadsPerS: number;
  errors: number;
  documentP95: number;
  trpcP95: number;
}

/** `users` members load `page` as fast as they can for `seconds`: a closed loop, like people clicking. */
async function replayLoads(origin: string, page: RecordedPage, cookies: string[], seconds: number): Promise<LoadStats> {
  const clients = cookies.map((c) => new Client(origin, c));
  const totals: number[] = [];
  const docs: number[] = [];
  const calls: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < until) {
        try {
          const r = await client.load(page);
          totals.push(r.ms);
          docs.push(r.documentMs);
          calls.push(r.trpcMs);
          if (!r.ok) errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const wall = (performance.now() - start) / 1000;
  for (const c of clients) c.close();
  return {
    name: page.name,
    samples: totals.length,
    p50: percentile(totals, 50),
    p95: percentile(totals, 95),
    loadsPerS: totals.length / wall,
    errors,
    documentP95: percentile(docs, 95),
    trpcP95: percentile(calls, 95),
  };
}

/** The large town's poison inbox holds a page of poisoned events (the drain phases may have left some). */
async function fillPoisonInbox(pool: Pool, townId: string): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM town_events WHERE town_id = $1 AND poisoned_at IS NOT NULL AND discarded_at IS NULL`, [townId]);
  const missing = Math.max(0, POISONED_FOR_THE_INBOX - rows[0].n);
  if (missing)
    await pool.query(
      `INSERT INTO town_events (town_id, event_type, payload, retry_count, last_error, poisoned_at, poison_reason)
       SELECT $1, 'agent_completed', jsonb_build_object('agentId', 'bench-missing-' || g), 3, 'bench: agent not found', now(), 'max_retries'
       FROM generate_series(1, $2::int) g`,
      [townId, missing],
    );
  return rows[0].n + missing;
}

export async function pageBench(opts: {
  app: AppServer;
  db: PrismaClient;
  pool: Pool;
  townId: string;
  quick: boolean;
  sections?: Set<Section> | null;
  log: (msg: string) => void;
}): Promise<{ rows: PageRow[]; header: string[] }> {
  const { app, db, pool, townId, log } = opts;
  const want = (s: Section) => !opts.sections || opts.sections.has(s);
  const loadSeconds = opts.quick ? 6 : 12;
  const measureMs = opts.quick ? 20_000 : 45_000;
  const staggerMs = opts.quick ? 5_000 : 10_000;
  const rows: PageRow[] = [];
  const header: string[] = [];

  const poisoned = await fillPoisonInbox(pool, townId);
  const members = await signedInMembers(db, townId, want("dashboards") ? DASHBOARDS : PAGE_USERS, "bench-viewer");
  await pool.query(`ANALYZE town_events, sessions, town_members, users`);
  log(`${members.length} signed-in members of the large town; ${poisoned} poisoned events in its inbox`);

  const base = `/towns/${townId}`;
  const pagesToRecord = [
    { name: "overview", path: base },
    { name: "beads", path: `${base}/beads` },
    { name: "reviews", path: `${base}/reviews` },
    { name: "poison", path: `${base}/poison` },
  ];
  // one visit of each first, unrecorded: the server's first render of a route compiles and caches a lot
  const warm = new Client(app.url, members[0].cookie);
  for (const p of pagesToRecord) await warm.send({ method: "GET", path: p.path, headers: { accept: "text/html" } });
  warm.close();
  const pollWindow = want("dashboards") ? POLL_WINDOW_MS : 0;
  log(`recording the pages in Chromium${pollWindow ? ` (and ${pollWindow / 1000} s of the overview's polls)` : ""} …`);
  const rec = await recordPages(app.url, members[0].cookie, pagesToRecord, pollWindow);
  const overview = rec.pages[0];
  for (const p of rec.pages) {
    log(
      `  ${p.name}: document ${kB(p.document.transferred)} (${p.document.contentEncoding ?? "identity"}), ${p.trpc.length} tRPC request(s): ` +
        `${p.trpc.map((c) => `[${proceduresOf(c.path)}]`).join(" ")}; ${p.scripts.length} scripts, ${p.other.length} other requests` +
        `${p.other.length ? ` (${p.other.map((o) => o.path.slice(0, 60)).join(", ")})` : ""}; Chromium: ${ms(p.browserMs)}`,
    );
  }
  // Next also prefetches the routes of the links in view (`?_rsc=` requests, each a server render): counted,
  // not replayed — the issue's load is the document and the tRPC calls.
  const prefetches = (p: RecordedPage) => p.other.filter((o) => o.kind === "prefetch").length;
  const describe = (p: RecordedPage) =>
    `document + ${p.trpc.map((c) => `[${proceduresOf(c.path)}]`).join(" ")}${prefetches(p) ? `; Chromium also sent ${prefetches(p)} route prefetches, not replayed` : ""}`;

  // ------------------------------------------------------------ weight (from the recording, no load)
  if (want("weight")) {
    const js = overview.scripts;
    const transferred = js.reduce((a, r) => a + r.transferred, 0);
    const decoded = js.reduce((a, r) => a + r.decoded, 0);
    const encodings = [...new Set(js.map((r) => r.contentEncoding ?? "none"))].join(", ");
    const css = overview.styles.reduce((a, r) => a + r.transferred, 0);
    log(`overview first visit: ${js.length} scripts, ${kB(transferred)} transferred (${kB(decoded)} decoded, content-encoding ${encodings}); CSS ${kB(css)}; document ${kB(overview.document.transferred)}`);
    rows.push({
      metric: `overview first visit — JavaScript transferred (${js.length} scripts, content-encoding ${encodings})`,
      value: `${kB(transferred)} (${kB(decoded)} uncompressed); CSS ${kB(css)}, HTML ${kB(overview.document.transferred)}`,
      target: `≤ ${WEIGHT_TARGET_KB} kB`,
      ok: transferred / 1024 <= WEIGHT_TARGET_KB,
    });
    header.push(
      `- browser weight: Chromium (Debian's, fresh profile, empty cache), the overview's first visit; DevTools' transferred bytes (encodedDataLength: compressed body + headers) of every script response`,
    );
  }

  // ------------------------------------------------------------ whole page loads
  if (want("pages")) {
    const cookies = members.slice(0, PAGE_USERS).map((m) => m.cookie);
    for (const p of rec.pages) {
      await replayLoads(app.url, p, cookies, 2); // warm-up
      const s = await replayLoads(app.url, p, cookies, loadSeconds);
      log(`${p.name}: p50 ${ms(s.p50)}, p95 ${ms(s.p95)} (${s.samples} loads, ${s.loadsPerS.toFixed(1)}/s; document p95 ${ms(s.documentP95)}, tRPC p95 ${ms(s.trpcP95)}), ${s.errors} errors`);
      rows.push({
        metric: `whole load: ${p.name} page (${describe(p)}), ${PAGE_USERS} users — p50 / p95`,
        value: `${ms(s.p50)} / ${ms(s.p95)} (${s.loadsPerS.toFixed(1)} loads/s, n=${int(s.samples)}; document p95 ${ms(s.documentP95)}, calls p95 ${ms(s.trpcP95)})`,
        target: `p95 ≤ ${PAGE_P95_TARGET_MS} ms`,
        ok: s.p95 <= PAGE_P95_TARGET_MS && s.errors === 0 && s.samples >= 30,
      });
    }
    header.push(
      `- whole page loads: each page recorded once in Chromium (document + the tRPC calls of its first render; static JS/CSS not replayed — browsers cache them), then ${PAGE_USERS} distinct signed-in members load it in a closed loop for ${loadSeconds} s after a 2 s warm-up: the document, then its calls in parallel (≤ 6 connections per member, Chromium's headers)`,
    );
  }

  // ------------------------------------------------------------ many dashboards
  if (want("dashboards")) {
    const d: DashboardsResult = await runDashboards({
      origin: app.url,
      members,
      overview,
      polls: rec.overviewPolls,
      appPid: app.pid,
      dbPids: async () =>
        (await pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows.map((r) => Number(r.pid)),
      staggerMs,
      measureMs,
      describe: proceduresOf,
    });
    const keptUp = d.pollsPerS >= 0.9 * d.demandedPerS;
    log(
      `${d.clients} dashboards: app CPU ${d.appCpu.toFixed(2)} s/s${d.dbCpu === null ? "" : `, Postgres ${d.dbCpu.toFixed(2)} s/s`}; ${int(d.polls)} polls ` +
        `(${d.pollsPerS.toFixed(0)}/s of ${d.demandedPerS.toFixed(0)}/s asked for), ${d.cpuPerPollMs.toFixed(1)} ms CPU per poll` +
        `${keptUp ? "" : ` — fell behind: the asked-for rate would cost ${d.demandedCpu.toFixed(2)} CPU-s/s`}; p50 ${ms(d.p50)}, p95 ${ms(d.p95)}, ${d.errors} errors`,
    );
    log(`  one open overview, every ${POLL_WINDOW_MS / 1000} s: ${d.schedule.join("; ")}`);
    rows.push({
      metric: `${d.clients} open overviews polling (${(d.demandedPerS / d.clients).toFixed(2)} requests/s each) — app CPU per second of wall time`,
      value:
        `${d.appCpu.toFixed(2)} CPU-s/s${d.dbCpu === null ? "" : ` (+ Postgres ${d.dbCpu.toFixed(2)})`}, ${d.cpuPerPollMs.toFixed(1)} ms per poll; ` +
        `polls p50 / p95 ${ms(d.p50)} / ${ms(d.p95)} (${d.pollsPerS.toFixed(0)}/s${keptUp ? "" : ` of ${d.demandedPerS.toFixed(0)}/s asked for — fell behind; at that rate ≈ ${d.demandedCpu.toFixed(2)} CPU-s/s`}, n=${int(d.polls)})`,
      target: `≤ ${DASHBOARD_CPU_TARGET} CPU-s/s`,
      ok: keptUp && d.appCpu <= DASHBOARD_CPU_TARGET && d.errors === 0,
    });
    header.push(
      `- dashboards: ${d.clients} sessions open the overview (a whole load each) staggered over ${staggerMs / 1000} s, then poll as Chromium polled an open overview (recorded ${POLL_WINDOW_MS / 1000} s, repeated: ${d.schedule.length} requests per window); CPU = utime+stime of the next start process group from /proc over ${(measureMs / 1000).toFixed(0)} s after every page is open`,
    );
  }
  return { rows, header };
}

/** `--only …`: just these sections on the seeded large town; prints its table, writes no results file
 *  (a partial run is not the bench's record). */
export async function runOnly(opts: {
  db: PrismaClient;
  pool: Pool;
  townId: string;
  quick: boolean;
  sections: Set<Section>;
  build: boolean;
  log: (msg: string) => void;
}): Promise<void> {
  const { log } = opts;
  await opts.pool.query(`VACUUM (ANALYZE) beads, town_events, bead_events, agent_metadata, towns`);
  if (opts.build || !hasBuild()) {
    log("next build …");
    buildApp();
  } else log("reusing the existing .next build (pass --build to rebuild)");
  const app = await startApp(process.env.DATABASE_URL!);
  try {
    const { rows, header } = await pageBench({ ...opts, app });
    const mark = (ok: boolean | null) => (ok === null ? "" : ok ? "✓" : "✗");
    console.log(`\n${header.join("\n")}\n\n| metric | measured | target | |\n|---|---|---|---|\n${rows.map((r) => `| ${r.metric} | ${r.value} | ${r.target} | ${mark(r.ok)} |`).join("\n")}\n`);
  } finally {
    await app.stop();
  }
}
