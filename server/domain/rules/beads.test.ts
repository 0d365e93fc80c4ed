import { describe, expect, it } from "vitest";
import type { Action } from "../actions";
import { reconcile } from "../reconcile";
import { ago, agent, agoSeconds, bead, blocks, byRule, convoy, makeWorld, mr, NOW } from "../testing";

const dispatches = (actions: Action[]) => actions.filter((a) => a.type === "dispatch_agent");

describe("B1 unassigned work", () => {
  it("B1 dispatches an open unassigned issue with a new polecat when none is idle", () => {
    const b = bead();
    const actions = byRule(reconcile(makeWorld({ beads: [b] }), NOW), "B1");
    expect(actions).toEqual([expect.objectContaining({ type: "dispatch_agent", agentId: null, beadId: b.id, rigId: b.rigId })]);
  });

  it("B1 reuses an idle unhooked polecat of the same rig", () => {
    const b = bead();
    const idle = agent({ status: "idle" });
    const other = agent({ status: "idle", rigId: "rig-other" });
    const actions = byRule(reconcile(makeWorld({ beads: [b], agents: [idle, other], rigs: [{}, { id: "rig-other" }] }), NOW), "B1");
    expect(actions).toEqual([expect.objectContaining({ type: "dispatch_agent", agentId: idle.id })]);
  });

  it("B1 never gives one idle polecat two beads in one tick", () => {
    const idle = agent({ status: "idle" });
    const actions = byRule(reconcile(makeWorld({ beads: [bead(), bead()], agents: [idle] }), NOW), "B1");
    expect(actions.map((a) => (a as { agentId: string | null }).agentId).sort()).toEqual([idle.id, null].sort());
  });

  it("B1 dispatches at attempt 4 and fails the bead at attempt 5 (max dispatch attempts)", () => {
    const four = bead({ dispatchAttempts: 4, lastDispatchAttemptAt: ago(11) });
    const five = bead({ dispatchAttempts: 5, lastDispatchAttemptAt: ago(31) });
    const actions = byRule(reconcile(makeWorld({ beads: [four, five] }), NOW), "B1");
    expect(actions).toContainEqual(expect.objectContaining({ type: "dispatch_agent", beadId: four.id }));
    expect(actions).toContainEqual(
      expect.objectContaining({ type: "transition_bead", beadId: five.id, from: "open", to: "failed", reason: "max dispatch attempts exceeded (5)" }),
    );
  });

  it("B1 uses the rig's max_dispatch_attempts override, then the town's", () => {
    const b = bead({ dispatchAttempts: 2, lastDispatchAttemptAt: ago(60) });
    const rigOverride = reconcile(makeWorld({ beads: [b], rigs: [{ config: { max_dispatch_attempts: 2 } }], townSettings: { max_dispatch_attempts: 9 } }), NOW);
    expect(byRule(rigOverride, "B1")).toEqual([expect.objectContaining({ type: "transition_bead", to: "failed" })]);
    const townValue = reconcile(makeWorld({ beads: [b], townSettings: { max_dispatch_attempts: 2 } }), NOW);
    expect(byRule(townValue, "B1")).toEqual([expect.objectContaining({ type: "transition_bead", to: "failed" })]);
    const fallback = reconcile(makeWorld({ beads: [b] }), NOW);
    expect(byRule(fallback, "B1")).toEqual([expect.objectContaining({ type: "dispatch_agent" })]);
  });

  it.each([
    [1, 2],
    [2, 2],
    [3, 5],
    [4, 10],
    [5, 30],
  ])("B1 backs off after attempt %i for %i min: waits just under, dispatches just over", (attempts, minutes) => {
    const settings = { townSettings: { max_dispatch_attempts: 10 } };
    const under = bead({ dispatchAttempts: attempts, lastDispatchAttemptAt: agoSeconds(minutes * 60 - 1) });
    const over = bead({ dispatchAttempts: attempts, lastDispatchAttemptAt: agoSeconds(minutes * 60 + 1) });
    expect(dispatches(reconcile(makeWorld({ beads: [under], ...settings }), NOW))).toEqual([]);
    expect(dispatches(reconcile(makeWorld({ beads: [over], ...settings }), NOW))).toHaveLength(1);
  });

  it("B1 does not back off a bead that was never dispatched (null last attempt)", () => {
    expect(dispatches(reconcile(makeWorld({ beads: [bead({ dispatchAttempts: 3, lastDispatchAttemptAt: null })] }), NOW))).toHaveLength(1);
  });

  it("B1 waits for an open blocker", () => {
    const blocker = bead({ status: "in_progress", assigneeAgentBeadId: "x" });
    const b = bead();
    const actions = reconcile(makeWorld({ beads: [blocker, b], dependencies: [blocks(b.id, blocker.id)] }), NOW);
    expect(dispatches(actions).map((d) => (d as { beadId: string }).beadId)).not.toContain(b.id);
  });

  it("B1 treats a closed blocker whose MR is still open as unresolved (stricter blocker rule)", () => {
    const blocker = bead({ status: "closed" });
    const pending = mr({ sourceBeadId: blocker.id, status: "open" });
    const b = bead();
    const actions = reconcile(makeWorld({ beads: [blocker, b], mrs: [pending], dependencies: [blocks(b.id, blocker.id)] }), NOW);
    expect(byRule(actions, "B1")).toEqual([]);
  });

  it("B1 keeps the dependents of a failed blocker blocked", () => {
    const blocker = bead({ status: "failed" });
    const b = bead();
    const actions = reconcile(makeWorld({ beads: [blocker, b], dependencies: [blocks(b.id, blocker.id)] }), NOW);
    expect(byRule(actions, "B1")).toEqual([]);
  });

  it("B1 dispatches once the blocker is closed and its MRs have ended", () => {
    const blocker = bead({ status: "closed" });
    const merged = mr({ sourceBeadId: blocker.id, status: "closed" });
    const b = bead();
    const actions = reconcile(makeWorld({ beads: [blocker, b], mrs: [merged], dependencies: [blocks(b.id, blocker.id)] }), NOW);
    expect(byRule(actions, "B1")).toEqual([expect.objectContaining({ type: "dispatch_agent", beadId: b.id })]);
  });

  it("B1 hides the beads of a staged convoy and dispatches them once it is started", () => {
    const b = bead();
    const staged = convoy({ tracks: [b.id], meta: { staged: true } });
    expect(byRule(reconcile(makeWorld({ beads: [b], convoys: [staged] }), NOW), "B1")).toEqual([]);
    const started = convoy({ tracks: [b.id], meta: { staged: false } });
    expect(byRule(reconcile(makeWorld({ beads: [b], convoys: [started] }), NOW), "B1")).toHaveLength(1);
  });

  it("B1 skips held beads and triage requests", () => {
    const held = bead({ labels: ["gt:held"] });
    const triage = bead({ labels: ["gt:triage-request"] });
    expect(byRule(reconcile(makeWorld({ beads: [held, triage] }), NOW), "B1")).toEqual([]);
  });

  it("B1 skips beads without a rig, assigned beads and non-issue beads", () => {
    const noRig = bead({ rigId: null });
    const assigned = bead({ assigneeAgentBeadId: "someone" });
    const message = bead({ type: "message" });
    expect(dispatches(reconcile(makeWorld({ beads: [noRig, assigned, message] }), NOW))).toEqual([]);
  });

  it("B1 does nothing while draining, not even cap failures", () => {
    const capped = bead({ dispatchAttempts: 5, lastDispatchAttemptAt: ago(60) });
    expect(byRule(reconcile(makeWorld({ beads: [bead(), capped], draining: true }), NOW), "B1")).toEqual([]);
  });

  it("B1 respects max_concurrent_polecats: default 5 counting running polecats", () => {
    const running = Array.from({ length: 3 }, () => agent({ status: "working", currentHookBeadId: "w", lastActivityAt: NOW }));
    const beads = Array.from({ length: 4 }, () => bead());
    const actions = reconcile(makeWorld({ beads, agents: running }), NOW);
    expect(byRule(actions, "B1").filter((a) => a.type === "dispatch_agent")).toHaveLength(2);
  });

  it("B1 uses the rig's max_concurrent_polecats, else the town's max_polecats_per_rig", () => {
    const beads = Array.from({ length: 4 }, () => bead());
    expect(dispatches(reconcile(makeWorld({ beads, rigs: [{ config: { max_concurrent_polecats: 1 } }], townSettings: { max_polecats_per_rig: 3 } }), NOW))).toHaveLength(1);
    expect(dispatches(reconcile(makeWorld({ beads, townSettings: { max_polecats_per_rig: 3 } }), NOW))).toHaveLength(3);
  });

  it("B1 counts idle polecats hooked to open work as holding a slot", () => {
    const hookedBead = bead({ status: "open", dispatchAttempts: 1, lastDispatchAttemptAt: ago(1) }); // cooling down
    const hooked = agent({ status: "idle", currentHookBeadId: hookedBead.id });
    hookedBead.assigneeAgentBeadId = hooked.id;
    const actions = reconcile(makeWorld({ beads: [hookedBead, bead(), bead()], agents: [hooked], rigs: [{ config: { max_concurrent_polecats: 2 } }] }), NOW);
    expect(dispatches(actions)).toHaveLength(1);
  });

  it("B1 dispatches the most urgent, then the oldest bead first when capped", () => {
    const old = bead({ createdAt: ago(60), priority: "low" });
    const urgent = bead({ createdAt: ago(1), priority: "critical" });
    const actions = reconcile(makeWorld({ beads: [old, urgent], rigs: [{ config: { max_concurrent_polecats: 1 } }] }), NOW);
    expect(dispatches(actions)).toEqual([expect.objectContaining({ beadId: urgent.id })]);
  });
});

