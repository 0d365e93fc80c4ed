import { describe, expect, it } from "vitest";
import { reconcile } from "../reconcile";
import { ago, agent, agoSeconds, bead, blocks, byRule, convoy, makeWorld, mr, NOW } from "../testing";

const PR = "https://github.com/acme/widgets/pull/7";

describe("R1 poll PRs", () => {
  it("R1 polls an in_progress MR with a PR when the last poll is at least 60 s old, not at 59 s", () => {
    const due = mr({ status: "in_progress", prUrl: PR, metadata: { last_poll_at: agoSeconds(60).toISOString() } });
    const recent = mr({ status: "in_progress", prUrl: PR, metadata: { last_poll_at: agoSeconds(59).toISOString() } });
    const never = mr({ status: "in_progress", prUrl: PR });
    const actions = byRule(reconcile(makeWorld({ mrs: [due, recent, never] }), NOW), "R1");
    expect(actions.map((a) => (a as { beadId: string }).beadId).sort()).toEqual([due.bead.id, never.bead.id].sort());
    expect(actions.every((a) => a.type === "poll_pr")).toBe(true);
  });

  it("R1 emits merge_pr when auto_merge_pending is set", () => {
    const pending = mr({ status: "in_progress", prUrl: PR, metadata: { auto_merge_pending: true, last_poll_at: NOW.toISOString() } });
    expect(byRule(reconcile(makeWorld({ mrs: [pending] }), NOW), "R1")).toEqual([
      expect.objectContaining({ type: "merge_pr", beadId: pending.bead.id, prUrl: PR }),
    ]);
  });

  it("R1 never merges a held MR (label gt:held) but keeps polling it", () => {
    const held = mr({ status: "in_progress", prUrl: PR, labels: ["gt:merge-request", "gt:held"], metadata: { auto_merge_pending: true } });
    const actions = byRule(reconcile(makeWorld({ mrs: [held] }), NOW), "R1");
    expect(actions.map((a) => a.type)).toEqual(["poll_pr"]);
  });

  it("R1 ignores open MRs and MRs without a PR", () => {
    const open = mr({ status: "open", prUrl: PR });
    const direct = mr({ status: "in_progress" });
    expect(byRule(reconcile(makeWorld({ mrs: [open, direct], agents: [agent({ role: "refinery", status: "working", currentHookBeadId: direct.bead.id })] }), NOW), "R1")).toEqual([]);
  });
});

describe("R2 stuck review", () => {
  it("R2 requeues a direct review stuck just over 30 min with only idle agents hooked, and unhooks them", () => {
    const stuck = mr({ status: "in_progress", updatedAt: agoSeconds(30 * 60 + 1) });
    const refinery = agent({ role: "refinery", status: "idle", currentHookBeadId: stuck.bead.id, dispatchAttempts: 0 });
    const actions = byRule(reconcile(makeWorld({ mrs: [stuck], agents: [refinery] }), NOW), "R2");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: stuck.bead.id, from: "in_progress", to: "open", reason: "stuck review, no working agent" }),
      expect.objectContaining({ type: "unhook_agent", agentId: refinery.id }),
    ]);
  });

  it("R2 waits just under 30 min", () => {
    const young = mr({ status: "in_progress", updatedAt: agoSeconds(30 * 60 - 1) });
    const refinery = agent({ role: "refinery", status: "idle", currentHookBeadId: young.bead.id });
    expect(byRule(reconcile(makeWorld({ mrs: [young], agents: [refinery] }), NOW), "R2")).toEqual([]);
  });

  it("R2 leaves a review whose agent is working, or whose rework is in flight", () => {
    const working = mr({ status: "in_progress", updatedAt: ago(40) });
    const busy = agent({ role: "refinery", status: "working", currentHookBeadId: working.bead.id, lastActivityAt: NOW });
    const rework = mr({ status: "in_progress", updatedAt: ago(40) });
    const reworkBead = bead({ status: "in_progress", labels: ["gt:rework"] });
    const idle = agent({ role: "refinery", status: "idle", currentHookBeadId: rework.bead.id, rigId: "rig-2" });
    const actions = reconcile(
      makeWorld({ rigs: [{}, { id: "rig-2" }], beads: [reworkBead], mrs: [working, rework], agents: [busy, idle], dependencies: [blocks(rework.bead.id, reworkBead.id)] }),
      NOW,
    );
    expect(byRule(actions, "R2")).toEqual([]);
  });
});

