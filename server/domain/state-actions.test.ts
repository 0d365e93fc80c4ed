import { describe, expect, it } from "vitest";
import type { Action, ActionOf } from "./actions";
import { POLECAT_NAME_POOL } from "./constants";
import { checkInvariants } from "./invariants";
import { MemoryTownRepo } from "./memory-repo";
import { agentIdentity, fromGuardViolation, getOrCreateAgent, pickPolecatName } from "./operations";
import { reconcile } from "./reconcile";
import { applyStateAction } from "./state-actions";
import { ago, agent, bead, convoy, makeWorld, mr, nudge, NOW, RIG_ID, TOWN_ID, type WorldParts } from "./testing";

const base = { rule: "test", reason: "because" };
const repoOf = (parts: WorldParts) => new MemoryTownRepo(makeWorld(parts));
const apply = (repo: MemoryTownRepo, action: Action) => applyStateAction(repo, action, NOW);

describe("the from-guard", () => {
  it("is a pure check: null from always passes, a different current status fails, a missing row fails", () => {
    expect(fromGuardViolation("open", null)).toBeNull();
    expect(fromGuardViolation("open", "open")).toBeNull();
    expect(fromGuardViolation("in_progress", "open")).toMatch(/in_progress/);
    expect(fromGuardViolation(undefined, null)).toBe("not found");
  });
});

describe("transition_bead", () => {
  it("skips when the bead has moved on from `from` (§11 #4)", async () => {
    const b = bead({ status: "in_progress" });
    const repo = repoOf({ beads: [b] });
    const result = await apply(repo, { type: "transition_bead", ...base, beadId: b.id, from: "open", to: "failed" });
    expect(result).toEqual({ status: "skipped", reason: expect.stringContaining("from-guard") });
    expect(repo.bead(b.id).status).toBe("in_progress");
  });

  it("never changes a terminal bead (§11 #3), even with from = null", async () => {
    const b = bead({ status: "failed" });
    const repo = repoOf({ beads: [b] });
    expect(await apply(repo, { type: "transition_bead", ...base, beadId: b.id, from: null, to: "open" })).toMatchObject({ status: "skipped" });
    expect(repo.bead(b.id).status).toBe("failed");
    expect(repo.beadEvents).toEqual([]);
  });

  it("writes a status_changed bead event with the reconciler failure reason when failing", async () => {
    const b = bead({ status: "open" });
    const repo = repoOf({ beads: [b] });
    expect(await apply(repo, { type: "transition_bead", ...base, reason: "max dispatch attempts exceeded (5)", beadId: b.id, from: "open", to: "failed" })).toEqual({ status: "applied" });
    expect(repo.bead(b.id)).toMatchObject({ status: "failed", updatedAt: NOW, metadata: { failureReason: "reconciler" } });
    expect(repo.eventsOf(b.id, "status_changed")).toEqual([
      expect.objectContaining({
        oldValue: "open",
        newValue: "failed",
        metadata: expect.objectContaining({ failure_reason: { code: "reconciler", message: "max dispatch attempts exceeded (5)", source: "scheduler" } }),
      }),
    ]);
  });

  it("reaching a terminal status recounts the convoys the bead is tracked by", async () => {
    const a = bead({ status: "closed" });
    const b = bead({ status: "in_progress" });
    const c = convoy({ tracks: [a.id, b.id], meta: { closedBeads: 1, totalBeads: 2 } });
    const repo = repoOf({ beads: [a, b], convoys: [c] });
    await apply(repo, { type: "transition_bead", ...base, beadId: b.id, from: "in_progress", to: "closed" });
    expect(repo.bead(b.id).closedAt).toEqual(NOW);
    expect(repo.convoy(c.bead.id)).toMatchObject({ closedBeads: 2, totalBeads: 2 });
  });
});

