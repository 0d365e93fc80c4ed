import { parsePrUrl, type GitHub, type PrFeedback, type PrStatus } from "@/server/adapters/github/types";
import type { EventPayloadInput, EventType } from "@/server/domain/events";
import type { EffectiveSettings } from "@/server/domain/settings";

/**
 * The async parts of the `poll_pr` and `merge_pr` side effects (DOMAIN.md §6.3, §6.5; SPEC.md §2, §3b).
 *
 * They talk to GitHub through the port and only *return* the events to enqueue: an async side effect
 * never writes state (audit B3). The tick inserts what they return, and the next tick's drain applies
 * it inside the serialized event phase. Every function resolves; nothing is thrown, because a lost
 * result is worse than a conservative one.
 *
 * The GitHub token is an input only. It never goes into a payload, and log lines are redacted.
 */

/** One row for `town_events`, typed per event type; payloads are plain JSON (timestamps as ISO strings). */
export type EventToEnqueue<T extends EventType = EventType> = {
  [K in T]: { eventType: K; beadId: string | null; agentId: string | null; payload: EventPayloadInput<K> };
}[T];

export type SideEffectLog = (message: string) => void;

export interface SideEffectOptions {
  /** Diagnostics sink; the token is redacted from every line. Silent by default. */
  log?: SideEffectLog;
}

export type PollPrSettings = Pick<EffectiveSettings, "autoMerge" | "autoMergeDelayMinutes" | "autoResolvePrFeedback">;

export interface PollPrInput {
  mrBeadId: string;
  prUrl: string;
  /** Town secret, else `GITHUB_TOKEN` (SPEC.md §3 #11); null = none configured, which polls as null. */
  token: string | null;
  /** The MR's branch (the PR head), carried into `pr_feedback_detected`. */
  branch: string;
  /** Reserved for `pr_conflict_detected` ([later]); unused for now. */
  sourceBeadId?: string | null;
  /** The rig's `git_url`. Not needed by the poll itself; accepted so callers build one input shape. */
  rigGitUrl?: string;
  /** The MR rig's effective settings (SPEC.md §3 #4). */
  settings: PollPrSettings;
  /** `review_metadata.auto_merge_ready_since` as loaded by this tick. */
  autoMergeReadySince: Date | null;
  /** MR metadata `auto_merge_pending` as loaded by this tick. */
  autoMergePending: boolean;
  /** The MR carries `gt:held` (SPEC.md §3b "Hold"). */
  held: boolean;
  /** A non-terminal `gt:pr-feedback` bead already blocks this MR. */
  hasOpenFeedbackBead: boolean;
}

export interface MergePrInput {
  mrBeadId: string;
  prUrl: string;
  token: string | null;
  rigGitUrl: string;
}

function ev<T extends EventType>(eventType: T, beadId: string, payload: EventPayloadInput<T>): EventToEnqueue<T> {
  return { eventType, beadId, agentId: null, payload } as EventToEnqueue<T>;
}

/** Remove the token from a log line, however it got there (an error message, a URL…). */
function redact(text: string, token: string | null): string {
  return token && token.length >= 4 ? text.split(token).join("[REDACTED]") : text;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return "non-error thrown";
}

/** Anything GitHub reports that an agent should act on (DOMAIN.md §6.3 step 5). */
export function feedbackNeedsAttention(feedback: PrFeedback): boolean {
  return feedback.hasUnresolvedComments || feedback.hasFailingChecks || feedback.hasUncheckedRuns;
}

/**
 * DOMAIN.md §6.3 step 6 `allGreen`. Unchecked runs (> 100) are excluded explicitly as well: the adapter
 * already reports them as not all passing, but "never auto-merge past the pagination guard" (§11 item 12)
 * should not rest on one line of another file.
 */
export function feedbackIsGreen(feedback: PrFeedback): boolean {
  return !feedback.hasUnresolvedComments && !feedback.hasFailingChecks && !feedback.hasUncheckedRuns && feedback.allChecksPass;
}

// ------------------------------------------------------------------------------------------ poll_pr

/**
 * DOMAIN.md §6.3 steps 1–7. Returns, in order:
 * - `poll_null_result` when no status could be read (no token, any HTTP/JSON failure) and nothing else;
 * - otherwise `poll_nonnull_result`, then for merged/closed `pr_status_changed` (and stop);
 * - for an open PR: `pr_feedback_detected` + `poll_feedback_checked` (auto-resolve), then the
 *   auto-merge timer (`poll_auto_merge_update` or `pr_auto_merge`).
 */
