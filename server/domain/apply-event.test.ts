import { describe, expect, it } from "vitest";
import { applyEvent } from "./apply-event";
import { DomainError } from "./errors";
import { ago, agent, agoSeconds, bead, blocks, convoy, ev, mr, NOW, PR_URL as PR, RIG_ID, repoOf } from "./testing";

// applyEvent for the agent events (agent_done, agent_completed, container_status) and the mayor's start and exit; the bead, review and poll events are in apply-event-beads.test.ts.

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