describe("transition_agent", () => {
  it("applies the from-guard to agents too: GUPP's stalled cannot overwrite a fresh idle", async () => {
    const a = agent({ status: "idle" });
    const repo = repoOf({ agents: [a] });
    expect(await apply(repo, { type: "transition_agent", ...base, agentId: a.id, from: "working", to: "stalled" })).toMatchObject({ status: "skipped" });
    expect(repo.agent(a.id).status).toBe("idle");
  });

  it("stamps stalled_at on entering stalled and clears it on leaving", async () => {
    const a = agent({ status: "working" });
    const repo = repoOf({ agents: [a] });
    await apply(repo, { type: "transition_agent", ...base, agentId: a.id, from: "working", to: "stalled" });
    expect(repo.agent(a.id)).toMatchObject({ status: "stalled", stalledAt: NOW });
    await apply(repo, { type: "transition_agent", ...base, agentId: a.id, from: "stalled", to: "idle" });
    expect(repo.agent(a.id)).toMatchObject({ status: "idle", stalledAt: null });
  });
});

describe("dispatch_agent state part", () => {
  const dispatch = (beadId: string, agentId: string | null = null): ActionOf<"dispatch_agent"> => ({ type: "dispatch_agent", ...base, agentId, beadId, rigId: RIG_ID });

  it("creates a polecat named from the pool with the identity format, hooks it, sets working / in_progress and both counters", async () => {
    const b = bead({ dispatchAttempts: 2, lastDispatchAttemptAt: ago(10) });
    const repo = repoOf({ beads: [b] });
    const result = await apply(repo, dispatch(b.id));
    expect(result).toMatchObject({ status: "applied", dispatch: { role: "polecat", beadId: b.id, rigId: RIG_ID, dispatchedAt: NOW } });
    const agentId = (result as { dispatch: { agentId: string } }).dispatch.agentId;
    const a = repo.agent(agentId);
    expect(a).toMatchObject({
      name: "Toast",
      identity: `Toast-polecat-${RIG_ID.slice(0, 8)}@${TOWN_ID.slice(0, 8)}`,
      status: "working",
      currentHookBeadId: b.id,
      dispatchAttempts: 1,
      lastActivityAt: NOW,
      dispatchedAt: NOW,
    });
    expect(repo.bead(b.id)).toMatchObject({ status: "in_progress", assigneeAgentBeadId: agentId, dispatchAttempts: 3, lastDispatchAttemptAt: NOW });
    expect(repo.eventsOf(b.id).map((e) => e.eventType)).toEqual(["hooked", "status_changed"]);
  });

  it("without an agent id registers a new polecat with the next free name (B1 names reusable ones itself)", async () => {
    const idle = agent({ status: "idle", name: "Toast" });
    const b = bead();
    const repo = repoOf({ beads: [b], agents: [idle] });
    const result = await apply(repo, dispatch(b.id));
    const agentId = (result as { dispatch: { agentId: string } }).dispatch.agentId;
    expect(agentId).not.toBe(idle.id);
    expect(repo.agent(agentId).name).toBe("Maple");
    expect(await apply(repo, dispatch(bead().id, idle.id))).toMatchObject({ status: "skipped", reason: "bead not found" });
  });

  it("get-or-create reuses an idle unhooked polecat by default", async () => {
    const idle = agent({ status: "idle" });
    const repo = repoOf({ agents: [idle] });
    expect((await getOrCreateAgent(repo, "polecat", RIG_ID, NOW)).id).toBe(idle.id);
    expect((await getOrCreateAgent(repo, "polecat", RIG_ID, NOW, { reuseIdlePolecat: false })).id).not.toBe(idle.id);
  });

  it("creates the rig's refinery for an MR bead", async () => {
    const m = mr({ status: "in_progress" });
    const repo = repoOf({ mrs: [m] });
    const result = await apply(repo, dispatch(m.bead.id));
    expect(result).toMatchObject({ status: "applied", dispatch: { role: "refinery" } });
    const a = repo.agent((result as { dispatch: { agentId: string } }).dispatch.agentId);
    expect(a).toMatchObject({ name: "Refinery", role: "refinery", status: "working", identity: agentIdentity("Refinery", "refinery", RIG_ID, TOWN_ID) });
  });

  it("redispatches an agent already hooked to the bead without re-hooking it", async () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "idle", currentHookBeadId: b.id });
    const repo = repoOf({ beads: [b], agents: [a] });
    expect(await apply(repo, dispatch(b.id, a.id))).toMatchObject({ status: "applied" });
    expect(repo.eventsOf(b.id)).toEqual([]);
    expect(repo.agent(a.id).status).toBe("working");
  });

  it("is skipped when the agent is already running, holds another bead, or the bead ended", async () => {
    const other = bead({ status: "in_progress" });
    const b = bead();
    const running = agent({ status: "working", currentHookBeadId: b.id });
    const elsewhere = agent({ status: "idle", currentHookBeadId: other.id });
    const done = bead({ status: "closed" });
    const repo = repoOf({ beads: [other, b, done], agents: [running, elsewhere] });
    expect(await apply(repo, dispatch(b.id, running.id))).toMatchObject({ status: "skipped", reason: "agent is working" });
    expect(await apply(repo, dispatch(b.id, elsewhere.id))).toMatchObject({ status: "skipped", reason: expect.stringContaining("unhook first") });
    expect(await apply(repo, dispatch(done.id))).toMatchObject({ status: "skipped", reason: "bead is closed" });
    expect(repo.bead(b.id).dispatchAttempts).toBe(0);
  });

  it("polecat names are town-global from the 20-name pool, then Polecat-<n>", () => {
    expect(pickPolecatName([])).toBe("Toast");
    expect(pickPolecatName(["Toast", "Maple"])).toBe("Birch");
    expect(pickPolecatName([...POLECAT_NAME_POOL])).toBe("Polecat-1");
    expect(pickPolecatName([...POLECAT_NAME_POOL, "Polecat-1"])).toBe("Polecat-2");
  });
});

