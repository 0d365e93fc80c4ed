import { describe, expect, it } from "vitest";
import { checkInvariants } from "./invariants";
import { agent, bead, convoy, makeWorld, mr } from "./testing";

const PR = "https://github.com/a/b/pull/1";

describe("invariants", () => {
  it("a healthy world has no violations", () => {
    const b = bead({ status: "in_review" });
    const m = mr({ sourceBeadId: b.id, status: "in_progress" });
    const r = agent({ role: "refinery", status: "working", currentHookBeadId: m.bead.id });
    const mayor = agent({ role: "mayor", status: "working" });
    expect(checkInvariants(makeWorld({ beads: [b], mrs: [m], agents: [r, mayor] }))).toEqual([]);
  });

  it("invariant 7: a working non-mayor agent without a hook", () => {
    const a = agent({ status: "working", currentHookBeadId: null });
    expect(checkInvariants(makeWorld({ agents: [a] }))).toEqual([expect.objectContaining({ invariant: 7, ids: [a.id] })]);
  });

  it("invariant 5: a convoy in an unexpected status", () => {
    const c = convoy({ status: "weird" as never });
    expect(checkInvariants(makeWorld({ convoys: [c] }))).toEqual([expect.objectContaining({ invariant: 5 })]);
    expect(checkInvariants(makeWorld({ convoys: [convoy({ status: "in_progress" })] }))).toEqual([]);
  });

  it("invariant 3: two in_progress MRs without pr_url in one rig; PR MRs do not count", () => {
    const a = mr({ status: "in_progress" });
    const b = mr({ status: "in_progress" });
    expect(checkInvariants(makeWorld({ mrs: [a, b] }))).toEqual([expect.objectContaining({ invariant: 3, ids: [a.bead.id, b.bead.id] })]);
    const prs = [mr({ status: "in_progress", prUrl: PR }), mr({ status: "in_progress", prUrl: PR }), mr({ status: "in_progress" })];
    expect(checkInvariants(makeWorld({ mrs: prs }))).toEqual([]);
  });

  it("invariant 6: two agents hooked to one bead", () => {
    const b = bead({ status: "in_progress" });
    const x = agent({ status: "idle", currentHookBeadId: b.id });
    const y = agent({ status: "idle", currentHookBeadId: b.id });
    expect(checkInvariants(makeWorld({ beads: [b], agents: [x, y] }))).toEqual([expect.objectContaining({ invariant: 6, ids: [b.id, x.id, y.id] })]);
  });

  it("invariant 4: an in_review issue without an open or in_progress MR", () => {
    const b = bead({ status: "in_review" });
    const failed = mr({ sourceBeadId: b.id, status: "failed" });
    expect(checkInvariants(makeWorld({ beads: [b], mrs: [failed] }))).toEqual([expect.objectContaining({ invariant: 4, ids: [b.id] })]);
  });
});
