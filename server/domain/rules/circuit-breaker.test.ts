import { describe, expect, it } from "vitest";
import { reconcile, reconcileDetailed } from "../reconcile";
import { ago, agent, bead, byRule, makeWorld, mr, NOW } from "../testing";
import { evaluateCircuitBreaker } from "./circuit-breaker";

describe("circuit breaker (SPEC.md §2)", () => {
  it("breaker stays closed at 19 dispatch failures in 30 min and opens at 20", () => {
    expect(evaluateCircuitBreaker({ recentDispatchFailures: 19 }).open).toBe(false);
    expect(evaluateCircuitBreaker({ recentDispatchFailures: 20 }).open).toBe(true);
  });

  it("breaker at 19 failures lets B1 dispatch; at 20 it suppresses the dispatch", () => {
    const b = bead();
    expect(byRule(reconcile(makeWorld({ beads: [b], recentDispatchFailures: 19 }), NOW), "B1")).toHaveLength(1);
    expect(byRule(reconcile(makeWorld({ beads: [b], recentDispatchFailures: 20 }), NOW), "B1")).toEqual([]);
  });

  it("breaker counts only dispatch failures: a busy town with many healthy in-progress beads stays closed", () => {
    const busy = Array.from({ length: 30 }, () => bead({ status: "in_progress", dispatchAttempts: 1, lastDispatchAttemptAt: ago(1) }));
    const result = reconcileDetailed(makeWorld({ beads: [...busy, bead()] }), NOW);
    expect(result.breaker.open).toBe(false);
    expect(byRule(result.actions, "B1")).toHaveLength(1);
  });

  it("breaker emits exactly one notify_mayor when it opens", () => {
    const actions = reconcile(makeWorld({ beads: [bead(), bead()], recentDispatchFailures: 25 }), NOW);
    const notes = actions.filter((a) => a.type === "notify_mayor");
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ rule: "breaker", kind: "breaker_open" });
    expect((notes[0] as { message: string }).message).toContain("25 dispatch failures");
  });

  it("breaker does not notify again on later ticks while it stays open", () => {
    const actions = reconcile(makeWorld({ recentDispatchFailures: 25, breakerWasOpen: true }), NOW);
    expect(actions.filter((a) => a.type === "notify_mayor")).toEqual([]);
  });

  it("breaker suppresses only dispatch: cap failures and other rules still fire", () => {
    const capped = bead({ dispatchAttempts: 5, lastDispatchAttemptAt: ago(60) });
    const idle = agent({ status: "working", lastActivityAt: null });
    const orphan = mr({ status: "in_progress", prUrl: "https://github.com/a/b/pull/1", updatedAt: ago(31) });
    const actions = reconcile(makeWorld({ beads: [capped], agents: [idle], mrs: [orphan], recentDispatchFailures: 20 }), NOW);
    expect(actions.filter((a) => a.type === "dispatch_agent")).toEqual([]);
    expect(byRule(actions, "B1")).toEqual([expect.objectContaining({ type: "transition_bead", to: "failed" })]);
    expect(byRule(actions, "A1")).toHaveLength(1);
    expect(byRule(actions, "R4")).toHaveLength(1);
    expect(byRule(actions, "R1")).toHaveLength(1);
  });

  it("breaker suppresses R5, R6 and B2 dispatches too", () => {
    const queued = mr({ status: "open" });
    const refinery = agent({ role: "refinery", status: "idle" });
    const hooked = bead({ status: "open" });
    const polecat = agent({ status: "idle", currentHookBeadId: hooked.id });
    hooked.assigneeAgentBeadId = polecat.id;
    const actions = reconcile(makeWorld({ beads: [hooked], agents: [refinery, polecat], mrs: [queued], recentDispatchFailures: 20 }), NOW);
    expect(actions.filter((a) => a.type === "dispatch_agent")).toEqual([]);
  });
});