describe("R3 abandoned review", () => {
  it("R3 requeues a direct review with no agent hooked after just over 2 min, not just under", () => {
    const over = mr({ status: "in_progress", updatedAt: agoSeconds(121) });
    const under = mr({ status: "in_progress", updatedAt: agoSeconds(119), rigId: "rig-2" });
    const actions = byRule(reconcile(makeWorld({ rigs: [{}, { id: "rig-2" }], mrs: [over, under] }), NOW), "R3");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: over.bead.id, from: "in_progress", to: "open", reason: "abandoned, no agent hooked" }),
    ]);
  });

  it("R3 waits while a rework blocker is unresolved, then requeues once it closed", () => {
    const m = mr({ status: "in_progress", updatedAt: ago(10) });
    const open = bead({ status: "in_progress", labels: ["gt:rework"] });
    const dep = blocks(m.bead.id, open.id);
    expect(byRule(reconcile(makeWorld({ beads: [open], mrs: [m], dependencies: [dep] }), NOW), "R3")).toEqual([]);
    const closed = { ...open, status: "closed" as const };
    expect(byRule(reconcile(makeWorld({ beads: [closed], mrs: [m], dependencies: [dep] }), NOW), "R3")).toHaveLength(1);
  });

  it("R3 ignores MRs with a PR (R4 handles them)", () => {
    const pr = mr({ status: "in_progress", prUrl: PR, updatedAt: ago(10) });
    expect(byRule(reconcile(makeWorld({ mrs: [pr] }), NOW), "R3")).toEqual([]);
  });
});

describe("R4 orphaned PR review", () => {
  it("R4 fails an in_progress MR with a PR after 30 min without a refinery", () => {
    const orphan = mr({ status: "in_progress", prUrl: PR, updatedAt: agoSeconds(30 * 60 + 1) });
    expect(byRule(reconcile(makeWorld({ mrs: [orphan] }), NOW), "R4")).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: orphan.bead.id, from: "in_progress", to: "failed", reason: "PR review orphaned" }),
    ]);
  });

  it("R4 waits just under 30 min", () => {
    const young = mr({ status: "in_progress", prUrl: PR, updatedAt: agoSeconds(30 * 60 - 1) });
    expect(byRule(reconcile(makeWorld({ mrs: [young] }), NOW), "R4")).toEqual([]);
  });

  it("R4 is skipped when code_review is off for the rig", () => {
    const orphan = mr({ status: "in_progress", prUrl: PR, updatedAt: ago(90) });
    expect(byRule(reconcile(makeWorld({ mrs: [orphan], rigs: [{ config: { code_review: false } }] }), NOW), "R4")).toEqual([]);
    // and the rig override wins over the town in both directions
    expect(byRule(reconcile(makeWorld({ mrs: [orphan], townSettings: { refinery: { code_review: false } } }), NOW), "R4")).toEqual([]);
    expect(
      byRule(reconcile(makeWorld({ mrs: [orphan], townSettings: { refinery: { code_review: false } }, rigs: [{ config: { code_review: true } }] }), NOW), "R4"),
    ).toHaveLength(1);
  });

  it("R4 leaves a PR review with a working or stalled refinery, and never touches open MRs", () => {
    const reviewing = mr({ status: "in_progress", prUrl: PR, updatedAt: ago(90) });
    const refinery = agent({ role: "refinery", status: "stalled", currentHookBeadId: reviewing.bead.id });
    const queued = mr({ status: "open", prUrl: PR, updatedAt: ago(90), rigId: "rig-2" });
    const actions = reconcile(makeWorld({ rigs: [{}, { id: "rig-2" }], mrs: [reviewing, queued], agents: [refinery] }), NOW);
    expect(byRule(actions, "R4")).toEqual([]);
  });
});

