import type { EventPayloadInput, EventType } from "./events";
import { isTerminal, type BeadStatus } from "./types";

// What a verified GitHub webhook delivery means for one MR (issue 16): the same events a poll would have
// produced (DOMAIN.md §6.3), decided from the delivery alone — no GitHub call. Pure: the adapter turns a
// delivery into `PrFact`s, the service loads the MR, this decides.
//
// Only facts that are complete in the delivery become events directly:
// - a closed PR (merged or not) is final: `pr_status_changed`, as step 3 of a poll;
// - a review requesting changes, or a failing check, is feedback: `pr_feedback_detected` (+
//   `poll_feedback_checked`) when the rig auto-resolves feedback, as step 5, and the auto-merge grace
//   timer stops, as step 6 does for anything not green;
// - new commits (synchronize) stop the timer as well: the grace period restarts on the new head.
// What needs the whole picture — a passing check (are *all* green?), an approval, a review comment (is it
// blocking? the poll's classifier decides), new commits (their checks) — asks R1 to poll that MR at the
// next tick instead (`poll: true`), so auto-merge and feedback stay exactly as polling decides them.

export type PrFact =
  | { kind: "closed"; number: number; merged: boolean }
  | { kind: "head_changed"; number: number }
  | { kind: "changes_requested"; number: number }
  | { kind: "checks_failed"; number: number }
  | { kind: "needs_poll"; number: number; why: string };

/** The MR a delivery's PR belongs to, as loaded by the webhook service. */
export interface WebhookMr {
  mrBeadId: string;
  status: BeadStatus;
  prUrl: string;
  prNumber: number;
  /** `owner/repo` as GitHub names it. */
  repo: string;
  branch: string;
  /** The MR rig's effective `auto_resolve_pr_feedback` (SPEC.md §3 #4). */
  autoResolvePrFeedback: boolean;
  autoMergeReadySince: Date | null;
  /** A non-terminal `gt:pr-feedback` bead already blocks the MR (the event would be a no-op). */
  hasOpenFeedbackBead: boolean;
}

export type WebhookEvent<T extends EventType = EventType> = {
  [K in T]: { eventType: K; beadId: string; agentId: null; payload: EventPayloadInput<K> };
}[T];

export interface WebhookDecision {
  events: WebhookEvent[];
  /** R1 should poll this MR at the next tick (the delivery changed something only a poll can judge). */
  poll: boolean;
}

function ev<T extends EventType>(eventType: T, beadId: string, payload: EventPayloadInput<T>): WebhookEvent<T> {
  return { eventType, beadId, agentId: null, payload } as WebhookEvent<T>;
}

export function webhookEventsForMr(facts: readonly PrFact[], mr: WebhookMr, now: Date): WebhookDecision {
  const mine = facts.filter((f) => f.number === mr.prNumber);
  if (mine.length === 0 || isTerminal(mr.status)) return { events: [], poll: false };
  const id = mr.mrBeadId;

  // A closed PR is the end of the review, whatever else the delivery says (any non-terminal MR: a PR
  // merged by hand while its MR waits for the refinery is merged all the same).
  const closed = mine.find((f): f is Extract<PrFact, { kind: "closed" }> => f.kind === "closed");
  if (closed) {
    return { events: [ev("pr_status_changed", id, { pr_url: mr.prUrl, pr_state: closed.merged ? "merged" : "closed", source: "webhook" })], poll: false };
  }
  // Everything else is what polling looks at, and polling looks only at MRs in progress (R1).
  if (mr.status !== "in_progress") return { events: [], poll: false };

  const changesRequested = mine.some((f) => f.kind === "changes_requested");
  const checksFailed = mine.some((f) => f.kind === "checks_failed");
  const headChanged = mine.some((f) => f.kind === "head_changed");
  const events: WebhookEvent[] = [];
  if ((changesRequested || checksFailed) && mr.autoResolvePrFeedback && !mr.hasOpenFeedbackBead) {
    events.push(
      ev("pr_feedback_detected", id, {
        mr_bead_id: id,
        pr_url: mr.prUrl,
        pr_number: mr.prNumber,
        repo: mr.repo,
        branch: mr.branch,
        has_unresolved_comments: changesRequested,
        has_failing_checks: checksFailed,
        has_unchecked_runs: false,
      }),
      ev("poll_feedback_checked", id, { mr_bead_id: id, checked_at: now.toISOString() }),
    );
  }
  // Not green any more (or a new head): the grace timer restarts from scratch, as a poll would clear it.
  if ((changesRequested || checksFailed || headChanged) && mr.autoMergeReadySince) {
    events.push(ev("poll_auto_merge_update", id, { mr_bead_id: id, ready_since: null }));
  }
  return { events, poll: headChanged || mine.some((f) => f.kind === "needs_poll") };
}