describe("B1b stale assignee", () => {
  it("B1b clears the assignee of an open issue its assignee is not hooked to", () => {
    const a = agent({ status: "idle", currentHookBeadId: null });
    const b = bead({ assigneeAgentBeadId: a.id });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "B1b")).toEqual([
      expect.objectContaining({ type: "clear_bead_assignee", beadId: b.id }),
    ]);
  });

  it("B1b leaves system-assigned beads, triage requests and properly hooked beads alone", () => {
    const system = bead({ assigneeAgentBeadId: "system" });
    const triage = bead({ assigneeAgentBeadId: "ghost", labels: ["gt:triage-request"] });
    const hookedBead = bead({ dispatchAttempts: 1, lastDispatchAttemptAt: ago(1) });
    const a = agent({ currentHookBeadId: hookedBead.id });
    hookedBead.assigneeAgentBeadId = a.id;
    expect(byRule(reconcile(makeWorld({ beads: [system, triage, hookedBead], agents: [a] }), NOW), "B1b")).toEqual([]);
  });
});

describe("B2 idle hooked agents", () => {
  function hookedPair(beadFields = {}) {
    const b = bead({ status: "open", ...beadFields });
    const a = agent({ status: "idle", currentHookBeadId: b.id });
    b.assigneeAgentBeadId = a.id;
    return { b, a };
  }

  it("B2 redispatches an idle polecat hooked to an open bead", () => {
    const { a, b } = hookedPair();
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "B2")).toEqual([
      expect.objectContaining({ type: "dispatch_agent", agentId: a.id, beadId: b.id }),
    ]);
  });

  it("B2 fails the bead and unhooks the agent at the attempt cap (4 redispatches, 5 fails)", () => {
    const four = hookedPair({ dispatchAttempts: 4, lastDispatchAttemptAt: ago(11) });
    expect(byRule(reconcile(makeWorld({ beads: [four.b], agents: [four.a] }), NOW), "B2")).toEqual([
      expect.objectContaining({ type: "dispatch_agent" }),
    ]);
    const five = hookedPair({ dispatchAttempts: 5, lastDispatchAttemptAt: ago(1) });
    const actions = byRule(reconcile(makeWorld({ beads: [five.b], agents: [five.a] }), NOW), "B2");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: five.b.id, from: null, to: "failed" }),
      expect.objectContaining({ type: "unhook_agent", agentId: five.a.id }),
    ]);
  });

  it("B2 waits inside the cooldown", () => {
    const { a, b } = hookedPair({ dispatchAttempts: 1, lastDispatchAttemptAt: agoSeconds(119) });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "B2")).toEqual([]);
  });

  it("B2 waits for blockers and for held beads", () => {
    const blocked = hookedPair();
    const blocker = bead({ status: "open", assigneeAgentBeadId: "system" });
    const held = hookedPair({ labels: ["gt:held"] });
    const actions = reconcile(
      makeWorld({ beads: [blocked.b, blocker, held.b], agents: [blocked.a, held.a], dependencies: [blocks(blocked.b.id, blocker.id)] }),
      NOW,
    );
    expect(byRule(actions, "B2")).toEqual([]);
  });

  it("B2 does not dispatch while draining but still fails capped beads", () => {
    const ok = hookedPair();
    const capped = hookedPair({ dispatchAttempts: 5 });
    const actions = byRule(reconcile(makeWorld({ beads: [ok.b, capped.b], agents: [ok.a, capped.a], draining: true }), NOW), "B2");
    expect(actions.map((a) => a.type)).toEqual(["transition_bead", "unhook_agent"]);
  });

  it("B2 ignores refineries (R6 handles them)", () => {
    const b = mr({ status: "open" });
    const r = agent({ role: "refinery", status: "idle", currentHookBeadId: b.bead.id });
    expect(byRule(reconcile(makeWorld({ mrs: [b], agents: [r] }), NOW), "B2")).toEqual([]);
  });

  it("B2 resumes hooked work before B1 takes a new slot", () => {
    const { a, b } = hookedPair({ createdAt: ago(1) });
    const fresh = bead({ createdAt: ago(100), priority: "critical" });
    const actions = reconcile(makeWorld({ beads: [b, fresh], agents: [a], rigs: [{ config: { max_concurrent_polecats: 1 } }] }), NOW);
    expect(dispatches(actions)).toEqual([expect.objectContaining({ rule: "B2", beadId: b.id })]);
  });
});