describe("hooks", () => {
  it("hook_agent unhooks any other agent hooked to the bead first (one agent per bead)", async () => {
    const b = bead();
    const old = agent({ status: "idle", currentHookBeadId: b.id });
    const fresh = agent({ status: "idle", dispatchAttempts: 0 });
    const repo = repoOf({ beads: [b], agents: [old, fresh] });
    expect(await apply(repo, { type: "hook_agent", ...base, agentId: fresh.id, beadId: b.id })).toEqual({ status: "applied" });
    expect(repo.agent(old.id).currentHookBeadId).toBeNull();
    expect(repo.agent(fresh.id)).toMatchObject({ currentHookBeadId: b.id, status: "idle", lastActivityAt: NOW });
    expect(repo.bead(b.id)).toMatchObject({ status: "open", assigneeAgentBeadId: fresh.id });
  });

  it("hook_agent refuses unhookable beads (escalation, convoy, message, triage requests)", async () => {
    const esc = bead({ type: "escalation" });
    const triage = bead({ labels: ["gt:triage-request"] });
    const a = agent();
    const repo = repoOf({ beads: [esc, triage], agents: [a] });
    expect(await apply(repo, { type: "hook_agent", ...base, agentId: a.id, beadId: esc.id })).toMatchObject({ status: "skipped" });
    expect(await apply(repo, { type: "hook_agent", ...base, agentId: a.id, beadId: triage.id })).toMatchObject({ status: "skipped" });
  });

  it("unhook_agent clears the hook and checkpoint, idles the agent and writes an unhooked event", async () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "working", currentHookBeadId: b.id, checkpoint: { step: 3 } });
    const repo = repoOf({ beads: [b], agents: [a] });
    expect(await apply(repo, { type: "unhook_agent", ...base, agentId: a.id })).toEqual({ status: "applied" });
    expect(repo.agent(a.id)).toMatchObject({ currentHookBeadId: null, status: "idle", checkpoint: null });
    expect(repo.eventsOf(b.id, "unhooked")).toHaveLength(1);
    expect(await apply(repo, { type: "unhook_agent", ...base, agentId: a.id })).toEqual({ status: "skipped", reason: "not hooked" });
  });

  it("clear_bead_assignee also unhooks every agent hooked to the bead (no split brain)", async () => {
    const b = bead({ status: "open" });
    const a = agent({ status: "idle", currentHookBeadId: b.id });
    b.assigneeAgentBeadId = a.id;
    const repo = repoOf({ beads: [b], agents: [a] });
    await apply(repo, { type: "clear_bead_assignee", ...base, beadId: b.id });
    expect(repo.bead(b.id).assigneeAgentBeadId).toBeNull();
    expect(repo.agent(a.id).currentHookBeadId).toBeNull();
  });

  it("clear_agent_checkpoint nulls the checkpoint", async () => {
    const a = agent({ checkpoint: { x: 1 } });
    const repo = repoOf({ agents: [a] });
    await apply(repo, { type: "clear_agent_checkpoint", ...base, agentId: a.id });
    expect(repo.agent(a.id).checkpoint).toBeNull();
  });
});