describe("code_review = false branch", () => {
  const off = { rigs: [{ config: { code_review: false } }] };

  it("code_review off fast-tracks an open MR with a PR to in_progress for polling", () => {
    const m = mr({ status: "open", prUrl: PR });
    expect(byRule(reconcile(makeWorld({ mrs: [m], ...off }), NOW), "code_review_off")).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: m.bead.id, from: "open", to: "in_progress", reason: "refinery code review disabled — skip to poll_pr" }),
    ]);
  });

  it("code_review off fails an open MR without a PR and reopens its source", () => {
    const source = bead({ status: "in_review", assigneeAgentBeadId: "p1" });
    const m = mr({ status: "open", sourceBeadId: source.id, createdBy: "p1" });
    const actions = byRule(reconcile(makeWorld({ beads: [source], mrs: [m], ...off }), NOW), "code_review_off");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: m.bead.id, from: "open", to: "failed", reason: "polecat failed to create PR" }),
      expect.objectContaining({ type: "transition_bead", beadId: source.id, from: "in_review", to: "open" }),
      expect.objectContaining({ type: "clear_bead_assignee", beadId: source.id }),
    ]);
  });

  it("code_review off leaves system landing MRs and review-and-merge convoy MRs to the refinery (R5)", () => {
    const landing = mr({ status: "open", createdBy: "system", createdAt: ago(10) });
    const task = bead({ status: "in_review" });
    const c = convoy({ tracks: [task.id], meta: { mergeMode: "review-and-merge" } });
    const convoyMr = mr({ status: "open", sourceBeadId: task.id, prUrl: PR, createdAt: ago(5) });
    const actions = reconcile(makeWorld({ beads: [task], mrs: [landing, convoyMr], convoys: [c], ...off }), NOW);
    expect(byRule(actions, "code_review_off")).toEqual([]);
    // R5 pops the oldest qualifying MR: the landing MR
    expect(byRule(actions, "R5")).toContainEqual(expect.objectContaining({ type: "dispatch_agent", beadId: landing.bead.id }));
  });

  it("code_review off: R5 never pops an ordinary MR", () => {
    const m = mr({ status: "open", prUrl: PR });
    expect(byRule(reconcile(makeWorld({ mrs: [m], ...off }), NOW), "R5")).toEqual([]);
  });
});

describe("R5 pop for refinery", () => {
  it("R5 pops the oldest open MR and creates a refinery when the rig has none", () => {
    const older = mr({ status: "open", createdAt: ago(10) });
    const newer = mr({ status: "open", createdAt: ago(5) });
    const actions = byRule(reconcile(makeWorld({ mrs: [newer, older] }), NOW), "R5");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: older.bead.id, from: "open", to: "in_progress", reason: "popped for review (creating refinery)" }),
      expect.objectContaining({ type: "dispatch_agent", agentId: null, beadId: older.bead.id }),
    ]);
  });

  it("R5 hooks and dispatches an idle unhooked refinery", () => {
    const m = mr({ status: "open" });
    const refinery = agent({ role: "refinery", status: "idle" });
    expect(byRule(reconcile(makeWorld({ mrs: [m], agents: [refinery] }), NOW), "R5").map((a) => a.type)).toEqual([
      "transition_bead",
      "hook_agent",
      "dispatch_agent",
    ]);
  });

  it("R5 waits for a busy refinery", () => {
    const m = mr({ status: "open" });
    const other = mr({ status: "in_progress", prUrl: PR });
    const refinery = agent({ role: "refinery", status: "working", currentHookBeadId: other.bead.id, lastActivityAt: NOW });
    expect(byRule(reconcile(makeWorld({ mrs: [m, other], agents: [refinery] }), NOW), "R5")).toEqual([]);
  });

  it("R5 serialises direct merges: an in_progress MR without a PR blocks the rig's queue, one with a PR does not", () => {
    const queued = mr({ status: "open" });
    const direct = mr({ status: "in_progress" });
    const refineryOnDirect = agent({ role: "refinery", status: "working", currentHookBeadId: direct.bead.id, lastActivityAt: NOW });
    expect(byRule(reconcile(makeWorld({ mrs: [queued, direct], agents: [refineryOnDirect] }), NOW), "R5")).toEqual([]);
    const prMr = mr({ status: "in_progress", prUrl: PR, metadata: { last_poll_at: NOW.toISOString() } });
    const idle = agent({ role: "refinery", status: "idle" });
    expect(byRule(reconcile(makeWorld({ mrs: [queued, prMr], agents: [idle] }), NOW), "R5")).toHaveLength(3);
  });

  it("R5 skips held and blocked MRs and pops the next one", () => {
    const held = mr({ status: "open", createdAt: ago(30), labels: ["gt:merge-request", "gt:held"] });
    const blocked = mr({ status: "open", createdAt: ago(20) });
    const feedback = bead({ status: "open", labels: ["gt:pr-feedback"], assigneeAgentBeadId: "system" });
    const next = mr({ status: "open", createdAt: ago(10) });
    const actions = byRule(
      reconcile(makeWorld({ beads: [feedback], mrs: [held, blocked, next], dependencies: [blocks(blocked.bead.id, feedback.id)] }), NOW),
      "R5",
    );
    expect(actions).toContainEqual(expect.objectContaining({ type: "dispatch_agent", beadId: next.bead.id }));
  });

  it("R5 skips MRs in cooldown and fails MRs out of attempts", () => {
    const capped = mr({ status: "open", createdAt: ago(30), dispatchAttempts: 5 });
    const cooling = mr({ status: "open", createdAt: ago(20), dispatchAttempts: 1, lastDispatchAttemptAt: ago(1) });
    const actions = byRule(reconcile(makeWorld({ mrs: [capped, cooling] }), NOW), "R5");
    expect(actions).toEqual([expect.objectContaining({ type: "transition_bead", beadId: capped.bead.id, to: "failed" })]);
  });

  it("R5 does not dispatch while draining", () => {
    expect(byRule(reconcile(makeWorld({ mrs: [mr({ status: "open" })], draining: true }), NOW), "R5")).toEqual([]);
  });
});