describe("B3 lost agent", () => {
  it("B3 reopens an in_progress issue untouched for just over 5 min with no live agent, not just under", () => {
    const stale = bead({ status: "in_progress", updatedAt: agoSeconds(301), assigneeAgentBeadId: "x" });
    const fresh = bead({ status: "in_progress", updatedAt: agoSeconds(299) });
    const actions = byRule(reconcile(makeWorld({ beads: [stale, fresh] }), NOW), "B3");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: stale.id, from: "in_progress", to: "open", reason: "agent lost" }),
      expect.objectContaining({ type: "clear_bead_assignee", beadId: stale.id }),
    ]);
  });

  it("B3 leaves a bead whose hooked agent is working, stalled, or idle with a heartbeat within 90 s", () => {
    const mk = (status: "working" | "stalled" | "idle", seconds: number) => {
      const b = bead({ status: "in_progress", updatedAt: ago(30) });
      const a = agent({ status, currentHookBeadId: b.id, lastActivityAt: agoSeconds(seconds) });
      return { b, a };
    };
    const cases = [mk("working", 10), mk("stalled", 3600), mk("idle", 60)];
    const actions = reconcile(makeWorld({ beads: cases.map((c) => c.b), agents: cases.map((c) => c.a) }), NOW);
    expect(byRule(actions, "B3")).toEqual([]);
  });

  it("B3 recovers a bead whose hooked agent is idle with a heartbeat over 90 s old", () => {
    const b = bead({ status: "in_progress", updatedAt: ago(30) });
    const a = agent({ status: "idle", currentHookBeadId: b.id, lastActivityAt: agoSeconds(91) });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "B3")).toHaveLength(2);
  });

  it("B3 fails the bead instead when it is out of attempts", () => {
    const b = bead({ status: "in_progress", updatedAt: ago(10), dispatchAttempts: 5 });
    const actions = byRule(reconcile(makeWorld({ beads: [b] }), NOW), "B3");
    expect(actions[0]).toMatchObject({ type: "transition_bead", from: "in_progress", to: "failed" });
    expect(actions[1]).toMatchObject({ type: "clear_bead_assignee" });
  });
});

