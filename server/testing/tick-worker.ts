// A separate process that ticks towns, for the concurrency and crash tests (run with tsx).
// Usage: tsx server/testing/tick-worker.ts <townId> <seconds> [hangOnEventType]
//        CRASH_AT=drained|state_applied|side_effect  kills this process (SIGKILL) at that point of its first tick
// Ticks the town (through runTicks, as the cron route does) until no event is pending or time runs out.
// With hangOnEventType, the apply of the first such event never returns: the test kills this process
// mid-drain to prove a crashed tick loses nothing and applies nothing twice.
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import { runTicks } from "../tick/run-ticks";
import { RecordingRuntime, testTickDeps } from "./tick-doubles";

const [townId, seconds = "20", hangOn] = process.argv.slice(2);
const deadline = Date.now() + Number(seconds) * 1000;
const crashAt = process.env.CRASH_AT;
const die = (where: string) => {
  console.log(`CRASHING ${where}`);
  process.kill(process.pid, "SIGKILL");
};
const runtime = new RecordingRuntime();
if (crashAt === "side_effect") runtime.onStart = () => (die("side_effect"), new Promise(() => {}));
const deps = testTickDeps({
  runtime,
  onPhase: (phase) => {
    if (phase === crashAt) die(phase);
  },
  instanceId: `worker-${process.pid}`,
  applyEvent: async (repo, event, now) => {
    if (hangOn && event.eventType === hangOn) {
      console.log("HANGING");
      await new Promise(() => {});
    }
    return applyEvent(repo, event, now);
  },
});

async function pending(): Promise<number> {
  const { rows } = await getPool().query(
    `SELECT count(*)::int AS n FROM town_events WHERE town_id = $1 AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL`,
    [townId],
  );
  return Number(rows[0].n);
}

let ticks = 0;
while (Date.now() < deadline) {
  const done = await runTicks(deps, { now: new Date(), townId });
  ticks += done.length;
  if ((await pending()) === 0) break;
  await new Promise((r) => setTimeout(r, 20));
}
console.log(`TICKS ${ticks}`);
await getPool().end();
process.exit(0);