describe("R6 redispatch refinery", () => {
  function hooked(mrFields = {}) {
    const m = mr({ status: "in_progress", prUrl: PR, metadata: { last_poll_at: NOW.toISOString() }, ...mrFields });
    const r = agent({ role: "refinery", status: "idle", currentHookBeadId: m.bead.id });
    return { m, r };
  }

  it("R6 redispatches an idle refinery hooked to an in_progress MR", () => {
    const { m, r } = hooked();
    expect(byRule(reconcile(makeWorld({ mrs: [m], agents: [r] }), NOW), "R6")).toEqual([
      expect.objectContaining({ type: "dispatch_agent", agentId: r.id, beadId: m.bead.id }),
    ]);
  });

  it("R6 checks the cap before the cooldown: attempt 5 fails even inside the cooldown, attempt 4 waits", () => {
    const five = hooked({ dispatchAttempts: 5, lastDispatchAttemptAt: ago(1) });
    expect(byRule(reconcile(makeWorld({ mrs: [five.m], agents: [five.r] }), NOW), "R6")).toEqual([
      expect.objectContaining({ type: "transition_bead", from: null, to: "failed", reason: "refinery max dispatch attempts exceeded" }),
      expect.objectContaining({ type: "unhook_agent", agentId: five.r.id }),
    ]);
    const four = hooked({ dispatchAttempts: 4, lastDispatchAttemptAt: ago(1) });
    expect(byRule(reconcile(makeWorld({ mrs: [four.m], agents: [four.r] }), NOW), "R6")).toEqual([]);
  });

  it("R6 does nothing while draining", () => {
    const { m, r } = hooked({ dispatchAttempts: 5 });
    expect(byRule(reconcile(makeWorld({ mrs: [m], agents: [r], draining: true }), NOW), "R6")).toEqual([]);
  });
});

describe("R7 stop refinery on terminal MR", () => {
  it.each(["working", "stalled"] as const)("R7 stops, unhooks and idles a %s refinery whose MR has ended", (status) => {
    const merged = mr({ status: "closed", prUrl: PR });
    const r = agent({ role: "refinery", status, currentHookBeadId: merged.bead.id, lastActivityAt: NOW });
    const actions = byRule(reconcile(makeWorld({ mrs: [merged], agents: [r] }), NOW), "R7");
    expect(actions).toEqual([
      expect.objectContaining({ type: "stop_agent", agentId: r.id }),
      expect.objectContaining({ type: "unhook_agent", agentId: r.id }),
      expect.objectContaining({ type: "transition_agent", agentId: r.id, from: status, to: "idle" }),
    ]);
  });

  it("R7 leaves a refinery on a live MR alone", () => {
    const live = mr({ status: "in_progress" });
    const r = agent({ role: "refinery", status: "working", currentHookBeadId: live.bead.id, lastActivityAt: NOW });
    expect(byRule(reconcile(makeWorld({ mrs: [live], agents: [r] }), NOW), "R7")).toEqual([]);
  });
});
