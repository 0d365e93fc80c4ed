import { describe, expect, it } from "vitest";
import { DomainError } from "./errors";
import { EVENT_TYPES, makeEvent, parseEventPayload, parseTownEvent } from "./events";

const VALID: Record<string, unknown> = {
  agent_done: { branch: "gt/x", pr_url: "https://github.com/a/b/pull/1", summary: "done" },
  agent_completed: { status: "completed" },
  pr_status_changed: { pr_url: "https://github.com/a/b/pull/1", pr_state: "merged" },
  bead_created: { bead_type: "issue", rig_id: "r1", has_blockers: false },
  bead_cancelled: { cancel_status: "closed" },
  convoy_started: { convoy_id: "c1" },
  container_status: { status: "exited", exit_reason: "oom" },
  container_eviction: {},
  nudge_timeout: {},
  pr_feedback_detected: {
    mr_bead_id: "m1", pr_url: "https://github.com/a/b/pull/1", pr_number: 1, repo: "a/b", branch: "gt/x",
    has_unresolved_comments: true, has_failing_checks: false, has_unchecked_runs: false,
  },
  pr_auto_merge: { mr_bead_id: "m1", pr_url: "https://github.com/a/b/pull/1" },
  auto_merge_cleared: { mr_bead_id: "m1", reason: "fresh_feedback" },
  poll_nonnull_result: { mr_bead_id: "m1" },
  poll_null_result: { mr_bead_id: "m1", pr_url: "https://github.com/a/b/pull/1" },
  poll_feedback_checked: { mr_bead_id: "m1", checked_at: "2026-03-01T12:00:00.000Z" },
  poll_auto_merge_update: { mr_bead_id: "m1", ready_since: null },
  pr_conflict_detected: { mr_bead_id: "m1", pr_url: "https://github.com/a/b/pull/1", branch: "gt/x" },
  dispatch_failed: { agent_id: "a1", bead_id: "b1", reason: "runtime refused" },
};

describe("events", () => {
  it("has a schema for every event type of DOMAIN.md §3 plus dispatch_failed", () => {
    expect([...EVENT_TYPES].sort()).toEqual(Object.keys(VALID).sort());
  });

  it.each(Object.entries(VALID))("parses a valid %s payload", (type, payload) => {
    expect(() => parseEventPayload(type, payload)).not.toThrow();
  });

  it("rejects a bad payload with invalid_payload naming the field", () => {
    try {
      parseEventPayload("pr_auto_merge", { pr_url: 3 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe("invalid_payload");
      expect((err as DomainError).message).toMatch(/mr_bead_id/);
    }
  });

  it("rejects an unknown event type as invalid_payload", () => {
    expect(() => parseTownEvent({ eventType: "made_up", agentId: null, beadId: null, payload: {} })).toThrow(/Unknown event type/);
  });

  it("agent_completed maps any status other than completed to failed", () => {
    expect(parseEventPayload("agent_completed", { status: "completed" }).status).toBe("completed");
    expect(parseEventPayload("agent_completed", { status: "crashed" }).status).toBe("failed");
    expect(parseEventPayload("agent_completed", {}).status).toBe("failed");
  });

  it("bead_cancelled defaults cancel_status to failed", () => {
    expect(parseEventPayload("bead_cancelled", {}).cancel_status).toBe("failed");
  });

  it("drops unknown payload keys instead of poisoning the event", () => {
    expect(parseEventPayload("poll_nonnull_result", { mr_bead_id: "m1", extra: true })).toEqual({ mr_bead_id: "m1" });
  });

  it("turns ISO timestamps into Dates and refuses garbage", () => {
    const p = parseEventPayload("poll_feedback_checked", { mr_bead_id: "m1", checked_at: "2026-03-01T12:00:00.000Z" });
    expect(p.checked_at).toBeInstanceOf(Date);
    expect(() => parseEventPayload("poll_feedback_checked", { mr_bead_id: "m1", checked_at: "yesterday-ish" })).toThrow(DomainError);
  });

  it("makeEvent builds a typed event with its envelope", () => {
    const e = makeEvent("agent_done", { agentId: "a1", payload: { branch: "b" } });
    expect(e).toMatchObject({ eventType: "agent_done", agentId: "a1", beadId: null, payload: { branch: "b" } });
  });
});
