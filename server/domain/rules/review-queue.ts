import {
  ABANDONED_MR_TIMEOUT_MS,
  ORPHANED_PR_REVIEW_TIMEOUT_MS,
  PR_POLL_FALLBACK_INTERVAL_MS,
  PR_POLL_INTERVAL_MS,
  STUCK_REVIEW_TIMEOUT_MS,
  SYSTEM_ACTOR,
  WEBHOOK_FRESH_MS,
} from "../constants";
import type { Action } from "../actions";
import { isTerminal, type Mr } from "../types";
import {
  agentsHookedTo,
  attemptsExhausted,
  inCooldown,
  isHeld,
  isReviewAndMergeConvoyMr,
  mrSourceId,
  olderThan,
  settingsFor,
  unresolvedBlockers,
  type WorldIndex,
} from "../world";
import { act } from "./build";
import type { Rule } from "./context";

// The review queue: MR beads `open`/`in_progress` with their review metadata (DOMAIN.md §5.3).

function metaDate(meta: Record<string, unknown> | undefined, key: string): Date | null {
  const raw = meta?.[key];
  if (typeof raw !== "string" && !(raw instanceof Date)) return null;
  const d = new Date(raw);
  return Number.isNaN(d.getTime()) ? null : d;
}

function hasLiveAgent(index: WorldIndex, beadId: string): boolean {
  return agentsHookedTo(index, beadId).some((a) => a.status === "working" || a.status === "stalled");
}

function activeMrs(index: WorldIndex, status: "open" | "in_progress"): Mr[] {
  return index.mrs.filter((m) => m.bead.status === status);
}

/**
 * R1's cadence for one MR (issue 16). Once a minute — unless its rig's repository delivered a verified
 * GitHub webhook within WEBHOOK_FRESH_MS: then webhooks carry the news and polling is the fallback, every
 * 10 min. The auto-merge grace timer is driven by polls (DOMAIN.md §6.3 step 6), so an MR whose timer runs
 * (or whose merge is pending) keeps the minute cadence.
 */
export function prPollIntervalMs(index: WorldIndex, mr: Mr, now: Date): number {
  const delivered = mr.bead.rigId ? index.world.webhooks?.lastDeliveryAtByRig[mr.bead.rigId] : undefined;
  const webhookFresh = delivered !== undefined && now.getTime() - delivered.getTime() <= WEBHOOK_FRESH_MS;
  const timerRunning = mr.review.autoMergeReadySince != null || mr.bead.metadata?.auto_merge_pending === true;
  return webhookFresh && !timerRunning ? PR_POLL_FALLBACK_INTERVAL_MS : PR_POLL_INTERVAL_MS;
}

/** R1: a PR under review is polled at most once per `prPollIntervalMs` (`last_poll_at`), or at once when a
 *  webhook delivery after the last poll asked for one; and merged once the grace timer has set
 *  `auto_merge_pending` — never when the MR is held. */
export const r1PollPrs: Rule = function* ({ index, now }) {
  for (const mr of activeMrs(index, "in_progress")) {
    const prUrl = mr.review.prUrl;
    if (!prUrl) continue;
    const lastPoll = metaDate(mr.bead.metadata, "last_poll_at");
    const requested = index.world.webhooks?.pollRequestedAtByMr[mr.bead.id];
    if (!lastPoll || now.getTime() - lastPoll.getTime() >= prPollIntervalMs(index, mr, now)) {
      yield [act.pollPr("R1", mr.bead.id, prUrl, "poll PR status")];
    } else if (requested && requested.getTime() > lastPoll.getTime()) {
      yield [act.pollPr("R1", mr.bead.id, prUrl, "poll PR status (a GitHub webhook reported a change)")];
    }
    if (mr.bead.metadata?.auto_merge_pending === true && !isHeld(mr.bead)) {
      yield [act.mergePr("R1", mr.bead.id, prUrl, "auto-merge grace period elapsed")];
    }
  }
};

/** R2: a direct-merge review in progress for 30 min whose hooked agents are all idle is stuck: requeue it
 *  and free them. Rework in flight (an unresolved blocker) is normal and waits. With no agent hooked at all
 *  R3 requeues it already, so R2 only handles the idle-agent case. */
