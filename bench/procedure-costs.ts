// What one request of each kind costs the app (issue 15, a diagnostic, not part of `npm run bench`): on the
// largest town of the bench database (run `npm run bench -- --only pages` first to seed it), a `next start` of
// the current build, one signed-in member, and for each document or tRPC call 10 connections for 6 s after 2 s
// of warm-up. Prints requests/s and the app's CPU per request (from /proc). Where a row's requests/s is far
// below 1,000 ÷ its CPU per request × cores, the time goes to Postgres.
//   DATABASE_URL=... LOG_LEVEL=warn npx tsx bench/procedure-costs.ts
import pg from "pg";
import { getDb } from "../server/db/client";
import { startApp, load, trpcBatchPath } from "./http";
import { groupCpuSeconds } from "./dashboards";
import { signedInMembers } from "./sessions";

const url = process.env.DATABASE_URL;
if (!url) throw new Error("Set DATABASE_URL to the bench database (seeded by `npm run bench -- --only pages`).");
const pool = new pg.Pool({ connectionString: url });
const { rows } = await pool.query(`SELECT t.id FROM towns t JOIN beads b ON b.town_id = t.id GROUP BY t.id ORDER BY count(*) DESC LIMIT 1`);
if (!rows[0]) throw new Error("No town with beads in that database: run `npm run bench -- --only pages` first.");
const townId = rows[0].id as string;
const [m] = await signedInMembers(getDb(), townId, 1, "cost");
const app = await startApp(url);
const cases: [string, string][] = [
  ["document /towns/:id", `/towns/${townId}`],
  ["document /sign-in (static)", `/sign-in`],
    ["trpc account.me", trpcBatchPath([["account.me", undefined]])],
  ["trpc town.get", trpcBatchPath([["town.get", { townId }]])],
  ["trpc tick.chart", trpcBatchPath([["tick.chart", { townId }]])],
  ["trpc notification.list", trpcBatchPath([["notification.list", { townId }]])],
  ["trpc mayor.status", trpcBatchPath([["mayor.status", { townId }]])],
  ["trpc mayor.conversation", trpcBatchPath([["mayor.conversation", { townId }]])],
  ["trpc rig.list", trpcBatchPath([["rig.list", { townId }]])],
  ["trpc bead.page", trpcBatchPath([["bead.page", { townId }]])],
  ["trpc review.list", trpcBatchPath([["review.list", { townId }]])],
  ["trpc event.list", trpcBatchPath([["event.list", { townId }]])],
  ["trpc event.counts", trpcBatchPath([["event.counts", { townId }]])],
  ["overview batch", trpcBatchPath([["account.me", undefined], ["town.get", { townId }], ["tick.chart", { townId }], ["notification.list", { townId }], ["mayor.status", { townId }], ["mayor.conversation", { townId }]])],
];
try {
  for (const [name, path] of cases) {
    await load(app.url, path, m.cookie, 10, 2);
    const c0 = groupCpuSeconds(app.pid);
    const r = await load(app.url, path, m.cookie, 10, 6);
    const cpu = groupCpuSeconds(app.pid) - c0;
    console.log(`${name.padEnd(28)} ${String(Math.round(r.rps)).padStart(6)}/s  app CPU ${((cpu * 1000) / r.requests).toFixed(2)} ms/request  p50 ${r.p50.toFixed(1)} ms  non-2xx ${r.non2xx}`);
  }
} finally {
  await app.stop();
  await pool.end();
  await getDb().$disconnect();
}