describe("B4 orphaned in_review", () => {
  it("B4 closes an in_review issue whose MRs all ended with one merged", () => {
    const b = bead({ status: "in_review", updatedAt: agoSeconds(301) });
    const failed = mr({ sourceBeadId: b.id, status: "failed" });
    const merged = mr({ sourceBeadId: b.id, status: "closed" });
    expect(byRule(reconcile(makeWorld({ beads: [b], mrs: [failed, merged] }), NOW), "B4")).toEqual([
      expect.objectContaining({ type: "transition_bead", beadId: b.id, from: "in_review", to: "closed", reason: "MR merged (reconciler safety net)" }),
    ]);
  });

  it("B4 reopens an in_review issue whose reviews all failed", () => {
    const b = bead({ status: "in_review", updatedAt: ago(6) });
    const failed = mr({ sourceBeadId: b.id, status: "failed" });
    expect(byRule(reconcile(makeWorld({ beads: [b], mrs: [failed] }), NOW), "B4")).toEqual([
      expect.objectContaining({ type: "transition_bead", to: "open", reason: "all reviews failed" }),
      expect.objectContaining({ type: "clear_bead_assignee", beadId: b.id }),
    ]);
  });

  it("B4 waits while an MR is in flight, before 5 min, or when there is no MR", () => {
    const inFlight = bead({ status: "in_review", updatedAt: ago(10) });
    const young = bead({ status: "in_review", updatedAt: agoSeconds(299) });
    const noMr = bead({ status: "in_review", updatedAt: ago(10) });
    const actions = reconcile(
      makeWorld({
        beads: [inFlight, young, noMr],
        mrs: [mr({ sourceBeadId: inFlight.id, status: "in_progress", prUrl: "https://github.com/a/b/pull/2" }), mr({ sourceBeadId: young.id, status: "failed" })],
      }),
      NOW,
    );
    expect(byRule(actions, "B4")).toEqual([]);
  });
});