export const r2StuckReview: Rule = function* ({ index, now }) {
  for (const mr of activeMrs(index, "in_progress")) {
    if (mr.review.prUrl) continue;
    if (!olderThan(mr.bead.updatedAt, now, STUCK_REVIEW_TIMEOUT_MS)) continue;
    if (unresolvedBlockers(index, mr.bead.id).length > 0) continue;
    const hooked = agentsHookedTo(index, mr.bead.id);
    if (hooked.length === 0 || hooked.some((a) => a.status === "working" || a.status === "stalled")) continue;
    const reason = "stuck review, no working agent";
    yield [act.transitionBead("R2", mr.bead.id, "in_progress", "open", reason), ...hooked.map((a) => act.unhookAgent("R2", a.id, reason))];
  }
};

/** R3: a direct-merge review in progress for 2 min with no agent hooked at all (and no rework pending)
 *  was abandoned: back to the queue for R5. This is how an MR returns for re-review after rework. */
export const r3AbandonedReview: Rule = function* ({ index, now }) {
  for (const mr of activeMrs(index, "in_progress")) {
    if (mr.review.prUrl) continue;
    if (!olderThan(mr.bead.updatedAt, now, ABANDONED_MR_TIMEOUT_MS)) continue;
    if (unresolvedBlockers(index, mr.bead.id).length > 0) continue;
    if (agentsHookedTo(index, mr.bead.id).length > 0) continue;
    yield [act.transitionBead("R3", mr.bead.id, "in_progress", "open", "abandoned, no agent hooked")];
  }
};

/** R4: a PR review in progress for 30 min with no working refinery and no polling (R1's pre-write keeps
 *  `updated_at` fresh) is orphaned: fail it. Only when code review is on for the rig — without it no
 *  refinery is expected (§11 #14). */
export const r4OrphanedPrReview: Rule = function* ({ index, now }) {
  for (const mr of activeMrs(index, "in_progress")) {
    if (!mr.review.prUrl) continue;
    if (!settingsFor(index, mr.bead.rigId).codeReview) continue;
    if (!olderThan(mr.bead.updatedAt, now, ORPHANED_PR_REVIEW_TIMEOUT_MS)) continue;
    if (hasLiveAgent(index, mr.bead.id)) continue;
    yield [act.transitionBead("R4", mr.bead.id, "in_progress", "failed", "PR review orphaned")];
  }
};

/** Code review off for the rig: the refinery is skipped. An open MR with a PR goes straight to polling;
 *  one without a PR (a polecat that failed to create it) fails and its source is reopened. MRs of
 *  review-and-merge convoys (SPEC.md §3 #7) and system landing MRs still go to the refinery (R5). */
export const codeReviewOff: Rule = function* ({ index }) {
  for (const mr of activeMrs(index, "open")) {
    if (settingsFor(index, mr.bead.rigId).codeReview) continue;
    if (isReviewAndMergeConvoyMr(index, mr)) continue;
    if (mr.review.prUrl) {
      yield [act.transitionBead("code_review_off", mr.bead.id, "open", "in_progress", "refinery code review disabled — skip to poll_pr")];
      continue;
    }
    if (mr.bead.createdBy === SYSTEM_ACTOR) continue;
    const reason = "polecat failed to create PR";
    const decision: Action[] = [act.transitionBead("code_review_off", mr.bead.id, "open", "failed", reason)];
    const sourceId = mrSourceId(index, mr);
    const source = sourceId ? index.beads.get(sourceId) : undefined;
    if (source && source.status === "in_review") {
      decision.push(act.transitionBead("code_review_off", source.id, "in_review", "open", reason));
      decision.push(act.clearBeadAssignee("code_review_off", source.id, reason));
    }
    yield decision;
  }
};

/** R5: per rig, pop the oldest eligible open MR for the refinery. Direct merges are serial (skip the rig
 *  while an in_progress MR without a PR exists); PR MRs do not block. Held, blocked and backing-off MRs
 *  wait; one out of attempts fails. No refinery → the dispatch creates one; an idle unhooked refinery is
 *  hooked and dispatched; a busy one is waited for. */
