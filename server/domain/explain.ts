import { actionTarget, type Action } from "./actions";
import { reconcileDetailed } from "./reconcile";
import { evaluateCircuitBreaker, type BreakerState } from "./rules/circuit-breaker";
import { isTerminal, type World } from "./types";
import {
  agentsHookedTo,
  attemptsExhausted,
  cooldownUntil,
  hasFreshHeartbeat,
  indexWorld,
  isHeld,
  isTriageRequest,
  mrsTracking,
  polecatsHoldingWork,
  runningPolecats,
  settingsFor,
  stagedConvoyOf,
  unresolvedBlockers,
  type BlockerInfo,
} from "./world";

// "Why is this stuck?" (SPEC.md §4.1 bead page): the facts the reconciler looks at for one bead, in a
// structured form the UI renders, plus what the next tick would do about it. Pure: world + now in, facts out.

export type FactCode =
  | "not_found"
  | "terminal"
  | "blocked"
  | "staged"
  | "held"
  | "triage_request"
  | "no_rig"
  | "cooldown"
  | "attempts_exhausted"
  | "breaker_open"
  | "draining"
  | "at_capacity"
  | "hooked_agent"
  | "agent_heartbeat_stale"
  | "in_review"
  | "auto_merge"
  | "last_dispatch_error"
  | "ready";

export interface Fact {
  code: FactCode;
  message: string;
}

export interface BeadExplanation {
  beadId: string;
  found: boolean;
  type: string | null;
  status: string | null;
  /** unresolved `blocks` blockers, including failed ones and closed ones whose MR is still open */
  blockers: BlockerInfo[];
  backoff: {
    attempts: number;
    maxAttempts: number;
    lastAttemptAt: Date | null;
    /** null = may be dispatched now (as far as backoff goes) */
    eligibleAt: Date | null;
    inCooldown: boolean;
    exhausted: boolean;
  } | null;
  hookedAgent: {
    id: string;
    name: string;
    role: string;
    status: string;
    lastActivityAt: Date | null;
    lastEventAt: Date | null;
    heartbeatFresh: boolean;
  } | null;
  stagedConvoy: { id: string; title: string } | null;
  held: boolean;
  breaker: BreakerState;
  draining: boolean;
  concurrency: { rigId: string; running: number; holding: number; cap: number; atCap: boolean } | null;
  reviews: { id: string; status: string; prUrl: string | null }[];
  review: {
    prUrl: string | null;
    autoMergePending: boolean;
    autoMergeReadySince: Date | null;
    /** when the grace timer elapses (null: no timer, auto-merge off, or held) */
    mergesAt: Date | null;
    lastPollAt: string | null;
    lastFeedbackCheckAt: Date | null;
  } | null;
  /** what the next tick would do about this bead, as of `now` */
  nextActions: Action[];
  facts: Fact[];
}

function touchesBead(action: Action, beadId: string): boolean {
  const target = actionTarget(action);
  if ((target.kind === "bead" || target.kind === "convoy") && target.id === beadId) return true;
  return action.type === "hook_agent" && action.beadId === beadId;
}

