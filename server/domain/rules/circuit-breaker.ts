import { CIRCUIT_BREAKER_THRESHOLD, CIRCUIT_BREAKER_WINDOW_MS } from "../constants";
import type { World } from "../types";
import { act } from "./build";
import type { Rule } from "./context";

export interface BreakerState {
  open: boolean;
  failures: number;
  threshold: number;
  windowMinutes: number;
}

/** SPEC.md §2: the breaker opens when 20 or more `dispatch_failed` events were recorded in the last 30
 *  minutes. Healthy in-progress work never counts (the original counted recent dispatch attempts, so a
 *  busy town tripped its own breaker). The count comes with the world; the tick computes it with a bound
 *  cutoff `now - CIRCUIT_BREAKER_WINDOW_MS`. */
export function evaluateCircuitBreaker(world: Pick<World, "recentDispatchFailures">): BreakerState {
  return {
    open: world.recentDispatchFailures >= CIRCUIT_BREAKER_THRESHOLD,
    failures: world.recentDispatchFailures,
    threshold: CIRCUIT_BREAKER_THRESHOLD,
    windowMinutes: CIRCUIT_BREAKER_WINDOW_MS / 60_000,
  };
}

/** Breaker: tells the mayor once when it opens (not on every 5 s tick while it stays open — that would
 *  flood the mayor's mail). Suppressing dispatch is done by the dispatching rules reading `breakerOpen`. */
export const circuitBreaker: Rule = function* (ctx) {
  if (!ctx.breakerOpen || ctx.world.breakerWasOpen) return;
  const { failures, windowMinutes } = evaluateCircuitBreaker(ctx.world);
  yield [
    act.notifyMayor(
      "breaker",
      `Dispatch circuit breaker is OPEN: ${failures} dispatch failures in the last ${windowMinutes} minutes. ` +
        "No agents will be dispatched until failures drop below the threshold; check the agent runtime.",
      "breaker_open",
      "circuit breaker opened",
    ),
  ];
};
