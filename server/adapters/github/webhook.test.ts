import { describe, expect, it } from "vitest";
import type { EmitterWebhookEvent, EmitterWebhookEventName } from "@octokit/webhooks";
import { parseEventPayload } from "@/server/domain/events";
import { webhookEventsForMr, type WebhookMr } from "@/server/domain/pr-webhook";
import { parseDeliveryHeaders, parseDeliveryPayload, signWebhookPayload, verifyWebhookSignature, WebhookPayloadError } from "./webhook";

// GitHub deliveries → facts (adapter) → the events polling produces (domain), with payloads shaped like
// GitHub's: DeepPartial of @octokit/webhooks' own payload types, so a misspelt field fails the type check.

type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
type Payload<E extends EmitterWebhookEventName> = DeepPartial<EmitterWebhookEvent<E>["payload"]>;

const NOW = new Date("2026-03-01T12:00:00.000Z");
const repository = { full_name: "acme/widgets", name: "widgets", owner: { login: "acme" } };
const PR = "https://github.com/acme/widgets/pull/7";

const closed = (merged: boolean): Payload<"pull_request.closed"> => ({ action: "closed", number: 7, repository, pull_request: { number: 7, state: "closed", merged, html_url: PR } });
const synchronize: Payload<"pull_request.synchronize"> = { action: "synchronize", number: 7, repository, pull_request: { number: 7, state: "open", merged: false } };
const review = (state: string): Payload<"pull_request_review.submitted"> => ({ action: "submitted", repository, review: { state, body: "see inline" }, pull_request: { number: 7, state: "open" } });
const reviewComment: Payload<"pull_request_review_comment.created"> = { action: "created", repository, comment: { body: "nit" }, pull_request: { number: 7, state: "open" } };
const checkSuite = (conclusion: string | null, numbers = [7]): Payload<"check_suite.completed"> => ({
  action: "completed",
  repository,
  check_suite: { conclusion: conclusion as never, status: "completed", pull_requests: numbers.map((number) => ({ number })) },
});
const checkRun = (conclusion: string, numbers = [7]): Payload<"check_run.completed"> => ({
  action: "completed",
  repository,
  check_run: { name: "ci", status: "completed", conclusion: conclusion as never, pull_requests: numbers.map((number) => ({ number })) },
});

const mrOf = (over: Partial<WebhookMr> = {}): WebhookMr => ({
  mrBeadId: "mr-1",
  status: "in_progress",
  prUrl: PR,
  prNumber: 7,
  repo: "acme/widgets",
  branch: "gt/polecat/fix",
  autoResolvePrFeedback: true,
  autoMergeReadySince: null,
  hasOpenFeedbackBead: false,
  ...over,
});

function decide(event: string, payload: unknown, mr: Partial<WebhookMr> = {}) {
  const decision = webhookEventsForMr(parseDeliveryPayload(event, payload).facts, mrOf(mr), NOW);
  // Every event is one the drain accepts, exactly as the poll's are.
  for (const e of decision.events) expect(() => parseEventPayload(e.eventType, e.payload)).not.toThrow();
  return { types: decision.events.map((e) => e.eventType), events: decision.events, poll: decision.poll };
}

