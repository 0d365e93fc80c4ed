import pg from "pg";
import { getDb } from "../server/db/client";
import { startApp, load, trpcBatchPath } from "./http";
import { groupCpuSeconds } from "./dashboards";
import { signedInMembers } from "./sessions";

const url = process.env.DATABASE_URL!;
const pool = new pg.Pool({ connectionString: url });
const { rows } = await pool.query(`SELECT t.id FROM towns t JOIN beads b ON b.town_id = t.id GROUP BY t.id ORDER BY count(*) DESC LIMIT 1`);
const townId = rows[0].id as string;
const [m] = await signedInMembers(getDb(), townId, 1, "cost");
const app = await startApp(url);
const cases: [string, string][] = [
  ["document /towns/:id", `/towns/${townId}`],
  ["document /sign-in (static)", `/sign-in`],
  ["trpc health", trpcBatchPath([["health", undefined]])],
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
    console.log(`${name.padEnd(28)} ${String(Math.round(r.rps)).padStart(6)}/s  app CPU ${((cpu * 1000) / r.requests).toFixed(2)} ms/req  p50 ${r.p50} ms  non2xx ${r.non2xx}`);
  }
} finally {
  await app.stop();
  await pool.end();
  await getDb().$disconnect();
}
