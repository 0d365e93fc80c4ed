import { describe, expect, it } from "vitest";
import { applyEvent } from "./apply-event";
import { DomainError } from "./errors";
import { makeEvent, type EventPayloadInput, type EventType } from "./events";
import { MemoryTownRepo } from "./memory-repo";
import { ago, agent, agoSeconds, bead, blocks, convoy, makeWorld, mr, NOW, RIG_ID, type WorldParts } from "./testing";

const PR = "https://github.com/acme/widgets/pull/12";
const repoOf = (parts: WorldParts) => new MemoryTownRepo(makeWorld(parts));
function ev<T extends EventType>(type: T, fields: { agentId?: string | null; beadId?: string | null; createdAt?: Date; payload: EventPayloadInput<T> }) {
  return makeEvent(type, { createdAt: NOW, ...fields });
}

describe("agent_done (DOMAIN.md §3.1)", () => {
  function polecatOn(fields = {}) {
    const b = bead({ status: "in_progress", ...fields });
    const a = agent({ status: "working", currentHookBeadId: b.id });
    b.assigneeAgentBeadId = a.id;
    return { a, b };
  }

  it("a polecat's gt_done submits an MR, unhooks it and puts the source in review with its assignee kept", async () => {
    const { a, b } = polecatOn();
    const repo = repoOf({ beads: [b], agents: [a], rigs: [{ defaultBranch: "develop" }] });
    expect(await applyEvent(repo, ev("agent_done", { agentId: a.id, payload: { branch: "gt/x/1", pr_url: PR, summary: "did it" } }), NOW)).toEqual([]);
    const [m] = repo.beadsOfType("merge_request");
    expect(m).toMatchObject({ status: "open", body: "did it", createdBy: a.id, rigId: RIG_ID });
    expect(repo.review(m.id)).toMatchObject({ branch: "gt/x/1", targetBranch: "develop", prUrl: PR });
    expect(repo.agent(a.id)).toMatchObject({ currentHookBeadId: null, status: "idle" });
    expect(repo.bead(b.id)).toMatchObject({ status: "in_review", assigneeAgentBeadId: a.id });
  });

  it("a convoy task's MR targets the convoy's feature branch (review-then-land)", async () => {
    const { a, b } = polecatOn();
    const c = convoy({ tracks: [b.id], meta: { featureBranch: "convoy/c/1/head" } });
    const repo = repoOf({ beads: [b], agents: [a], convoys: [c] });
    await applyEvent(repo, ev("agent_done", { agentId: a.id, payload: { branch: "convoy/c/1/gt/t" } }), NOW);
    const [m] = repo.beadsOfType("merge_request");
    expect(repo.review(m.id).targetBranch).toBe("convoy/c/1/head");
  });

  it.each([
    ["gt:rework", {}],
    ["gt:pr-feedback", {}],
    ["gt:pr-fixup", {}],
    ["gt:pr-conflict", {}],
    ["gt:triage", { createdBy: "patrol" }],
  ])("a %s bead is closed directly on gt_done, with no MR", async (label, extra) => {
    const { a, b } = polecatOn({ labels: [label], ...extra });
    const repo = repoOf({ beads: [b], agents: [a] });
    await applyEvent(repo, ev("agent_done", { agentId: a.id, payload: { branch: "gt/x" } }), NOW);
    expect(repo.bead(b.id).status).toBe("closed");
    expect(repo.beadsOfType("merge_request")).toEqual([]);
    expect(repo.agent(a.id).currentHookBeadId).toBeNull();
  });

  it("closing a rework bead unblocks its MR (the MR is not merged by it)", async () => {
    const m = mr({ status: "in_progress" });
    const { a, b } = polecatOn({ labels: ["gt:rework"] });
    const repo = repoOf({ beads: [b], agents: [a], mrs: [m], dependencies: [blocks(m.bead.id, b.id)] });
    await applyEvent(repo, ev("agent_done", { agentId: a.id, payload: { branch: "gt/x" } }), NOW);
    expect(repo.bead(b.id).status).toBe("closed");
    expect(repo.bead(m.bead.id).status).toBe("in_progress");
  });

  function refineryOn(mrFields = {}) {
    const src = bead({ status: "in_review", assigneeAgentBeadId: "p1" });
    const m = mr({ sourceBeadId: src.id, status: "in_progress", ...mrFields });
    const r = agent({ role: "refinery", status: "working", currentHookBeadId: m.bead.id, dispatchAttempts: 2 });
    m.bead.assigneeAgentBeadId = r.id;
    return { src, m, r };
  }

  it("a refinery's gt_done without pr_url merges (direct strategy): MR and source closed, siblings closed, refinery idle", async () => {
    const { src, m, r } = refineryOn();
    const sibling = mr({ sourceBeadId: src.id, status: "open" });
    const repo = repoOf({ beads: [src], mrs: [m, sibling], agents: [r] });
    await applyEvent(repo, ev("agent_done", { agentId: r.id, payload: { branch: "gt/x" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("closed");
    expect(repo.bead(src.id)).toMatchObject({ status: "closed", closedAt: NOW });
    expect(repo.bead(sibling.bead.id).status).toBe("closed");
    expect(repo.eventsOf(src.id, "review_completed")).toEqual([expect.objectContaining({ newValue: "merged" })]);
    expect(repo.agent(r.id)).toMatchObject({ status: "idle", currentHookBeadId: null });
  });

  it("SPEC.md §3 #2: a refinery gt_done without pr_url while its MR has an unresolved gt:rework blocker does not merge", async () => {
    const { src, m, r } = refineryOn();
    const rework = bead({ status: "open", labels: ["gt:rework"], parentBeadId: m.bead.id });
    const repo = repoOf({ beads: [src, rework], mrs: [m], agents: [r], dependencies: [blocks(m.bead.id, rework.id)] });
    await applyEvent(repo, ev("agent_done", { agentId: r.id, payload: { branch: "gt/x" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("in_progress");
    expect(repo.bead(src.id).status).toBe("in_review");
    expect(repo.agent(r.id)).toMatchObject({ status: "idle", currentHookBeadId: null });
  });

  it("a refinery gt_done merges once the rework blocker is closed", async () => {
    const { src, m, r } = refineryOn();
    const rework = bead({ status: "closed", labels: ["gt:rework"] });
    const repo = repoOf({ beads: [src, rework], mrs: [m], agents: [r], dependencies: [blocks(m.bead.id, rework.id)] });
    await applyEvent(repo, ev("agent_done", { agentId: r.id, payload: { branch: "gt/x" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("closed");
  });

  it("a refinery's gt_done with a valid pr_url stores it and keeps the MR in_progress for polling", async () => {
    const { src, m, r } = refineryOn({ status: "in_progress" });
    const repo = repoOf({ beads: [src], mrs: [m], agents: [r] });
    await applyEvent(repo, ev("agent_done", { agentId: r.id, payload: { branch: "gt/x", pr_url: PR } }), NOW);
    expect(repo.bead(m.bead.id)).toMatchObject({ status: "in_progress", metadata: expect.objectContaining({ pr_url: PR }) });
    expect(repo.review(m.bead.id).prUrl).toBe(PR);
    expect(repo.eventsOf(m.bead.id, "pr_created")).toEqual([expect.objectContaining({ metadata: { created_by: "refinery" } })]);
    expect(repo.agent(r.id).status).toBe("idle");
  });

  it("a refinery's gt_done with a non-https pr_url fails the review and reopens the source", async () => {
    const { src, m, r } = refineryOn();
    const repo = repoOf({ beads: [src], mrs: [m], agents: [r] });
    await applyEvent(repo, ev("agent_done", { agentId: r.id, payload: { branch: "gt/x", pr_url: "http://github.com/acme/widgets/pull/1" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("failed");
    expect(repo.bead(src.id)).toMatchObject({ status: "open", assigneeAgentBeadId: null });
    expect(repo.eventsOf(m.bead.id, "pr_creation_failed")).toHaveLength(1);
  });

  it("an unhooked refinery's gt_done with pr_url updates its latest active MR", async () => {
    const { src, m } = refineryOn({ status: "open" });
    const r = agent({ role: "refinery", status: "idle" });
    m.bead.assigneeAgentBeadId = r.id;
    const repo = repoOf({ beads: [src], mrs: [m], agents: [r] });
    await applyEvent(repo, ev("agent_done", { agentId: r.id, payload: { branch: "gt/x", pr_url: PR } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("in_progress");
    expect(repo.review(m.bead.id).prUrl).toBe(PR);
  });

  it("an unhooked refinery's gt_done without pr_url fails the MR and escalates (refinery_unhooked_done)", async () => {
    const { src, m } = refineryOn();
    const r = agent({ role: "refinery", status: "idle" });
    const mayor = agent({ role: "mayor" });
    m.bead.assigneeAgentBeadId = r.id;
    const repo = repoOf({ beads: [src], mrs: [m], agents: [r, mayor] });
    await applyEvent(repo, ev("agent_done", { agentId: r.id, payload: { branch: "gt/x" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("failed");
    const [esc] = repo.beadsOfType("escalation");
    expect(esc).toMatchObject({ priority: "high", labels: ["gt:escalation", "severity:high"], metadata: expect.objectContaining({ kind: "refinery_unhooked_done" }) });
    expect(repo.mailTo(mayor.id)).toHaveLength(1);
  });

  it("an unhooked polecat's gt_done is ignored; one on a cancelled bead only unhooks", async () => {
    const idle = agent({ status: "idle" });
    const cancelled = bead({ status: "failed" });
    const late = agent({ status: "working", currentHookBeadId: cancelled.id });
    const repo = repoOf({ beads: [cancelled], agents: [idle, late] });
    await applyEvent(repo, ev("agent_done", { agentId: idle.id, payload: { branch: "b" } }), NOW);
    await applyEvent(repo, ev("agent_done", { agentId: late.id, payload: { branch: "b" } }), NOW);
    expect(repo.beadsOfType("merge_request")).toEqual([]);
    expect(repo.agent(late.id).currentHookBeadId).toBeNull();
    expect(repo.bead(cancelled.id).status).toBe("failed");
  });

  it("an unknown agent throws entity_not_found (poisoned at once); a missing agent id is a no-op", async () => {
    const repo = repoOf({});
    await expect(applyEvent(repo, ev("agent_done", { agentId: "ghost", payload: { branch: "b" } }), NOW)).rejects.toMatchObject({ code: "entity_not_found" });
    expect(await applyEvent(repo, ev("agent_done", { payload: { branch: "b" } }), NOW)).toEqual([]);
  });
});

describe("agent_completed (DOMAIN.md §3.2)", () => {
  it("a failed exit fails the polecat's bead (agent_failed, container), unhooks and idles it, and resets its counter", async () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "working", currentHookBeadId: b.id, dispatchAttempts: 3, dispatchedAt: ago(10) });
    const repo = repoOf({ beads: [b], agents: [a] });
    await applyEvent(repo, ev("agent_completed", { agentId: a.id, payload: { status: "failed", reason: "OOM" } }), NOW);
    expect(repo.bead(b.id)).toMatchObject({ status: "failed", metadata: expect.objectContaining({ failureReason: "agent_failed", failureSource: "container" }) });
    expect(repo.agent(a.id)).toMatchObject({ status: "idle", currentHookBeadId: null, dispatchAttempts: 0 });
  });

  it("a completed exit leaves an in_progress bead for B3 and unhooks the polecat", async () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "working", currentHookBeadId: b.id, dispatchedAt: ago(10) });
    const repo = repoOf({ beads: [b], agents: [a] });
    await applyEvent(repo, ev("agent_completed", { agentId: a.id, payload: { status: "completed" } }), NOW);
    expect(repo.bead(b.id).status).toBe("in_progress");
    expect(repo.agent(a.id)).toMatchObject({ status: "idle", currentHookBeadId: null });
  });

  it("§11 #9 never fails or unhooks a refinery (it races its own gt_done), never idles it while working and hooked, and keeps its counter", async () => {
    const m = mr({ status: "in_progress" });
    const r = agent({ role: "refinery", status: "working", currentHookBeadId: m.bead.id, dispatchAttempts: 3, dispatchedAt: ago(10) });
    const repo = repoOf({ mrs: [m], agents: [r] });
    await applyEvent(repo, ev("agent_completed", { agentId: r.id, payload: { status: "failed" } }), NOW);
    expect(repo.bead(m.bead.id).status).toBe("in_progress");
    expect(repo.agent(r.id)).toMatchObject({ status: "working", currentHookBeadId: m.bead.id, dispatchAttempts: 3 });
  });

  it("never idles a freshly re-dispatched agent: an exit recorded before the current dispatch is ignored", async () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "working", currentHookBeadId: b.id, dispatchedAt: agoSeconds(5) });
    const repo = repoOf({ beads: [b], agents: [a] });
    await applyEvent(repo, ev("agent_completed", { agentId: a.id, createdAt: agoSeconds(30), payload: { status: "failed" } }), NOW);
    expect(repo.bead(b.id).status).toBe("in_progress");
    expect(repo.agent(a.id)).toMatchObject({ status: "working", currentHookBeadId: b.id });
  });

  it("an empty agent id resolves to the mayor", async () => {
    const mayor = agent({ role: "mayor", status: "working" });
    const repo = repoOf({ agents: [mayor] });
    await applyEvent(repo, ev("agent_completed", { agentId: null, payload: { status: "completed" } }), NOW);
    expect(repo.agent(mayor.id).status).toBe("idle");
  });

  it("§11 #10 done then completed: MR created, agent idle; completed then done: unhooked first, the late done is ignored", async () => {
    const b1 = bead({ status: "in_progress" });
    const a1 = agent({ status: "working", currentHookBeadId: b1.id, dispatchedAt: ago(10) });
    const repo1 = repoOf({ beads: [b1], agents: [a1] });
    await applyEvent(repo1, ev("agent_done", { agentId: a1.id, payload: { branch: "b" } }), NOW);
    await applyEvent(repo1, ev("agent_completed", { agentId: a1.id, payload: { status: "completed" } }), NOW);
    expect(repo1.beadsOfType("merge_request")).toHaveLength(1);
    expect(repo1.bead(b1.id).status).toBe("in_review");
    expect(repo1.agent(a1.id).status).toBe("idle");

    const b2 = bead({ status: "in_progress" });
    const a2 = agent({ status: "working", currentHookBeadId: b2.id, dispatchedAt: ago(10) });
    const repo2 = repoOf({ beads: [b2], agents: [a2] });
    await applyEvent(repo2, ev("agent_completed", { agentId: a2.id, payload: { status: "completed" } }), NOW);
    await applyEvent(repo2, ev("agent_done", { agentId: a2.id, payload: { branch: "b" } }), NOW);
    expect(repo2.beadsOfType("merge_request")).toEqual([]);
    expect(repo2.bead(b2.id).status).toBe("in_progress"); // B3 recovers it after 5 min
  });
});

describe("container_status (DOMAIN.md §3.3)", () => {
  it("an exited working polecat goes idle and keeps its hook; its bead stays in_progress", async () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "working", currentHookBeadId: b.id });
    const repo = repoOf({ beads: [b], agents: [a] });
    await applyEvent(repo, ev("container_status", { agentId: a.id, payload: { status: "exited" } }), NOW);
    expect(repo.agent(a.id)).toMatchObject({ status: "idle", currentHookBeadId: b.id });
    expect(repo.bead(b.id).status).toBe("in_progress");
  });

  it("not_found within 180 s of activity is a cold start and ignored; after 180 s the agent goes idle", async () => {
    const young = agent({ status: "working", currentHookBeadId: "x", lastActivityAt: agoSeconds(179) });
    const old = agent({ status: "working", currentHookBeadId: "y", lastActivityAt: agoSeconds(181) });
    const repo = repoOf({ agents: [young, old] });
    await applyEvent(repo, ev("container_status", { agentId: young.id, payload: { status: "not_found" } }), NOW);
    await applyEvent(repo, ev("container_status", { agentId: old.id, payload: { status: "not_found" } }), NOW);
    expect(repo.agent(young.id).status).toBe("working");
    expect(repo.agent(old.id).status).toBe("idle");
  });

  it("a refinery on a terminal MR is unhooked with its checkpoint cleared; on a live MR it keeps the hook", async () => {
    const done = mr({ status: "closed" });
    const live = mr({ status: "in_progress" });
    const r1 = agent({ role: "refinery", status: "stalled", currentHookBeadId: done.bead.id, checkpoint: { a: 1 } });
    const r2 = agent({ role: "refinery", status: "working", currentHookBeadId: live.bead.id, rigId: "rig-2" });
    const repo = repoOf({ mrs: [done, live], agents: [r1, r2], rigs: [{}, { id: "rig-2" }] });
    await applyEvent(repo, ev("container_status", { agentId: r1.id, payload: { status: "exited" } }), NOW);
    await applyEvent(repo, ev("container_status", { agentId: r2.id, payload: { status: "exited" } }), NOW);
    expect(repo.agent(r1.id)).toMatchObject({ status: "idle", currentHookBeadId: null, checkpoint: null });
    expect(repo.agent(r2.id)).toMatchObject({ status: "idle", currentHookBeadId: live.bead.id });
  });

  it("ignores running agents and idle agents", async () => {
    const idle = agent({ status: "idle" });
    const busy = agent({ status: "working", currentHookBeadId: "x" });
    const repo = repoOf({ agents: [idle, busy] });
    await applyEvent(repo, ev("container_status", { agentId: idle.id, payload: { status: "exited" } }), NOW);
    await applyEvent(repo, ev("container_status", { agentId: busy.id, payload: { status: "running" } }), NOW);
    expect(repo.agent(busy.id).status).toBe("working");
  });
});

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

describe("the hookless mayor's start and exit (SPEC.md §4.4b)", () => {
  const started = ago(1);
  const mayorAt = (over = {}) => agent({ id: "mayor-1", role: "mayor", rigId: null, status: "working", dispatchAttempts: 1, dispatchedAt: started, lastActivityAt: started, ...over });
  const startFailed = (extra = {}) =>
    ev("dispatch_failed", { agentId: "mayor-1", beadId: null, payload: { agent_id: "mayor-1", bead_id: null, reason: "no agent runtime configured", dispatched_at: started, ...extra } });

  it("a failed start rolls the mayor back to idle with the reason, keeping its attempt count", async () => {
    const repo = repoOf({ agents: [mayorAt()] });
    await applyEvent(repo, startFailed(), NOW);
    expect(repo.agent("mayor-1")).toMatchObject({ status: "idle", dispatchAttempts: 1, agentStatusMessage: "Could not start: no agent runtime configured" });
  });

  it("a late failure of an older start never rolls back a mayor that has started since", async () => {
    const repo = repoOf({ agents: [mayorAt({ dispatchedAt: NOW, lastActivityAt: NOW })] });
    await applyEvent(repo, startFailed({ dispatched_at: started }), NOW);
    expect(repo.agent("mayor-1").status).toBe("working");
  });

  it("a dispatch_failed without a bead is refused for anyone but the mayor", async () => {
    const polecat = agent({ status: "working" });
    const repo = repoOf({ agents: [polecat] });
    const event = ev("dispatch_failed", { agentId: polecat.id, payload: { agent_id: polecat.id, bead_id: null, reason: "x" } });
    await expect(applyEvent(repo, event, NOW)).rejects.toBeInstanceOf(DomainError);
  });

  it("a crashed mayor goes idle and keeps its count (M1 backs off); a clean exit starts afresh", async () => {
    const crashed = repoOf({ agents: [mayorAt({ status: "waiting" })] });
    await applyEvent(crashed, ev("agent_completed", { agentId: "mayor-1", payload: { status: "failed", reason: "exit code 1" } }), NOW);
    expect(crashed.agent("mayor-1")).toMatchObject({ status: "idle", dispatchAttempts: 1, agentStatusMessage: "Exited: exit code 1" });

    const clean = repoOf({ agents: [mayorAt({ status: "waiting" })] });
    await applyEvent(clean, ev("agent_completed", { agentId: "mayor-1", payload: { status: "completed" } }), NOW);
    expect(clean.agent("mayor-1")).toMatchObject({ status: "idle", dispatchAttempts: 0, agentStatusMessage: null });
  });

  it("container_status: a waiting mayor whose process is gone goes idle", async () => {
    const repo = repoOf({ agents: [mayorAt({ status: "waiting", lastActivityAt: ago(10) })] });
    await applyEvent(repo, ev("container_status", { agentId: "mayor-1", payload: { status: "exited" } }), NOW);
    expect(repo.agent("mayor-1").status).toBe("idle");
  });
});