describe("review queue actions", () => {
  it("create_mr_bead submits an open MR tracking its source, on the rig's default branch", async () => {
    const src = bead({ status: "in_review" });
    const repo = repoOf({ beads: [src], rigs: [{ defaultBranch: "trunk" }] });
    await apply(repo, { type: "create_mr_bead", ...base, sourceBeadId: src.id, agentId: "p1", rigId: RIG_ID, branch: "gt/x/1", targetBranch: "" , prUrl: "https://github.com/a/b/pull/3" });
    const [m] = repo.beadsOfType("merge_request");
    expect(m).toMatchObject({ status: "open", title: "Review: gt/x/1", labels: ["gt:merge-request"], createdBy: "p1", metadata: { source_bead_id: src.id, source_agent_id: "p1", pr_url: "https://github.com/a/b/pull/3" } });
    expect(repo.review(m.id)).toMatchObject({ branch: "gt/x/1", targetBranch: "trunk", prUrl: "https://github.com/a/b/pull/3", retryCount: 0 });
    expect(repo.snapshot().dependencies).toContainEqual(expect.objectContaining({ beadId: m.id, dependsOnBeadId: src.id, dependencyType: "tracks" }));
    expect(repo.eventsOf(src.id, "review_submitted")).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ branch: "gt/x/1", target_branch: "trunk" }) })]);
  });

  it("create_mr_bead targets the convoy feature branch for a review-then-land task, and refuses a non-https pr_url", async () => {
    const src = bead({ status: "in_review" });
    const c = convoy({ tracks: [src.id], meta: { featureBranch: "convoy/x/1234/head", mergeMode: null } });
    const repo = repoOf({ beads: [src], convoys: [c] });
    await apply(repo, { type: "create_mr_bead", ...base, sourceBeadId: src.id, agentId: "p1", rigId: RIG_ID, branch: "convoy/x/1234/gt/y", targetBranch: "", prUrl: "http://evil/pull/1" });
    const [m] = repo.beadsOfType("merge_request");
    expect(repo.review(m.id)).toMatchObject({ targetBranch: "convoy/x/1234/head", prUrl: null });
    expect(m.metadata).toMatchObject({ convoy_id: c.bead.id, convoy_feature_branch: "convoy/x/1234/head" });
    expect(repo.eventsOf(src.id, "pr_creation_failed")).toHaveLength(1);
  });

  it("create_landing_mr submits a system MR of the feature branch that tracks the convoy", async () => {
    const c = convoy({ meta: { featureBranch: "convoy/x/1/head", readyToLand: true } });
    const repo = repoOf({ convoys: [c] });
    await apply(repo, { type: "create_landing_mr", ...base, convoyId: c.bead.id, rigId: RIG_ID, featureBranch: "convoy/x/1/head", targetBranch: "main" });
    const [m] = repo.beadsOfType("merge_request");
    expect(m).toMatchObject({ createdBy: "system", rigId: RIG_ID, metadata: expect.objectContaining({ source_bead_id: c.bead.id, source_agent_id: "system" }) });
    expect(repo.review(m.id)).toMatchObject({ branch: "convoy/x/1/head", targetBranch: "main" });
  });

  it("close_sibling_mrs closes every other non-terminal MR of the source", async () => {
    const src = bead({ status: "closed" });
    const keep = mr({ sourceBeadId: src.id, status: "closed" });
    const open = mr({ sourceBeadId: src.id, status: "open" });
    const failed = mr({ sourceBeadId: src.id, status: "failed" });
    const repo = repoOf({ beads: [src], mrs: [keep, open, failed] });
    await apply(repo, { type: "close_sibling_mrs", ...base, sourceBeadId: src.id, excludeMrId: keep.bead.id });
    expect(repo.bead(open.bead.id).status).toBe("closed");
    expect(repo.bead(failed.bead.id).status).toBe("failed");
  });

  it("set_review_pr_url stores https URLs only, in review metadata and bead metadata", async () => {
    const m = mr({ status: "in_progress" });
    const repo = repoOf({ mrs: [m] });
    expect(await apply(repo, { type: "set_review_pr_url", ...base, beadId: m.bead.id, prUrl: "git push output" })).toMatchObject({ status: "skipped" });
    await apply(repo, { type: "set_review_pr_url", ...base, beadId: m.bead.id, prUrl: "https://github.com/a/b/pull/9" });
    expect(repo.review(m.bead.id).prUrl).toBe("https://github.com/a/b/pull/9");
    expect(repo.bead(m.bead.id).metadata.pr_url).toBe("https://github.com/a/b/pull/9");
  });

  it("poll_pr's pre-write stamps last_poll_at and updated_at; a finished MR is skipped", async () => {
    const m = mr({ status: "in_progress", prUrl: "https://github.com/a/b/pull/1", updatedAt: ago(40) });
    const done = mr({ status: "closed", prUrl: "https://github.com/a/b/pull/2" });
    const repo = repoOf({ mrs: [m, done] });
    expect(await apply(repo, { type: "poll_pr", ...base, beadId: m.bead.id, prUrl: "https://github.com/a/b/pull/1" })).toEqual({ status: "applied" });
    expect(repo.bead(m.bead.id)).toMatchObject({ updatedAt: NOW, metadata: { last_poll_at: NOW.toISOString() } });
    expect(await apply(repo, { type: "poll_pr", ...base, beadId: done.bead.id, prUrl: "x" })).toMatchObject({ status: "skipped" });
  });

  it("merge_pr and stop_agent have no state part", async () => {
    const repo = repoOf({});
    expect(await apply(repo, { type: "merge_pr", ...base, beadId: "m", prUrl: "https://x" })).toEqual({ status: "no_state_part" });
    expect(await apply(repo, { type: "stop_agent", ...base, agentId: "a" })).toEqual({ status: "no_state_part" });
  });
});

