import type { Action } from "./actions";
import { agentRules } from "./rules/agents";
import { beadRules } from "./rules/beads";
import { circuitBreaker, evaluateCircuitBreaker, type BreakerState } from "./rules/circuit-breaker";
import { Plan, type DroppedDecision, type Rule, type RuleContext } from "./rules/context";
import { convoyRules } from "./rules/convoys";
import { gcRules } from "./rules/gc";
import { guppRules } from "./rules/gupp";
import { mayorRules } from "./rules/mayor";
import { reviewQueueRules } from "./rules/review-queue";
import type { World } from "./types";
import { indexWorld } from "./world";

/** The rule families in the order of DOMAIN.md §5.3. Earlier families win a conflict over the same bead
 *  or agent (the plan drops the later decision). */
export const RULE_FAMILIES: ReadonlyArray<readonly [name: string, rule: Rule]> = [
  ["circuit-breaker", circuitBreaker],
  ["agents", agentRules],
  ["mayor", mayorRules],
  ["beads", beadRules],
  ["review-queue", reviewQueueRules],
  ["convoys", convoyRules],
  ["gupp", guppRules],
  ["gc", gcRules],
];

export interface ReconcileOptions {
  /** Actions the tick runs before ours (event-emitted, e.g. `stop_agent` of a cancelled bead). They claim
   *  their entities — a stopped agent is not re-dispatched in the same tick — but are not returned. */
  precedingActions?: readonly Action[];
}

export interface ReconcileResult {
  actions: Action[];
  /** decisions dropped because an earlier one already moved the same bead or agent */
  dropped: DroppedDecision[];
  breaker: BreakerState;
}

/** reconcile with its working: the breaker state (recorded on the tick row) and the dropped decisions. */
export function reconcileDetailed(world: World, now: Date, options: ReconcileOptions = {}): ReconcileResult {
  const index = indexWorld(world);
  const breaker = evaluateCircuitBreaker(world);
  const plan = new Plan(index);
  if (options.precedingActions) plan.seed(options.precedingActions);
  const ctx: RuleContext = { world, index, now, breakerOpen: breaker.open, plan };
  for (const [, rule] of RULE_FAMILIES) {
    for (const decision of rule(ctx)) plan.offer(decision);
  }
  return { actions: plan.actions(), dropped: plan.dropped(), breaker };
}

/** Level-based: decides from the whole state, never from "what just happened". Pure: the same world and
 *  `now` give the same actions. No two returned actions move one bead or agent to different states. */
export function reconcile(world: World, now: Date, options: ReconcileOptions = {}): Action[] {
  return reconcileDetailed(world, now, options).actions;
}