export async function runPollPr(github: GitHub, input: PollPrInput, now: Date, options: SideEffectOptions = {}): Promise<EventToEnqueue[]> {
  const log = options.log ?? (() => {});
  const { mrBeadId, prUrl, token } = input;
  const events: EventToEnqueue[] = [];
  let statusRead = false;
  try {
    // Steps 1–2. Without a token the port answers null without a request; that counts toward the 10
    // consecutive nulls that fail the MR (SPEC.md §3 #6), which is how a missing token surfaces.
    const status = await github.getPrStatus({ token, prUrl });
    if (!status) return [ev("poll_null_result", mrBeadId, { mr_bead_id: mrBeadId, pr_url: prUrl })];
    statusRead = true;
    events.push(ev("poll_nonnull_result", mrBeadId, { mr_bead_id: mrBeadId }));

    // Step 3.
    if (status.state === "merged" || status.state === "closed") {
      events.push(ev("pr_status_changed", mrBeadId, { pr_url: prUrl, pr_state: status.state }));
      return events;
    }

    // Step 4. A held MR never runs the grace timer (SPEC.md §3b), so it needs no feedback for it.
    const { settings } = input;
    const wantsAutoResolve = settings.autoResolvePrFeedback === true;
    const wantsAutoMerge = settings.autoMerge !== false && settings.autoMergeDelayMinutes != null && !input.held;
    // Once per poll, reused by both blocks (B4: each call is 3+ GitHub requests).
    const feedback = wantsAutoResolve || wantsAutoMerge ? await github.checkPrFeedback({ token, prUrl }) : null;

    // Step 5.
    if (wantsAutoResolve && feedback) {
      events.push(...(await autoResolve(github, input, feedback, now)));
    }

    // Step 6.
    events.push(...autoMergeTimer(input, wantsAutoMerge, feedback, now));
    return events;
  } catch (error) {
    // The port never throws, so this is a bug. Before a status was read: count a null, so a bug that
    // blocks every poll still ends in a failed MR and an escalation instead of silent polling forever.
    // After: keep the facts decided so far (each event stands on its own) rather than count a null
    // for a PR whose status was read.
    log(redact(`poll_pr ${mrBeadId}: unexpected error: ${describeError(error)}`, token));
    return statusRead ? events : [ev("poll_null_result", mrBeadId, { mr_bead_id: mrBeadId, pr_url: prUrl })];
  }
}

async function autoResolve(github: GitHub, input: PollPrInput, feedback: PrFeedback, now: Date): Promise<EventToEnqueue[]> {
  const { mrBeadId, prUrl, token } = input;
  const events: EventToEnqueue[] = [];
  // An open feedback bead already carries this work: no re-check needed, the event would be a no-op.
  if (feedbackNeedsAttention(feedback) && !input.hasOpenFeedbackBead) {
    // The feedback read takes seconds; if the PR was merged or closed meanwhile, a feedback bead would
    // open a duplicate PR. Only a re-check that says "open" lets the event through; a failed re-check
    // waits for the next poll, and a merged/closed PR is reported by the next poll's step 3.
    const recheck: PrStatus | null = await github.getPrStatus({ token, prUrl });
    const ref = parsePrUrl(prUrl, github.webUrl);
    if (recheck?.state === "open" && ref) {
      events.push(
        ev("pr_feedback_detected", mrBeadId, {
          mr_bead_id: mrBeadId,
          pr_url: prUrl,
          pr_number: ref.number,
          repo: `${ref.owner}/${ref.repo}`,
          branch: input.branch,
          has_unresolved_comments: feedback.hasUnresolvedComments,
          has_failing_checks: feedback.hasFailingChecks,
          has_unchecked_runs: feedback.hasUncheckedRuns,
        }),
      );
    }
  }
  // The feedback was read and a decision taken (even "nothing to do"): that is what the UI shows.
  events.push(ev("poll_feedback_checked", mrBeadId, { mr_bead_id: mrBeadId, checked_at: now.toISOString() }));
  return events;
}