export function explainBead(world: World, beadId: string, now: Date): BeadExplanation {
  const index = indexWorld(world);
  const breaker = evaluateCircuitBreaker(world);
  const bead = index.beads.get(beadId);
  const base: BeadExplanation = {
    beadId,
    found: !!bead,
    type: bead?.type ?? null,
    status: bead?.status ?? null,
    blockers: [],
    backoff: null,
    hookedAgent: null,
    stagedConvoy: null,
    held: false,
    breaker,
    draining: world.draining,
    concurrency: null,
    reviews: [],
    review: null,
    nextActions: [],
    facts: [],
  };
  if (!bead) return { ...base, facts: [{ code: "not_found", message: "This bead is not in the reconciler's view of the town." }] };

  const facts: Fact[] = [];
  const settings = settingsFor(index, bead.rigId);
  const explanation: BeadExplanation = { ...base, held: isHeld(bead) };

  if (isTerminal(bead.status)) {
    const reason = typeof bead.metadata?.failureMessage === "string" ? `: ${bead.metadata.failureMessage}` : "";
    facts.push({ code: "terminal", message: `The bead is ${bead.status}${reason}. Terminal beads never change; retry it to reopen.` });
  }

  explanation.blockers = unresolvedBlockers(index, bead.id);
  for (const b of explanation.blockers) {
    const why =
      b.state === "failed"
        ? "failed — it keeps this bead blocked until it is retried or the dependency is removed"
        : b.state === "mr_pending"
          ? `closed, but its MR ${b.pendingMrIds.join(", ")} has not finished`
          : `still ${b.status}`;
    facts.push({ code: "blocked", message: `Blocked by "${b.title}" (${b.beadId}): ${why}.` });
  }

  const staged = stagedConvoyOf(index, bead.id);
  if (staged) {
    const title = index.beads.get(staged.beadId)?.title ?? staged.beadId;
    explanation.stagedConvoy = { id: staged.beadId, title };
    facts.push({ code: "staged", message: `Part of the staged convoy "${title}": nothing is dispatched until it is started.` });
  }
  if (explanation.held) facts.push({ code: "held", message: "Held (gt:held): never dispatched or auto-merged until the hold is released." });
  if (isTriageRequest(bead)) facts.push({ code: "triage_request", message: "A triage request: handled by triage, never dispatched to a polecat." });
  if (!bead.rigId && (bead.type === "issue" || bead.type === "merge_request")) facts.push({ code: "no_rig", message: "The bead has no rig, so no agent can be dispatched to it." });

  const dispatchable = bead.type === "issue" || bead.type === "merge_request";
  if (dispatchable) {
    const eligibleAt = cooldownUntil(bead);
    const inCooldown = !!eligibleAt && eligibleAt.getTime() > now.getTime();
    const exhausted = attemptsExhausted(bead, settings);
    explanation.backoff = {
      attempts: bead.dispatchAttempts,
      maxAttempts: settings.maxDispatchAttempts,
      lastAttemptAt: bead.lastDispatchAttemptAt,
      eligibleAt: inCooldown ? eligibleAt : null,
      inCooldown,
      exhausted,
    };
    if (exhausted && !isTerminal(bead.status)) {
      facts.push({ code: "attempts_exhausted", message: `Attempt ${bead.dispatchAttempts} of ${settings.maxDispatchAttempts}: out of dispatch attempts; the reconciler fails it.` });
    } else if (inCooldown) {
      facts.push({ code: "cooldown", message: `Attempt ${bead.dispatchAttempts} of ${settings.maxDispatchAttempts}, eligible at ${eligibleAt!.toISOString()}.` });
    }
    const lastError = bead.metadata?.last_dispatch_error;
    if (typeof lastError === "string" && bead.dispatchAttempts > 0) facts.push({ code: "last_dispatch_error", message: `Last dispatch failed: ${lastError}` });
  }

  const hooked = agentsHookedTo(index, bead.id)[0];
  if (hooked) {
    const fresh = hasFreshHeartbeat(hooked, now);
    explanation.hookedAgent = {
      id: hooked.id,
      name: hooked.name,
      role: hooked.role,
      status: hooked.status,
      lastActivityAt: hooked.lastActivityAt,
      lastEventAt: hooked.lastEventAt,
      heartbeatFresh: fresh,
    };
    const beat = hooked.lastActivityAt ? `last heartbeat ${hooked.lastActivityAt.toISOString()}` : "no heartbeat yet";
    facts.push({ code: "hooked_agent", message: `${hooked.name} (${hooked.role}) is hooked and ${hooked.status}; ${beat}.` });
    if (!fresh && (hooked.status === "working" || hooked.status === "stalled")) {
      facts.push({ code: "agent_heartbeat_stale", message: `${hooked.name}'s heartbeat is over 90 s old: the reconciler treats it as lost.` });
    }
  }

  if (!isTerminal(bead.status) && dispatchable) {
    if (breaker.open) facts.push({ code: "breaker_open", message: `The dispatch circuit breaker is open (${breaker.failures} dispatch failures in ${breaker.windowMinutes} min): no dispatch until it closes.` });
    if (world.draining) facts.push({ code: "draining", message: "The agent runtime is draining: no dispatch until it is back." });
  }

  if (bead.rigId && bead.type === "issue") {
    const running = runningPolecats(index, bead.rigId).length;
    const holding = polecatsHoldingWork(index, bead.rigId).length;
    const cap = settings.maxConcurrentPolecats;
    explanation.concurrency = { rigId: bead.rigId, running, holding, cap, atCap: running >= cap || holding >= cap };
    if (explanation.concurrency.atCap && bead.status === "open" && !hooked) {
      facts.push({ code: "at_capacity", message: `The rig is at its concurrency cap: ${Math.max(running, holding)} of ${cap} polecats busy.` });
    }
  }

  explanation.reviews = mrsTracking(index, bead.id).map((m) => ({ id: m.bead.id, status: m.bead.status, prUrl: m.review.prUrl }));
  if (bead.status === "in_review") {
    const open = explanation.reviews.filter((r) => r.status === "open" || r.status === "in_progress");
    facts.push({ code: "in_review", message: open.length ? `In review: MR ${open.map((r) => r.id).join(", ")}.` : "In review, but no MR is open: the safety net (B4) settles it after 5 min." });
  }

  const review = index.reviews.get(bead.id);
  if (bead.type === "merge_request" && review) {
    const delay = settings.autoMergeDelayMinutes;
    const timerRuns = !!review.autoMergeReadySince && settings.autoMerge && delay !== null && !explanation.held;
    explanation.review = {
      prUrl: review.prUrl,
      autoMergePending: bead.metadata?.auto_merge_pending === true,
      autoMergeReadySince: review.autoMergeReadySince,
      mergesAt: timerRuns ? new Date(review.autoMergeReadySince!.getTime() + delay! * 60_000) : null,
      lastPollAt: typeof bead.metadata?.last_poll_at === "string" ? bead.metadata.last_poll_at : null,
      lastFeedbackCheckAt: review.lastFeedbackCheckAt,
    };
    if (explanation.review.mergesAt) facts.push({ code: "auto_merge", message: `Green since ${review.autoMergeReadySince!.toISOString()}; auto-merges at ${explanation.review.mergesAt.toISOString()}.` });
  }

  explanation.nextActions = reconcileDetailed(world, now).actions.filter((a) => touchesBead(a, bead.id));
  if (facts.length === 0) facts.push({ code: "ready", message: "Nothing holds this bead back; the next tick acts on it if a rule applies." });
  explanation.facts = facts;
  return explanation;
}
