import { describe, expect, it } from "vitest";
import { reconcile } from "../reconcile";
import { bead, byRule, convoy, makeWorld, mr, NOW } from "../testing";

const rtl = (tracks: string[], meta = {}) => convoy({ tracks, meta: { featureBranch: "convoy/x/abcd1234/head", mergeMode: "review-then-land", ...meta } });

describe("convoys", () => {
  it("convoy progress counts tracked issue beads only (closed + failed), and updates the stored counters", () => {
    const done = bead({ status: "closed" });
    const failed = bead({ status: "failed" });
    const open = bead({ status: "in_progress" });
    const c = rtl([done.id, failed.id, open.id], { closedBeads: 0, totalBeads: 3 });
    // an MR that tracks the convoy is not counted as a task
    const landing = mr({ sourceBeadId: c.bead.id, status: "open", createdBy: "system" });
    const actions = byRule(reconcile(makeWorld({ beads: [done, failed, open], convoys: [c], mrs: [landing] }), NOW), "convoy");
    expect(actions).toEqual([expect.objectContaining({ type: "update_convoy_progress", convoyId: c.bead.id, closedBeads: 2, totalBeads: 3 })]);
  });

  it("review-then-land convoy: all done → set ready to land", () => {
    const a = bead({ status: "closed" });
    const c = rtl([a.id], { closedBeads: 1 });
    expect(byRule(reconcile(makeWorld({ beads: [a], convoys: [c] }), NOW), "convoy")).toEqual([
      expect.objectContaining({ type: "set_convoy_ready_to_land", convoyId: c.bead.id }),
    ]);
  });

  it("review-then-land convoy: ready → create the landing MR on the rig's default branch", () => {
    const a = bead({ status: "closed" });
    const c = rtl([a.id], { closedBeads: 1, readyToLand: true });
    const actions = byRule(reconcile(makeWorld({ beads: [a], convoys: [c], rigs: [{ defaultBranch: "trunk" }] }), NOW), "convoy");
    expect(actions).toEqual([
      expect.objectContaining({ type: "create_landing_mr", convoyId: c.bead.id, rigId: a.rigId, featureBranch: "convoy/x/abcd1234/head", targetBranch: "trunk" }),
    ]);
  });

  it("review-then-land convoy: waits while the landing MR is open, closes once it merged", () => {
    const a = bead({ status: "closed" });
    const c = rtl([a.id], { closedBeads: 1, readyToLand: true });
    const open = mr({ sourceBeadId: c.bead.id, status: "in_progress", createdBy: "system" });
    expect(byRule(reconcile(makeWorld({ beads: [a], convoys: [c], mrs: [open] }), NOW), "convoy")).toEqual([]);
    const merged = mr({ sourceBeadId: c.bead.id, status: "closed", createdBy: "system" });
    expect(byRule(reconcile(makeWorld({ beads: [a], convoys: [c], mrs: [merged] }), NOW), "convoy")).toEqual([
      expect.objectContaining({ type: "close_convoy", convoyId: c.bead.id }),
    ]);
  });

  it("review-and-merge convoy closes when all tracked beads are terminal", () => {
    const a = bead({ status: "closed" });
    const b = bead({ status: "failed" });
    const c = convoy({ tracks: [a.id, b.id], meta: { mergeMode: "review-and-merge", closedBeads: 2, featureBranch: "convoy/y/1/head" } });
    expect(byRule(reconcile(makeWorld({ beads: [a, b], convoys: [c] }), NOW), "convoy")).toEqual([
      expect.objectContaining({ type: "close_convoy" }),
    ]);
  });

  it("a convoy without a feature branch closes directly", () => {
    const a = bead({ status: "closed" });
    const c = convoy({ tracks: [a.id], meta: { closedBeads: 1, featureBranch: null } });
    expect(byRule(reconcile(makeWorld({ beads: [a], convoys: [c] }), NOW), "convoy")).toEqual([expect.objectContaining({ type: "close_convoy" })]);
  });

  it("a convoy waits while a tracked bead's MR is in flight or a bead is unfinished, and an empty convoy never closes", () => {
    const a = bead({ status: "closed" });
    const c = convoy({ tracks: [a.id], meta: { mergeMode: "review-and-merge", closedBeads: 1 } });
    const inFlight = mr({ sourceBeadId: a.id, status: "open" });
    expect(byRule(reconcile(makeWorld({ beads: [a], convoys: [c], mrs: [inFlight] }), NOW), "convoy")).toEqual([]);
    const empty = convoy({ tracks: [], meta: { mergeMode: "review-and-merge" } });
    expect(byRule(reconcile(makeWorld({ convoys: [empty] }), NOW), "convoy")).toEqual([]);
  });

  it("closed convoys are left alone", () => {
    const a = bead({ status: "closed" });
    const c = convoy({ status: "closed", tracks: [a.id], meta: { mergeMode: "review-and-merge" } });
    expect(byRule(reconcile(makeWorld({ beads: [a], convoys: [c] }), NOW), "convoy")).toEqual([]);
  });
});
