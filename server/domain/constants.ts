// Every timeout, threshold and limit of the reconciler (DOMAIN.md §5, SPEC.md §2/§3). One place, so a test
// can name the boundary it checks and a reader can see the whole clock of the system at a glance.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A1/B3: a heartbeat older than this means the agent is gone (3 missed 30 s cycles). */
export const HEARTBEAT_STALE_MS = 90 * SECOND;
/** B3: an in_progress bead untouched this long with no live agent is recovered. Must exceed the runtime's
 *  2 min idle timeout plus one tick. */
export const STALE_IN_PROGRESS_TIMEOUT_MS = 5 * MINUTE;
/** B4: an in_review bead whose MRs all ended this long ago is settled by the safety net. */
export const ORPHANED_SOURCE_TIMEOUT_MS = 5 * MINUTE;
/** R1: at most one poll per MR per minute. */
export const PR_POLL_INTERVAL_MS = 60 * SECOND;
/** R1 with webhooks (issue 16): polling is the fallback, once per 10 min, for an MR whose repository
 *  delivered a verified GitHub webhook within WEBHOOK_FRESH_MS. */
export const PR_POLL_FALLBACK_INTERVAL_MS = 10 * MINUTE;
/** How recent a verified delivery must be for the repository's MRs to poll at the fallback cadence. */
export const WEBHOOK_FRESH_MS = 30 * MINUTE;
/** R2: an in_progress direct-merge MR without a working agent for this long is re-queued. */
export const STUCK_REVIEW_TIMEOUT_MS = 30 * MINUTE;
/** R3: an in_progress direct-merge MR with no agent hooked at all for this long is re-queued. */
export const ABANDONED_MR_TIMEOUT_MS = 2 * MINUTE;
/** R4: an in_progress PR MR with no refinery and no polling for this long is failed. */
export const ORPHANED_PR_REVIEW_TIMEOUT_MS = 30 * MINUTE;
/** GUPP tiers, measured from the agent's last SDK activity (else its heartbeat). */
export const GUPP_WARN_MS = 15 * MINUTE;
export const GUPP_ESCALATE_MS = 1 * HOUR;
export const GUPP_FORCE_STOP_MS = 2 * HOUR;
/** GUPP: a nudge of the same tier inside this window suppresses another. */
export const GUPP_NUDGE_DEDUPE_MS = 60 * MINUTE;
/** GC: idle unhooked workers are deleted after this long without activity. */
export const AGENT_GC_RETENTION_MS = 24 * HOUR;
/** container_status: `not_found` this soon after activity is a cold start, not a death. */
export const CONTAINER_NOT_FOUND_GRACE_MS = 180 * SECOND;

/** SPEC.md §2: the breaker opens at this many `dispatch_failed` events inside the window. */
export const CIRCUIT_BREAKER_THRESHOLD = 20;
export const CIRCUIT_BREAKER_WINDOW_MS = 30 * MINUTE;

/** SPEC.md §3 #10: backoff by the bead's dispatch_attempts — ≤2 → 2 min, 3 → 5, 4 → 10, ≥5 → 30. */
export const DISPATCH_COOLDOWN_MS = 2 * MINUTE;
export function dispatchCooldownMs(attempts: number): number {
  if (attempts <= 2) return DISPATCH_COOLDOWN_MS;
  if (attempts === 3) return 5 * MINUTE;
  if (attempts === 4) return 10 * MINUTE;
  return 30 * MINUTE;
}

/** Settings-chain defaults (SPEC.md §3b). */
export const DEFAULT_MAX_DISPATCH_ATTEMPTS = 5;
export const DEFAULT_MAX_CONCURRENT_POLECATS = 5;

/** poll_null_result: this many consecutive unreadable polls fail the MR. */
export const MAX_POLL_NULL_COUNT = 10;
/** Triage requests other than escalations are capped at this many open at once. */
export const MAX_OPEN_TRIAGE_REQUESTS = 5;

/** DOMAIN.md §1: polecat names, town-global; overflow is `Polecat-<n>`. */
export const POLECAT_NAME_POOL = [
  "Toast", "Maple", "Birch", "Shadow", "Clover", "Ember", "Sage", "Dusk", "Flint", "Coral",
  "Slate", "Reed", "Thorn", "Pike", "Moss", "Wren", "Blaze", "Gale", "Drift", "Lark",
] as const;
export const REFINERY_NAME = "Refinery";

/** Labels with meaning to the reconciler (DOMAIN.md §2.12). */
export const LABELS = {
  convoy: "gt:convoy",
  mergeRequest: "gt:merge-request",
  rework: "gt:rework",
  prFixup: "gt:pr-fixup",
  prFeedback: "gt:pr-feedback",
  prConflict: "gt:pr-conflict",
  triageRequest: "gt:triage-request",
  triage: "gt:triage",
  escalation: "gt:escalation",
  message: "gt:message",
  held: "gt:held",
} as const;

/** The literal assignee/creator of system-made beads (landing MRs). */
export const SYSTEM_ACTOR = "system";
