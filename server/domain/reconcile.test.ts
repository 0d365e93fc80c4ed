import { describe, expect, it } from "vitest";
import { ActionSchema, type Action } from "./actions";
import { reconcile, reconcileDetailed } from "./reconcile";
import { ago, agent, agoSeconds, bead, byRule, conflictingMoves, makeWorld, mr, NOW } from "./testing";

describe("reconcile", () => {
  it("is pure: same world and time give the same actions, and the world is not mutated", () => {
    const b = bead();
    const a = agent({ status: "working", lastActivityAt: null });
    const world = makeWorld({ beads: [b, bead({ status: "in_progress", updatedAt: ago(10) })], agents: [a], mrs: [mr({ status: "open" })] });
    const before = structuredClone(world);
    const first = reconcile(world, NOW);
    expect(reconcile(world, NOW)).toEqual(first);
    expect(world).toEqual(before);
  });

  it("every emitted action parses with the action schema and carries a rule and a reason", () => {
    const world = makeWorld({
      beads: [bead(), bead({ status: "in_progress", updatedAt: ago(10) }), bead({ dispatchAttempts: 5 })],
      agents: [agent({ status: "working", lastActivityAt: null }), agent({ status: "idle", lastActivityAt: ago(3000) })],
      mrs: [mr({ status: "open" }), mr({ status: "in_progress", prUrl: "https://github.com/a/b/pull/1", updatedAt: ago(40) })],
      recentDispatchFailures: 30,
    });
    const actions = reconcile(world, NOW);
    expect(actions.length).toBeGreaterThan(4);
    for (const action of actions) {
      expect(ActionSchema.parse(action)).toEqual(action);
      expect(action.rule).not.toBe("");
      expect(action.reason).not.toBe("");
    }
  });

  it("§11 #4 two rules never move one agent to different states: A1's idle beats GUPP's stalled", () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "working", currentHookBeadId: b.id, lastActivityAt: agoSeconds(120), lastEventAt: ago(200) });
    const world = makeWorld({ beads: [b], agents: [a] });
    const actions = reconcile(world, NOW);
    expect(byRule(actions, "A1")).toHaveLength(1);
    expect(byRule(actions, "GUPP")).toEqual([]);
    expect(conflictingMoves(world, actions)).toEqual([]);
  });

  it("a later decision that contradicts an earlier one is dropped whole: R2 requeues, R6 does not redispatch", () => {
    const stuck = mr({ status: "in_progress", updatedAt: ago(31) });
    const refinery = agent({ role: "refinery", status: "idle", currentHookBeadId: stuck.bead.id });
    const world = makeWorld({ mrs: [stuck], agents: [refinery] });
    const result = reconcileDetailed(world, NOW);
    expect(byRule(result.actions, "R2")).toHaveLength(2);
    expect(byRule(result.actions, "R6")).toEqual([]);
    expect(result.dropped).toEqual([expect.objectContaining({ conflict: expect.stringContaining("R2") })]);
    expect(conflictingMoves(world, result.actions)).toEqual([]);
  });

  it("an agent stopped by an event action this tick is not re-dispatched (bead_cancelled stop precedes B1)", () => {
    const idle = agent({ status: "idle" });
    const b = bead();
    const stop: Action = { type: "stop_agent", rule: "event:bead_cancelled", reason: "bead cancelled", agentId: idle.id };
    const actions = reconcile(makeWorld({ beads: [b], agents: [idle] }), NOW, { precedingActions: [stop] });
    expect(byRule(actions, "B1")).toEqual([expect.objectContaining({ type: "dispatch_agent", agentId: null })]);
    expect(actions).not.toContainEqual(stop);
  });

  it("orders families as DOMAIN.md §5.3: breaker, agents, beads, review queue, convoys, GUPP, GC", () => {
    const world = makeWorld({
      beads: [bead()],
      agents: [agent({ status: "working", lastActivityAt: null }), agent({ status: "idle", lastActivityAt: ago(3000), rigId: "rig-x" })],
      mrs: [mr({ status: "in_progress", prUrl: "https://github.com/a/b/pull/1" })],
      rigs: [{}, { id: "rig-x" }],
      recentDispatchFailures: 20,
    });
    const rules = reconcile(world, NOW).map((a) => a.rule);
    expect(rules).toEqual(["breaker", "A1", "R1", "GC"]);
  });
});
