// The reconciler's pure domain core. Import from here; everything is pure (no database, clock or env):
// the tick (server/tick) loads a World, drains events through applyEvent, runs reconcile, applies the
// state parts through applyStateAction over its TownRepo, runs side effects, then checkInvariants.

export * from "./errors";
export * from "./constants";
export * from "./settings";
export * from "./types";
export * from "./events";
export * from "./actions";
export * from "./world";
export * from "./repo";
export * from "./operations";
export { applyEvent, EVENT_HANDLERS } from "./apply-event";
export { applyStateAction, type DispatchResolution, type StateActionResult } from "./state-actions";
export { reconcile, reconcileDetailed, RULE_FAMILIES, type ReconcileOptions, type ReconcileResult } from "./reconcile";
export { evaluateCircuitBreaker, type BreakerState } from "./rules/circuit-breaker";
export { actionMoves, type Decision, type DroppedDecision, type Move, type Rule, type RuleContext } from "./rules/context";
export { convoyProgress } from "./rules/convoys";
export { checkInvariants, type InvariantNumber, type Violation } from "./invariants";
export { explainBead, type BeadExplanation, type Fact, type FactCode } from "./explain";
export { dueReEscalations, MAX_RE_ESCALATIONS, RE_ESCALATION_INTERVAL_MS, type ReEscalation } from "./escalations";
