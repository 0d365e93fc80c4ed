import { getTickDeps, publicApiUrl } from "./deps";
import { deliverNotifications } from "./outbox";
import { reportError } from "./report";
import { runTicks } from "./run-ticks";

// The in-process ticker (SPEC.md §3b): every second, tick the towns that are due. Active towns are due every
// 5 s, idle ones every 60 s, and any new event or people-made change makes a town due at once. Leases keep
// several instances from ticking one town twice. GASTOWN_LOCAL_TICKER=0 turns it off.

const globalForTicker = globalThis as unknown as { __gastownTicker?: NodeJS.Timeout; __gastownDeliveries?: NodeJS.Timeout };

/** Whether this process runs the in-process ticker (GASTOWN_LOCAL_TICKER, and a database to tick). */
export function tickerRunning(): boolean {
  return !!globalForTicker.__gastownTicker;
}

export function startTicker(intervalMs = 1000) {
  if (globalForTicker.__gastownTicker) return;
  let running = false;
  globalForTicker.__gastownTicker = setInterval(async () => {
    if (running) return; // one sweep at a time per process
    running = true;
    try {
      await runTicks(getTickDeps(), { now: new Date() });
    } catch (err) {
      reportError(getTickDeps(), err, { phase: "ticker" }, "ticker sweep failed");
    } finally {
      running = false;
    }
  }, intervalMs);
  globalForTicker.__gastownTicker.unref();
  startDeliveries(intervalMs);
}

/** Notifications out (issue 16): the delivery pass on a timer of its own, never inside a sweep, so a receiver
 *  that is slow or down (up to the 5 s POST timeout) never delays a tick. Started with the ticker. */
export function startDeliveries(intervalMs = 1000) {
  if (globalForTicker.__gastownDeliveries) return;
  let running = false;
  globalForTicker.__gastownDeliveries = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await deliverNotifications(getTickDeps().pool, { now: new Date(), appUrl: publicApiUrl() });
    } catch (err) {
      reportError(getTickDeps(), err, { phase: "notifications" }, "notification delivery failed");
    } finally {
      running = false;
    }
  }, intervalMs);
  globalForTicker.__gastownDeliveries.unref();
}