describe("agents and counters", () => {
  it("reset_agent_dispatch_attempts zeroes the agent, its hooked bead's counters and the MR retry count, without reopening", async () => {
    const m = mr({ status: "failed", dispatchAttempts: 5, lastDispatchAttemptAt: ago(1), review: { retryCount: 2 } });
    const a = agent({ role: "refinery", dispatchAttempts: 4, currentHookBeadId: m.bead.id });
    const repo = repoOf({ mrs: [m], agents: [a] });
    await apply(repo, { type: "reset_agent_dispatch_attempts", ...base, agentId: a.id });
    expect(repo.agent(a.id).dispatchAttempts).toBe(0);
    expect(repo.bead(m.bead.id)).toMatchObject({ dispatchAttempts: 0, lastDispatchAttemptAt: null, status: "failed" });
    expect(repo.review(m.bead.id).retryCount).toBe(0);
  });

  it("delete_agent reopens its open/in_progress work, clears its other assignments and deletes it", async () => {
    const a = agent({ status: "idle" });
    const working = bead({ status: "in_progress", assigneeAgentBeadId: a.id });
    const reviewing = bead({ status: "in_review", assigneeAgentBeadId: a.id });
    const done = bead({ status: "closed", assigneeAgentBeadId: a.id });
    const repo = repoOf({ beads: [working, reviewing, done], agents: [a], nudges: [nudge({ agentBeadId: a.id })] });
    expect(await apply(repo, { type: "delete_agent", ...base, agentId: a.id })).toEqual({ status: "applied" });
    expect(repo.bead(working.id)).toMatchObject({ status: "open", assigneeAgentBeadId: null });
    expect(repo.bead(reviewing.id)).toMatchObject({ status: "in_review", assigneeAgentBeadId: null });
    expect(repo.bead(done.id)).toMatchObject({ status: "closed", assigneeAgentBeadId: null });
    expect(repo.snapshot().agents).toEqual([]);
    expect(repo.snapshot().nudges).toEqual([]);
  });

  it("delete_agent is skipped when the agent got work since the snapshot", async () => {
    const b = bead();
    const a = agent({ status: "idle", currentHookBeadId: b.id });
    const repo = repoOf({ beads: [b], agents: [a] });
    expect(await apply(repo, { type: "delete_agent", ...base, agentId: a.id })).toMatchObject({ status: "skipped" });
  });

  it("send_nudge inserts an immediate urgent nudge from reconciler:<tier>", async () => {
    const a = agent({ status: "working" });
    const repo = repoOf({ agents: [a] });
    await apply(repo, { type: "send_nudge", ...base, agentId: a.id, tier: "warn", message: "hi" });
    expect(repo.snapshot().nudges).toEqual([expect.objectContaining({ agentBeadId: a.id, mode: "immediate", priority: "urgent", source: "reconciler:warn", createdAt: NOW, message: "hi" })]);
  });

  it("create_triage_request dedupes per agent and type, and caps open non-escalation requests at 5", async () => {
    const a = agent({ status: "working", currentHookBeadId: "b1" });
    const others = Array.from({ length: 4 }, (_, i) => bead({ labels: ["gt:triage-request"], metadata: { triage_type: "stuck_agent", agent_bead_id: `other-${i}` } }));
    const repo = repoOf({ agents: [a], beads: others });
    const action: Action = { type: "create_triage_request", ...base, reason: "GUPP force stop", agentId: a.id, triageType: "stuck_agent" };
    expect(await apply(repo, action)).toEqual({ status: "applied" });
    const created = repo.beadsOfType("issue").find((b) => b.metadata.agent_bead_id === a.id)!;
    expect(created).toMatchObject({ title: "Triage: GUPP force stop", labels: ["gt:triage-request"], metadata: { triage_type: "stuck_agent", hooked_bead_id: "b1", context: { reason: "GUPP force stop" } } });
    expect(await apply(repo, action)).toMatchObject({ status: "skipped" }); // dedupe
    const b = agent();
    const repo2 = repoOf({ agents: [a, b], beads: [...others, bead({ labels: ["gt:triage-request"], metadata: { triage_type: "crash_loop", agent_bead_id: "z" } })] });
    expect(await apply(repo2, { ...action, agentId: b.id })).toMatchObject({ status: "skipped" }); // cap of 5
    expect(await apply(repo2, { ...action, agentId: b.id, triageType: "escalation" })).toEqual({ status: "applied" }); // escalations are exempt
  });

  it("notify_mayor writes mail to the mayor and a town notification", async () => {
    const mayor = agent({ role: "mayor" });
    const repo = repoOf({ agents: [mayor] });
    await apply(repo, { type: "notify_mayor", ...base, message: "Breaker open", kind: "breaker_open" });
    expect(repo.mailTo(mayor.id)).toEqual([expect.objectContaining({ type: "message", body: "Breaker open", assigneeAgentBeadId: mayor.id })]);
    expect(repo.notifications).toEqual([expect.objectContaining({ kind: "breaker_open", message: "Breaker open", createdAt: NOW })]);
  });
});