describe("webhook signature (X-Hub-Signature-256)", () => {
  it("accepts GitHub's signature of the exact body and refuses anything else", async () => {
    const body = JSON.stringify(closed(true));
    const sig = await signWebhookPayload("s3cret-webhook", body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(await verifyWebhookSignature("s3cret-webhook", body, sig)).toBe(true);
    expect(await verifyWebhookSignature("another-secret", body, sig)).toBe(false);
    expect(await verifyWebhookSignature("s3cret-webhook", body + " ", sig)).toBe(false);
    expect(await verifyWebhookSignature("s3cret-webhook", body, null)).toBe(false);
    expect(await verifyWebhookSignature("s3cret-webhook", body, "sha256=nothex")).toBe(false);
    expect(await verifyWebhookSignature("s3cret-webhook", body, sig.replace("sha256=", "sha1="))).toBe(false);
    expect(await verifyWebhookSignature("", body, sig)).toBe(false);
  });

  it("needs X-GitHub-Event and X-GitHub-Delivery", () => {
    expect(parseDeliveryHeaders(new Headers({ "x-github-event": "ping", "x-github-delivery": "d-1" }))).toEqual({ ok: true, value: { event: "ping", deliveryId: "d-1" } });
    expect(parseDeliveryHeaders(new Headers({ "x-github-event": "ping" })).ok).toBe(false);
    expect(parseDeliveryHeaders(new Headers({ "x-github-delivery": "d-1" })).ok).toBe(false);
  });
});

describe("pull_request", () => {
  it("closed + merged → pr_status_changed merged (no poll needed)", () => {
    const d = decide("pull_request", closed(true));
    expect(d.events).toEqual([{ eventType: "pr_status_changed", beadId: "mr-1", agentId: null, payload: { pr_url: PR, pr_state: "merged", source: "webhook" } }]);
    expect(d.poll).toBe(false);
  });

  it("closed without merge → pr_status_changed closed, also for an MR still queued (open)", () => {
    expect(decide("pull_request", closed(false)).events[0].payload).toMatchObject({ pr_state: "closed" });
    expect(decide("pull_request", closed(true), { status: "open" }).types).toEqual(["pr_status_changed"]);
  });

  it("a terminal MR or another PR number gets nothing", () => {
    expect(decide("pull_request", closed(true), { status: "closed" }).types).toEqual([]);
    expect(decide("pull_request", closed(true), { prNumber: 8 }).types).toEqual([]);
  });

  it("synchronize (new commits) stops a running grace timer and asks for a poll", () => {
    expect(decide("pull_request", synchronize, { autoMergeReadySince: NOW })).toMatchObject({ types: ["poll_auto_merge_update"], poll: true });
    expect(decide("pull_request", synchronize)).toMatchObject({ types: [], poll: true });
  });

  it("other actions are acknowledged and ignored", () => {
    const parsed = parseDeliveryPayload("pull_request", { ...synchronize, action: "labeled" });
    expect(parsed.facts).toEqual([]);
    expect(parsed.ignored).toContain("labeled");
  });
});

describe("pull_request_review and pull_request_review_comment", () => {
  it("changes requested → pr_feedback_detected (review comments) + poll_feedback_checked, timer cleared", () => {
    const d = decide("pull_request_review", review("changes_requested"), { autoMergeReadySince: NOW });
    expect(d.types).toEqual(["pr_feedback_detected", "poll_feedback_checked", "poll_auto_merge_update"]);
    expect(d.events[0].payload).toEqual({
      mr_bead_id: "mr-1",
      pr_url: PR,
      pr_number: 7,
      repo: "acme/widgets",
      branch: "gt/polecat/fix",
      has_unresolved_comments: true,
      has_failing_checks: false,
      has_unchecked_runs: false,
    });
    expect(d.events[1].payload).toEqual({ mr_bead_id: "mr-1", checked_at: NOW.toISOString() });
  });

  it("no feedback bead when the rig does not auto-resolve feedback or one is already open (as polling)", () => {
    expect(decide("pull_request_review", review("changes_requested"), { autoResolvePrFeedback: false }).types).toEqual([]);
    expect(decide("pull_request_review", review("changes_requested"), { hasOpenFeedbackBead: true }).types).toEqual([]);
  });

  it("an MR not yet in progress is not polled, so gets no feedback either", () => {
    expect(decide("pull_request_review", review("changes_requested"), { status: "open" })).toEqual({ types: [], events: [], poll: false });
  });

  it("approved / commented reviews and review comments ask for a poll (the poll judges them)", () => {
    expect(decide("pull_request_review", review("approved"))).toMatchObject({ types: [], poll: true });
    expect(decide("pull_request_review", review("commented"))).toMatchObject({ types: [], poll: true });
    expect(decide("pull_request_review_comment", reviewComment)).toMatchObject({ types: [], poll: true });
  });
});

describe("check_suite and check_run completed", () => {
  it("a failing conclusion → pr_feedback_detected (failing CI) for each PR listed", () => {
    for (const conclusion of ["failure", "timed_out", "cancelled", "action_required", "neutral"]) {
      const d = decide("check_suite", checkSuite(conclusion));
      expect(d.types).toEqual(["pr_feedback_detected", "poll_feedback_checked"]);
      expect(d.events[0].payload).toMatchObject({ has_failing_checks: true, has_unresolved_comments: false });
    }
    expect(decide("check_run", checkRun("failure")).types).toEqual(["pr_feedback_detected", "poll_feedback_checked"]);
  });

  it("success or skipped asks for a poll (are all checks green? the poll's allChecksPass decides)", () => {
    expect(decide("check_suite", checkSuite("success"))).toMatchObject({ types: [], poll: true });
    expect(decide("check_run", checkRun("skipped"))).toMatchObject({ types: [], poll: true });
  });

  it("a suite for other PRs or for none (fork PRs are not listed) concerns nothing", () => {
    expect(decide("check_suite", checkSuite("failure", [8]))).toMatchObject({ types: [], poll: false });
    expect(parseDeliveryPayload("check_suite", checkSuite("failure", [])).ignored).toContain("no pull request");
    expect(parseDeliveryPayload("check_run", { ...checkRun("failure"), action: "created" }).facts).toEqual([]);
  });
});

describe("malformed and unknown payloads", () => {
  it("a payload missing a field we use is an error, not a guess", () => {
    expect(() => parseDeliveryPayload("pull_request", { action: "closed", repository })).toThrow(WebhookPayloadError);
    expect(() => parseDeliveryPayload("check_suite", { action: "completed", repository: { full_name: "no-slash" }, check_suite: {} })).toThrow(WebhookPayloadError);
  });

  it("events we do not use are ignored", () => {
    const parsed = parseDeliveryPayload("push", { ref: "refs/heads/main", repository });
    expect(parsed).toMatchObject({ facts: [], repo: "acme/widgets" });
    expect(parsed.ignored).toContain("push");
  });
});