function autoMergeTimer(input: PollPrInput, wantsAutoMerge: boolean, feedback: PrFeedback | null, now: Date): EventToEnqueue[] {
  const { mrBeadId, prUrl } = input;
  const clearTimer = () =>
    input.autoMergeReadySince ? [ev("poll_auto_merge_update", mrBeadId, { mr_bead_id: mrBeadId, ready_since: null })] : [];
  // Auto-merge off, no delay configured, or held: a leftover timer is cleared so turning auto-merge
  // back on (or releasing the hold) starts a full grace period instead of firing at once.
  if (!wantsAutoMerge) return clearTimer();
  // No feedback (no token / unknown host): no auto-merge; the timer is left as it is (nothing was learnt).
  if (!feedback) return [];
  // Not green: clear the timer, only when it is set (a non-green PR would otherwise add an event a minute).
  if (!feedbackIsGreen(feedback)) return clearTimer();
  if (!input.autoMergeReadySince) {
    return [ev("poll_auto_merge_update", mrBeadId, { mr_bead_id: mrBeadId, ready_since: now.toISOString() })];
  }
  const elapsedMs = now.getTime() - input.autoMergeReadySince.getTime();
  const delayMs = (input.settings.autoMergeDelayMinutes ?? 0) * 60_000;
  // Pending means a merge_pr is already on its way (maybe in this very tick): never ask twice.
  if (elapsedMs >= delayMs && !input.autoMergePending) {
    return [ev("pr_auto_merge", mrBeadId, { mr_bead_id: mrBeadId, pr_url: prUrl })];
  }
  return [];
}

// ------------------------------------------------------------------------------------------ merge_pr

/** The sync pre-check of merge_pr (DOMAIN.md §6.5): owner/repo of the PR must match the rig. */
export function mergePrRepoCheck(github: GitHub, input: { rigGitUrl: string; prUrl: string }): { ok: true } | { ok: false; reason: "repo_mismatch" } {
  return github.samePrRepo(input.rigGitUrl, input.prUrl) ? { ok: true } : { ok: false, reason: "repo_mismatch" };
}

/**
 * DOMAIN.md §6.5 (async part; the repo check runs again here so no caller can skip it). Returns exactly one
 * event: `pr_status_changed` when the PR is (now) merged or was found closed, else `auto_merge_cleared`
 * with the reason, which clears pending and the timer so polling resumes with a fresh grace period.
 *
 * The fresh status is read *before* the fresh feedback and its head SHA is passed to the merge: if the
 * head moves at any point after that read, GitHub refuses the merge (409) instead of merging commits
 * nobody checked.
 */
export async function runMergePr(
  github: GitHub,
  input: MergePrInput,
  _now: Date, // same shape as runPollPr; nothing in the merge is time-dependent yet
  options: SideEffectOptions = {},
): Promise<EventToEnqueue[]> {
  const log = options.log ?? (() => {});
  const { mrBeadId, prUrl, token } = input;
  const cleared = (reason: "fresh_feedback" | "merge_failed" | "merge_error" | "repo_mismatch") => [
    ev("auto_merge_cleared", mrBeadId, { mr_bead_id: mrBeadId, reason }),
  ];
  let mergeAttempted = false;
  try {
    if (!mergePrRepoCheck(github, input).ok) {
      log(`merge_pr ${mrBeadId}: the pull request is not in the rig's repository; not merged`);
      return cleared("repo_mismatch");
    }

    const status = await github.getPrStatus({ token, prUrl });
    if (status?.state === "merged" || status?.state === "closed") {
      // Someone merged or closed it meanwhile: report the fact (the review completes accordingly).
      return [ev("pr_status_changed", mrBeadId, { pr_url: prUrl, pr_state: status.state })];
    }
    const feedback = status ? await github.checkPrFeedback({ token, prUrl }) : null;
    if (!status || !feedback || !feedbackIsGreen(feedback)) {
      log(`merge_pr ${mrBeadId}: fresh check ${!status ? "could not read the PR" : !feedback ? "could not read feedback" : "is not green"}; not merged`);
      return cleared("fresh_feedback");
    }

    mergeAttempted = true;
    const result = await github.mergePr({ token, prUrl, expectedHeadSha: status.headSha });
    if (result.merged) return [ev("pr_status_changed", mrBeadId, { pr_url: prUrl, pr_state: "merged" })];
    log(redact(`merge_pr ${mrBeadId}: not merged: ${result.reason}`, token));
    return cleared("merge_failed");
  } catch (error) {
    log(redact(`merge_pr ${mrBeadId}: unexpected error${mergeAttempted ? " during the merge" : ""}: ${describeError(error)}`, token));
    return cleared("merge_error");
  }
}
