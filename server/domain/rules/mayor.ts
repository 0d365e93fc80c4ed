import { DEFAULT_MAX_DISPATCH_ATTEMPTS, dispatchCooldownMs } from "../constants";
import type { Agent, World } from "../types";
import { act } from "./build";
import type { Rule } from "./context";

/** The mayor is alive while it acts (`working`), waits in chat (`waiting`) or is being watched (`stalled`). */
export function isMayorAlive(mayor: Pick<Agent, "status">): boolean {
  return mayor.status === "working" || mayor.status === "waiting" || mayor.status === "stalled";
}

/** When a mayor that failed to start may be tried again: the dispatch backoff of SPEC.md §3 #10 counted on
 *  the mayor's own attempts (it has no bead to count on); null = now. */
export function mayorStartEligibleAt(mayor: Pick<Agent, "dispatchAttempts" | "dispatchedAt">): Date | null {
  if (mayor.dispatchAttempts <= 0 || !mayor.dispatchedAt) return null;
  return new Date(mayor.dispatchedAt.getTime() + dispatchCooldownMs(mayor.dispatchAttempts));
}

/** Why the mayor is not started although mail waits for it, or null when it should be. */
export function mayorStartBlocker(world: Pick<World, "draining" | "mayorUnreadMail">, mayor: Agent, now: Date, breakerOpen: boolean): string | null {
  if (isMayorAlive(mayor)) return "the mayor is alive: it reads its mail with its heartbeat";
  if (world.mayorUnreadMail <= 0) return "no mail waits for the mayor";
  if (world.draining) return "the town is draining";
  if (breakerOpen) return "the circuit breaker is open";
  if (mayor.dispatchAttempts >= DEFAULT_MAX_DISPATCH_ATTEMPTS) {
    return `the mayor failed to start ${mayor.dispatchAttempts} times; a new message from a person tries again`;
  }
  const eligible = mayorStartEligibleAt(mayor);
  if (eligible && eligible.getTime() > now.getTime()) return `backing off after a failed start until ${eligible.toISOString()}`;
  return null;
}

/** M1: mail waits for a mayor that is not alive (a person's message, or a notice from the reconciler):
 *  start it, hookless, through the town's runtime. An alive mayor gets the mail with its heartbeat. */
export const m1StartMayor: Rule = function* ({ world, now, breakerOpen }) {
  const mayor = world.agents.find((a) => a.role === "mayor");
  if (!mayor || mayorStartBlocker(world, mayor, now, breakerOpen)) return;
  yield [act.startMayor("M1", mayor.id, `${world.mayorUnreadMail} unread message(s) for the mayor`)];
};

export const mayorRules: Rule = function* (ctx) {
  yield* m1StartMayor(ctx);
};
