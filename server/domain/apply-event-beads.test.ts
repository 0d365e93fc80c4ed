import { describe, expect, it } from "vitest";
import { applyEvent } from "./apply-event";
import { DomainError } from "./errors";
import { ago, agent, agoSeconds, bead, convoy, ev, mr, NOW, PR_URL as PR, RIG_ID, repoOf } from "./testing";

// applyEvent for the bead, review, polling, dispatch_failed and convoy events; the agent events are in apply-event.test.ts.

describe("bead_cancelled", () => {
  it("§11 #5 returns stop_agent for each hooked agent that was working or stalled before unhooking", async () => {
    const b = bead({ status: "in_progress" });
    const working = agent({ status: "working", currentHookBeadId: b.id });
    const stalled = agent({ status: "stalled", currentHookBeadId: b.id });
    const idle = agent({ status: "idle", currentHookBeadId: b.id });
    const repo = repoOf({ beads: [b], agents: [working, stalled, idle] });
    const actions = await applyEvent(repo, ev("bead_cancelled", { beadId: b.id, payload: {} }), NOW);
    expect(actions).toEqual([
      { type: "stop_agent", rule: "event:bead_cancelled", reason: `bead ${b.id} was cancelled`, agentId: working.id },
      { type: "stop_agent", rule: "event:bead_cancelled", reason: `bead ${b.id} was cancelled`, agentId: stalled.id },
    ]);
    for (const a of [working, stalled, idle]) expect(repo.agent(a.id)).toMatchObject({ currentHookBeadId: null, status: "idle" });
    expect(repo.bead(b.id)).toMatchObject({ status: "failed", metadata: expect.objectContaining({ failureReason: "cancelled" }) });
  });

  it("honours cancel_status closed, and still stops agents when the bead was already made terminal synchronously", async () => {
    const b = bead({ status: "closed" });
    const working = agent({ status: "working", currentHookBeadId: b.id });
    const repo = repoOf({ beads: [b], agents: [working] });
    const actions = await applyEvent(repo, ev("bead_cancelled", { beadId: b.id, payload: { cancel_status: "closed" } }), NOW);
    expect(actions).toHaveLength(1);
    expect(repo.bead(b.id).status).toBe("closed");
  });

  it("a missing bead throws entity_not_found", async () => {
    await expect(applyEvent(repoOf({}), ev("bead_cancelled", { beadId: "ghost", payload: {} }), NOW)).rejects.toBeInstanceOf(DomainError);
  });
});