export const r5PopForRefinery: Rule = function* ({ world, index, now, breakerOpen }) {
  const rigIds = [...new Set(activeMrs(index, "open").map((m) => m.bead.rigId).filter((r): r is string => !!r))];
  for (const rigId of rigIds) {
    if (!index.rigs.has(rigId)) continue;
    const rigMrs = index.mrs.filter((m) => m.bead.rigId === rigId);
    if (rigMrs.some((m) => m.bead.status === "in_progress" && !m.review.prUrl)) continue;
    const settings = settingsFor(index, rigId);
    const queue = rigMrs
      .filter((m) => m.bead.status === "open")
      .filter((m) => settings.codeReview || isReviewAndMergeConvoyMr(index, m) || m.bead.createdBy === SYSTEM_ACTOR)
      .filter((m) => !isHeld(m.bead) && unresolvedBlockers(index, m.bead.id).length === 0)
      .sort((a, b) => a.bead.createdAt.getTime() - b.bead.createdAt.getTime() || a.bead.id.localeCompare(b.bead.id));
    let next: Mr | undefined;
    for (const mr of queue) {
      if (attemptsExhausted(mr.bead, settings)) {
        yield [act.transitionBead("R5", mr.bead.id, "open", "failed", `max dispatch attempts exceeded (${mr.bead.dispatchAttempts})`)];
        continue;
      }
      if (inCooldown(mr.bead, now)) continue;
      next = mr;
      break;
    }
    if (!next || world.draining || breakerOpen) continue;
    const refinery = world.agents.find((a) => a.role === "refinery" && a.rigId === rigId);
    const id = next.bead.id;
    if (!refinery) {
      yield [
        act.transitionBead("R5", id, "open", "in_progress", "popped for review (creating refinery)"),
        act.dispatchAgent("R5", null, id, rigId, "popped for review (creating refinery)"),
      ];
    } else if (refinery.status === "idle" && !refinery.currentHookBeadId) {
      yield [
        act.transitionBead("R5", id, "open", "in_progress", "popped for review"),
        act.hookAgent("R5", refinery.id, id, "popped for review"),
        act.dispatchAgent("R5", refinery.id, id, rigId, "popped for review"),
      ];
    }
  }
};

/** R6: an idle refinery hooked to an in_progress MR is redispatched — after checking the attempt cap
 *  (before the cooldown, §11 #7), then the cooldown, the breaker and the drain. */
export const r6RedispatchRefinery: Rule = function* ({ world, index, now, breakerOpen }) {
  if (world.draining) return;
  for (const agent of world.agents) {
    if (agent.role !== "refinery" || agent.status !== "idle" || !agent.currentHookBeadId) continue;
    const mr = index.beads.get(agent.currentHookBeadId);
    if (!mr || mr.type !== "merge_request" || mr.status !== "in_progress") continue;
    const settings = settingsFor(index, mr.rigId ?? agent.rigId);
    if (attemptsExhausted(mr, settings)) {
      const reason = "refinery max dispatch attempts exceeded";
      yield [act.transitionBead("R6", mr.id, null, "failed", reason), act.unhookAgent("R6", agent.id, reason)];
      continue;
    }
    if (inCooldown(mr, now) || breakerOpen) continue;
    if (isHeld(mr) || unresolvedBlockers(index, mr.id).length > 0) continue;
    yield [act.dispatchAgent("R6", agent.id, mr.id, mr.rigId ?? agent.rigId, "idle refinery hooked to in_progress MR")];
  }
};

/** R7: a refinery still running on an MR that has ended (e.g. auto-merge landed mid-review) is stopped,
 *  unhooked and idled in the same tick, so it never comments on a merged PR. */
export const r7StopRefineryOnTerminalMr: Rule = function* ({ world, index }) {
  for (const agent of world.agents) {
    if (agent.role !== "refinery" || (agent.status !== "working" && agent.status !== "stalled") || !agent.currentHookBeadId) continue;
    const mr = index.beads.get(agent.currentHookBeadId);
    if (!mr || !isTerminal(mr.status)) continue;
    const reason = `hooked MR is ${mr.status}`;
    yield [
      act.stopAgent("R7", agent.id, reason),
      act.unhookAgent("R7", agent.id, reason),
      act.transitionAgent("R7", agent.id, agent.status, "idle", reason),
    ];
  }
};

export const reviewQueueRules: Rule = function* (ctx) {
  yield* r1PollPrs(ctx);
  yield* r2StuckReview(ctx);
  yield* r3AbandonedReview(ctx);
  yield* r4OrphanedPrReview(ctx);
  yield* codeReviewOff(ctx);
  yield* r5PopForRefinery(ctx);
  yield* r6RedispatchRefinery(ctx);
  yield* r7StopRefineryOnTerminalMr(ctx);
};