describe("convoy actions", () => {
  it("update_convoy_progress, set_convoy_ready_to_land, close_convoy and fail_convoy write the convoy", async () => {
    const c = convoy({ meta: { featureBranch: "f/head" } });
    const c2 = convoy();
    const repo = repoOf({ convoys: [c, c2] });
    await apply(repo, { type: "update_convoy_progress", ...base, convoyId: c.bead.id, closedBeads: 2, totalBeads: 3 });
    await apply(repo, { type: "set_convoy_ready_to_land", ...base, convoyId: c.bead.id });
    expect(repo.convoy(c.bead.id)).toMatchObject({ closedBeads: 2, totalBeads: 3, readyToLand: true });
    await apply(repo, { type: "close_convoy", ...base, convoyId: c.bead.id });
    expect(repo.bead(c.bead.id).status).toBe("closed");
    expect(repo.convoy(c.bead.id).landedAt).toEqual(NOW);
    await apply(repo, { type: "fail_convoy", ...base, convoyId: c2.bead.id });
    expect(repo.bead(c2.bead.id)).toMatchObject({ status: "failed", metadata: { failureReason: "landing_mr_exhausted" } });
  });
});

describe("reconcile → apply", () => {
  it("applying one tick's actions leaves a world without invariant violations", async () => {
    const world = makeWorld({
      beads: [bead(), bead(), bead({ status: "in_progress", updatedAt: ago(10) })],
      agents: [agent({ status: "idle" }), agent({ role: "mayor" })],
      mrs: [mr({ status: "open" })],
    });
    const repo = new MemoryTownRepo(world);
    for (const action of reconcile(world, NOW)) await applyStateAction(repo, action, NOW);
    const after = repo.snapshot();
    expect(checkInvariants(after)).toEqual([]);
    expect(after.agents.filter((a) => a.status === "working")).toHaveLength(3); // two polecats, one refinery
  });
});
