// One app instance for the capacity bench (bench/capacity.ts): the real in-process ticker loop
// (server/tick/ticker.ts: every second, runTicks over the due towns, one sweep at a time) with the app's own
// tick dependencies (getTickDeps: the pg pool, the adapters of the environment), until it is sent SIGTERM.
import { getPool } from "../server/db/pool";
import { startTicker } from "../server/tick/ticker";

startTicker(1000);
// the ticker's timer is unref'd (it never keeps the app alive on its own): this process lives until told
const keepAlive = setInterval(() => {}, 60_000);
process.on("SIGTERM", async () => {
  clearInterval(keepAlive);
  await getPool().end().catch(() => {});
  process.exit(0);
});
console.log("READY");
