import { describe, expect, it } from "vitest";
import { reconcile } from "../reconcile";
import { ago, agent, bead, byRule, makeWorld, NOW } from "../testing";

describe("GC", () => {
  it("GC deletes idle unhooked polecats and refineries inactive for just over 24 h, not just under", () => {
    const old = agent({ status: "idle", lastActivityAt: ago(24 * 60 + 1) });
    const young = agent({ status: "idle", lastActivityAt: ago(24 * 60 - 1) });
    const deadRefinery = agent({ role: "refinery", status: "dead", lastActivityAt: null });
    // beads exist but all are assigned, so B1 does not reuse the idle polecats
    const actions = byRule(reconcile(makeWorld({ agents: [old, young, deadRefinery], beads: [bead({ status: "closed" })] }), NOW), "GC");
    expect(actions.map((a) => (a as { agentId: string }).agentId).sort()).toEqual([old.id, deadRefinery.id].sort());
    expect(actions[0]).toMatchObject({ type: "delete_agent", reason: "GC: idle > 24h" });
  });

  it("GC never collects the mayor, a hooked agent or a working agent", () => {
    const mayor = agent({ role: "mayor", status: "idle", lastActivityAt: null });
    const b = bead({ status: "open", dispatchAttempts: 1, lastDispatchAttemptAt: ago(1) });
    const hooked = agent({ status: "idle", currentHookBeadId: b.id, lastActivityAt: ago(3000) });
    b.assigneeAgentBeadId = hooked.id;
    const working = agent({ status: "working", currentHookBeadId: "x", lastActivityAt: ago(3000) });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [mayor, hooked, working] }), NOW), "GC")).toEqual([]);
  });

  it("GC leaves an old idle polecat that B1 reuses in the same tick", () => {
    const old = agent({ status: "idle", lastActivityAt: ago(3000) });
    const actions = reconcile(makeWorld({ agents: [old], beads: [bead()] }), NOW);
    expect(byRule(actions, "B1")).toEqual([expect.objectContaining({ agentId: old.id })]);
    expect(byRule(actions, "GC")).toEqual([]);
  });
});
