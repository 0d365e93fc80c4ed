import { describe, expect, it } from "vitest";
import { reconcile } from "../reconcile";
import { agent, agoSeconds, bead, byRule, makeWorld, NOW } from "../testing";

describe("A1 working agent liveness", () => {
  it("A1 idles a working agent with no heartbeat since dispatch", () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ status: "working", currentHookBeadId: b.id, lastActivityAt: null });
    const actions = byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "A1");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_agent", agentId: a.id, from: "working", to: "idle", reason: "no heartbeat received since dispatch" }),
    ]);
  });

  it("A1 idles a working agent whose heartbeat is just over 90 s old, not one just under", () => {
    const b1 = bead({ status: "in_progress" });
    const b2 = bead({ status: "in_progress" });
    const stale = agent({ status: "working", currentHookBeadId: b1.id, lastActivityAt: agoSeconds(91) });
    const fresh = agent({ status: "working", currentHookBeadId: b2.id, lastActivityAt: agoSeconds(89) });
    const actions = byRule(reconcile(makeWorld({ beads: [b1, b2], agents: [stale, fresh] }), NOW), "A1");
    expect(actions.map((a) => "agentId" in a && a.agentId)).toEqual([stale.id]);
    expect(actions[0]).toMatchObject({ reason: "heartbeat lost (3 missed cycles)" });
  });

  it("A1 idles a working agent with a fresh heartbeat but no hook", () => {
    const a = agent({ status: "working", currentHookBeadId: null, lastActivityAt: agoSeconds(5) });
    const actions = byRule(reconcile(makeWorld({ agents: [a] }), NOW), "A1");
    expect(actions).toEqual([expect.objectContaining({ agentId: a.id, to: "idle", reason: "working agent has no hook (gt_done already completed)" })]);
  });

  it("A1 never idles the mayor", () => {
    const mayor = agent({ role: "mayor", status: "working", lastActivityAt: null });
    expect(byRule(reconcile(makeWorld({ agents: [mayor] }), NOW), "A1")).toEqual([]);
  });

  it("A1 is skipped while draining", () => {
    const a = agent({ status: "working", lastActivityAt: null });
    expect(byRule(reconcile(makeWorld({ agents: [a], draining: true }), NOW), "A1")).toEqual([]);
  });
});

describe("A4 idle agent on a dead hook", () => {
  it("A4 unhooks an idle agent whose hooked bead does not exist", () => {
    const a = agent({ status: "idle", currentHookBeadId: "gone" });
    const actions = byRule(reconcile(makeWorld({ agents: [a] }), NOW), "A4");
    expect(actions.map((x) => x.type)).toEqual(["unhook_agent", "clear_agent_checkpoint"]);
    expect(actions[0]).toMatchObject({ agentId: a.id, reason: "hooked bead does not exist" });
  });

  it.each(["closed", "failed"] as const)("A4 unhooks an idle agent hooked to a %s bead", (status) => {
    const b = bead({ status });
    const a = agent({ status: "idle", currentHookBeadId: b.id });
    const actions = byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "A4");
    expect(actions.map((x) => x.type)).toEqual(["unhook_agent", "clear_agent_checkpoint"]);
    expect(actions[0]).toMatchObject({ reason: "hooked bead is terminal" });
  });

  it("A4 leaves an idle agent hooked to live work alone", () => {
    const b = bead({ status: "open" });
    const a = agent({ status: "idle", currentHookBeadId: b.id });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "A4")).toEqual([]);
  });
});
