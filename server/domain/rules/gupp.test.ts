import { describe, expect, it } from "vitest";
import { reconcile } from "../reconcile";
import { ago, agent, agoSeconds, bead, byRule, later, makeWorld, nudge, NOW } from "../testing";

function workingOn(minutesSinceActivity: number, fields = {}) {
  const b = bead({ status: "in_progress" });
  const a = agent({ status: "working", currentHookBeadId: b.id, lastActivityAt: agoSeconds(10), lastEventAt: ago(minutesSinceActivity), ...fields });
  return { a, b };
}

describe("GUPP", () => {
  it("GUPP force-stops a working agent just over 2 h without SDK activity: stalled + stop + triage", () => {
    const { a, b } = workingOn(120.02);
    const actions = byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "GUPP");
    expect(actions).toEqual([
      expect.objectContaining({ type: "transition_agent", agentId: a.id, from: "working", to: "stalled" }),
      expect.objectContaining({ type: "stop_agent", agentId: a.id, reason: "exceeded 2h GUPP limit" }),
      expect.objectContaining({ type: "create_triage_request", agentId: a.id, triageType: "stuck_agent", reason: "GUPP force stop" }),
    ]);
  });

  it("GUPP force stop fires once: an agent already stalled is not force-stopped again", () => {
    const { a, b } = workingOn(300, { status: "stalled" });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a] }), NOW), "GUPP")).toEqual([]);
  });

  it("GUPP escalates just over 1 h (nudge + triage), just under 1 h only warns", () => {
    const over = workingOn(60.02);
    expect(byRule(reconcile(makeWorld({ beads: [over.b], agents: [over.a] }), NOW), "GUPP").map((a) => a.type)).toEqual([
      "send_nudge",
      "create_triage_request",
    ]);
    const under = workingOn(59.98);
    const actions = byRule(reconcile(makeWorld({ beads: [under.b], agents: [under.a] }), NOW), "GUPP");
    expect(actions).toEqual([expect.objectContaining({ type: "send_nudge", tier: "warn" })]);
  });

  it("GUPP does not escalate again within an hour of the last escalate nudge", () => {
    const { a, b } = workingOn(90);
    const recent = nudge({ agentBeadId: a.id, source: "reconciler:escalate", createdAt: ago(59) });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a], nudges: [recent] }), NOW), "GUPP")).toEqual([]);
    const old = nudge({ agentBeadId: a.id, source: "reconciler:escalate", createdAt: ago(61) });
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a], nudges: [old] }), NOW), "GUPP")).toHaveLength(2);
  });

  it("GUPP warns just over 15 min only when no tool is running and no warn in the last hour", () => {
    const idle = workingOn(15.02);
    expect(byRule(reconcile(makeWorld({ beads: [idle.b], agents: [idle.a] }), NOW), "GUPP")).toEqual([
      expect.objectContaining({ type: "send_nudge", tier: "warn" }),
    ]);
    const under = workingOn(14.98);
    expect(byRule(reconcile(makeWorld({ beads: [under.b], agents: [under.a] }), NOW), "GUPP")).toEqual([]);
    const tool = workingOn(20, { activeTools: ["bash"] });
    expect(byRule(reconcile(makeWorld({ beads: [tool.b], agents: [tool.a] }), NOW), "GUPP")).toEqual([]);
    const warned = workingOn(20);
    const n = nudge({ agentBeadId: warned.a.id, source: "reconciler:warn", createdAt: ago(10) });
    expect(byRule(reconcile(makeWorld({ beads: [warned.b], agents: [warned.a], nudges: [n] }), NOW), "GUPP")).toEqual([]);
  });

  it("GUPP falls back to the heartbeat when there is no SDK activity, and skips future or missing timestamps", () => {
    const hb = workingOn(0, { lastEventAt: null, lastActivityAt: ago(20) });
    // heartbeat 20 min old: A1 idles it first (stale heartbeat) and GUPP leaves a moved agent alone
    expect(byRule(reconcile(makeWorld({ beads: [hb.b], agents: [hb.a] }), NOW), "GUPP")).toEqual([]);
    const future = workingOn(0, { lastEventAt: later(5) });
    const none = workingOn(0, { lastEventAt: null, lastActivityAt: null });
    const actions = reconcile(makeWorld({ beads: [future.b, none.b], agents: [future.a, none.a] }), NOW);
    expect(byRule(actions, "GUPP")).toEqual([]);
  });

  it("GUPP is skipped while draining and for the mayor", () => {
    const { a, b } = workingOn(300);
    expect(byRule(reconcile(makeWorld({ beads: [b], agents: [a], draining: true }), NOW), "GUPP")).toEqual([]);
    const mayor = agent({ role: "mayor", status: "working", lastEventAt: ago(300), lastActivityAt: NOW });
    expect(byRule(reconcile(makeWorld({ agents: [mayor] }), NOW), "GUPP")).toEqual([]);
  });
});