describe("review completion events", () => {
  it("pr_status_changed merged closes the MR and its source, and recounts the convoy", async () => {
    const src = bead({ status: "in_review" });
    const other = bead({ status: "closed" });
    const c = convoy({ tracks: [src.id, other.id], meta: { mergeMode: "review-and-merge", closedBeads: 1 } });
    const m = mr({ sourceBeadId: src.id, status: "in_progress", prUrl: PR });
    const repo = repoOf({ beads: [src, other], mrs: [m], convoys: [c] });
    await applyEvent(repo, ev("pr_status_changed", { beadId: m.bead.id, payload: { pr_url: PR, pr_state: "merged" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("closed");
    expect(repo.bead(src.id).status).toBe("closed");
    expect(repo.convoy(c.bead.id)).toMatchObject({ closedBeads: 2, totalBeads: 2 });
    expect(repo.eventsOf(src.id, "review_completed")[0].metadata).toMatchObject({ message: "PR merged (detected by polling)" });
  });

  it("a merged landing MR stamps the convoy's landed_at", async () => {
    const c = convoy({ meta: { featureBranch: "f/head", readyToLand: true } });
    const landing = mr({ sourceBeadId: c.bead.id, status: "in_progress", createdBy: "system", prUrl: PR });
    const repo = repoOf({ convoys: [c], mrs: [landing] });
    await applyEvent(repo, ev("pr_status_changed", { beadId: landing.bead.id, payload: { pr_url: PR, pr_state: "merged" } }), NOW);
    expect(repo.convoy(c.bead.id).landedAt).toEqual(NOW);
    expect(repo.bead(c.bead.id).status).toBe("closed");
  });

  it("pr_status_changed closed fails the MR and reopens the source without assignee; other states and finished MRs are ignored", async () => {
    const src = bead({ status: "in_review", assigneeAgentBeadId: "p1" });
    const m = mr({ sourceBeadId: src.id, status: "in_progress", prUrl: PR });
    const repo = repoOf({ beads: [src], mrs: [m] });
    await applyEvent(repo, ev("pr_status_changed", { beadId: m.bead.id, payload: { pr_url: PR, pr_state: "open" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("in_progress");
    await applyEvent(repo, ev("pr_status_changed", { beadId: m.bead.id, payload: { pr_url: PR, pr_state: "closed" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("failed");
    expect(repo.bead(src.id)).toMatchObject({ status: "open", assigneeAgentBeadId: null });
    await applyEvent(repo, ev("pr_status_changed", { beadId: m.bead.id, payload: { pr_url: PR, pr_state: "merged" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("failed"); // terminal stays terminal
  });
});

describe("polling events", () => {
  const prMr = (fields = {}) => mr({ status: "in_progress", prUrl: PR, ...fields });

  it("pr_feedback_detected creates one feedback bead that blocks the MR, and dedupes while it is open", async () => {
    const m = prMr();
    const repo = repoOf({ mrs: [m] });
    const payload = { mr_bead_id: m.bead.id, pr_url: PR, pr_number: 12, repo: "acme/widgets", branch: "gt/x", has_unresolved_comments: true, has_failing_checks: true, has_unchecked_runs: true };
    await applyEvent(repo, ev("pr_feedback_detected", { beadId: m.bead.id, payload }), NOW);
    await applyEvent(repo, ev("pr_feedback_detected", { beadId: m.bead.id, payload }), NOW);
    const feedback = repo.beadsOfType("issue");
    expect(feedback).toHaveLength(1);
    expect(feedback[0]).toMatchObject({
      title: "Address review comments & failing CI on PR #12 (widgets)",
      labels: ["gt:pr-feedback"],
      parentBeadId: m.bead.id,
      rigId: m.bead.rigId,
      metadata: { pr_feedback_for: m.bead.id, pr_url: PR, branch: "gt/x" },
    });
    expect(repo.snapshot().dependencies).toContainEqual(expect.objectContaining({ beadId: m.bead.id, dependsOnBeadId: feedback[0].id, dependencyType: "blocks" }));
  });

  it("pr_feedback_detected on a finished or missing MR is a no-op", async () => {
    const m = prMr({ status: "closed" });
    const repo = repoOf({ mrs: [m] });
    const payload = { mr_bead_id: m.bead.id, pr_url: PR, pr_number: 1, repo: "a/b", branch: "x", has_unresolved_comments: false, has_failing_checks: false, has_unchecked_runs: true };
    await applyEvent(repo, ev("pr_feedback_detected", { beadId: m.bead.id, payload }), NOW);
    await applyEvent(repo, ev("pr_feedback_detected", { beadId: "ghost", payload: { ...payload, mr_bead_id: "ghost" } }), NOW);
    expect(repo.beadsOfType("issue")).toEqual([]);
  });

  it("pr_auto_merge sets auto_merge_pending, except on held or finished MRs", async () => {
    const m = prMr({ updatedAt: ago(10) });
    const held = prMr({ labels: ["gt:merge-request", "gt:held"] });
    const repo = repoOf({ mrs: [m, held] });
    await applyEvent(repo, ev("pr_auto_merge", { beadId: m.bead.id, payload: { mr_bead_id: m.bead.id, pr_url: PR } }), NOW);
    await applyEvent(repo, ev("pr_auto_merge", { beadId: held.bead.id, payload: { mr_bead_id: held.bead.id, pr_url: PR } }), NOW);
    expect(repo.bead(m.bead.id)).toMatchObject({ updatedAt: NOW, metadata: expect.objectContaining({ auto_merge_pending: true }) });
    expect(repo.bead(held.bead.id).metadata.auto_merge_pending).toBeUndefined();
  });

  it("auto_merge_cleared removes pending and restarts the grace period", async () => {
    const m = prMr({ metadata: { auto_merge_pending: true }, review: { autoMergeReadySince: ago(30) } });
    const repo = repoOf({ mrs: [m] });
    await applyEvent(repo, ev("auto_merge_cleared", { beadId: m.bead.id, payload: { mr_bead_id: m.bead.id, reason: "merge_failed" } }), NOW);
    expect(repo.bead(m.bead.id).metadata.auto_merge_pending).toBeUndefined();
    expect(repo.review(m.bead.id).autoMergeReadySince).toBeNull();
  });

  it("poll_null_result fails the MR at the 10th consecutive null and escalates; 9 does not; a non-null result resets", async () => {
    const m = prMr({ metadata: { poll_null_count: 8 } });
    const repo = repoOf({ mrs: [m] });
    const nul = ev("poll_null_result", { beadId: m.bead.id, payload: { mr_bead_id: m.bead.id, pr_url: PR } });
    await applyEvent(repo, nul, NOW);
    expect(repo.bead(m.bead.id)).toMatchObject({ status: "in_progress", metadata: { poll_null_count: 9 } });
    await applyEvent(repo, nul, NOW);
    expect(repo.bead(m.bead.id)).toMatchObject({ status: "failed", metadata: expect.objectContaining({ failureReason: "pr_poll_failed", poll_null_count: 10 }) });
    expect(repo.beadsOfType("escalation")).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ kind: "pr_poll_failed" }) })]);

    const other = prMr({ metadata: { poll_null_count: 9 } });
    const repo2 = repoOf({ mrs: [other] });
    await applyEvent(repo2, ev("poll_nonnull_result", { beadId: other.bead.id, payload: { mr_bead_id: other.bead.id } }), NOW);
    expect(repo2.bead(other.bead.id).metadata.poll_null_count).toBe(0);
  });

  it("poll_feedback_checked stores last_feedback_check_at", async () => {
    const m = prMr();
    const repo = repoOf({ mrs: [m] });
    await applyEvent(repo, ev("poll_feedback_checked", { beadId: m.bead.id, payload: { mr_bead_id: m.bead.id, checked_at: ago(1).toISOString() } }), NOW);
    expect(repo.review(m.bead.id).lastFeedbackCheckAt).toEqual(ago(1));
  });

  it("poll_auto_merge_update starts the timer only at the first green observation, never on a held MR, and null clears it", async () => {
    const m = prMr();
    const held = prMr({ labels: ["gt:merge-request", "gt:held"] });
    const repo = repoOf({ mrs: [m, held] });
    const start = (id: string, at: Date | null) => ev("poll_auto_merge_update", { beadId: id, payload: { mr_bead_id: id, ready_since: at ? at.toISOString() : null } });
    await applyEvent(repo, start(m.bead.id, ago(5)), NOW);
    await applyEvent(repo, start(m.bead.id, ago(1)), NOW);
    expect(repo.review(m.bead.id).autoMergeReadySince).toEqual(ago(5));
    await applyEvent(repo, start(held.bead.id, ago(5)), NOW);
    expect(repo.review(held.bead.id).autoMergeReadySince).toBeNull();
    await applyEvent(repo, start(m.bead.id, null), NOW);
    expect(repo.review(m.bead.id).autoMergeReadySince).toBeNull();
  });

  it("pr_conflict_detected creates one gt:pr-conflict bead blocking the MR, or escalates when the rig does not auto-resolve", async () => {
    const m = prMr();
    const repo = repoOf({ mrs: [m] });
    const e = ev("pr_conflict_detected", { beadId: m.bead.id, payload: { mr_bead_id: m.bead.id, pr_url: PR, branch: "gt/x" } });
    await applyEvent(repo, e, NOW);
    await applyEvent(repo, e, NOW);
    expect(repo.beadsOfType("issue").filter((b) => b.labels.includes("gt:pr-conflict"))).toHaveLength(1);
    const off = repoOf({ mrs: [m], rigs: [{ config: { auto_resolve_merge_conflicts: false } }] });
    await applyEvent(off, e, NOW);
    expect(off.beadsOfType("escalation")).toHaveLength(1);
  });

  it("poll events about a missing MR throw entity_not_found", async () => {
    await expect(applyEvent(repoOf({}), ev("pr_auto_merge", { beadId: "x", payload: { mr_bead_id: "x", pr_url: PR } }), NOW)).rejects.toMatchObject({ code: "entity_not_found" });
  });
});

describe("dispatch_failed (SPEC.md §2)", () => {
  function dispatched(fields = {}) {
    const b = bead({ status: "in_progress", dispatchAttempts: 1, lastDispatchAttemptAt: agoSeconds(5) });
    const a = agent({ status: "working", currentHookBeadId: b.id, dispatchedAt: agoSeconds(5), lastActivityAt: agoSeconds(5), ...fields });
    return { a, b };
  }
  const failed = (a: { id: string }, b: { id: string }, extra = {}) => ev("dispatch_failed", { agentId: a.id, beadId: b.id, payload: { agent_id: a.id, bead_id: b.id, reason: "runtime refused", ...extra } });

  it("§11 #6 rolls the agent back to idle, keeps the hook and the bead in_progress", async () => {
    const { a, b } = dispatched();
    const repo = repoOf({ beads: [b], agents: [a] });
    await applyEvent(repo, failed(a, b), NOW);
    expect(repo.agent(a.id)).toMatchObject({ status: "idle", currentHookBeadId: b.id });
    expect(repo.bead(b.id)).toMatchObject({ status: "in_progress", metadata: { last_dispatch_error: "runtime refused" } });
  });

  it("does not roll back an agent that heartbeated since the dispatch (the start worked after all)", async () => {
    const { a, b } = dispatched({ lastActivityAt: agoSeconds(1) });
    const repo = repoOf({ beads: [b], agents: [a] });
    await applyEvent(repo, failed(a, b), NOW);
    expect(repo.agent(a.id).status).toBe("working");
  });

  it("does not roll back an agent hooked elsewhere, not working, or re-dispatched since", async () => {
    const { a, b } = dispatched();
    const other = bead({ status: "in_progress" });
    const elsewhere = agent({ status: "working", currentHookBeadId: other.id, dispatchedAt: agoSeconds(5), lastActivityAt: agoSeconds(5) });
    const repo = repoOf({ beads: [b, other], agents: [a, elsewhere] });
    await applyEvent(repo, failed(elsewhere, b), NOW);
    expect(repo.agent(elsewhere.id).status).toBe("working");
    await applyEvent(repo, failed(a, b, { dispatched_at: ago(10).toISOString() }), NOW);
    expect(repo.agent(a.id).status).toBe("working");
  });

  it("a missing agent throws entity_not_found", async () => {
    const b = bead();
    await expect(applyEvent(repoOf({ beads: [b] }), failed({ id: "ghost" }, b), NOW)).rejects.toMatchObject({ code: "entity_not_found" });
  });
});

describe("no-op and convoy events", () => {
  it("bead_created, container_eviction and nudge_timeout change nothing", async () => {
    const b = bead();
    const repo = repoOf({ beads: [b] });
    const before = repo.snapshot();
    expect(await applyEvent(repo, ev("bead_created", { beadId: b.id, payload: { bead_type: "issue", rig_id: RIG_ID, has_blockers: false } }), NOW)).toEqual([]);
    expect(await applyEvent(repo, ev("container_eviction", { payload: {} }), NOW)).toEqual([]);
    expect(await applyEvent(repo, ev("nudge_timeout", { payload: {} }), NOW)).toEqual([]);
    expect(repo.snapshot()).toEqual(before);
  });

  it("convoy_started clears staged (idempotently); a missing convoy throws", async () => {
    const c = convoy({ meta: { staged: true } });
    const repo = repoOf({ convoys: [c] });
    await applyEvent(repo, ev("convoy_started", { payload: { convoy_id: c.bead.id } }), NOW);
    await applyEvent(repo, ev("convoy_started", { payload: { convoy_id: c.bead.id } }), NOW);
    expect(repo.convoy(c.bead.id).staged).toBe(false);
    await expect(applyEvent(repo, ev("convoy_started", { payload: { convoy_id: "ghost" } }), NOW)).rejects.toMatchObject({ code: "entity_not_found" });
  });
});
