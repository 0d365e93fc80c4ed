import { describe, expect, it } from "vitest";
import { explainBead } from "./explain";
import { ago, agent, agoSeconds, bead, blocks, convoy, later, makeWorld, mr, NOW } from "./testing";

const codes = (e: ReturnType<typeof explainBead>) => e.facts.map((f) => f.code);

describe("explainBead", () => {
  it("lists blockers with why each still blocks, including failed ones and closed ones with an open MR", () => {
    const open = bead({ status: "in_progress", title: "Schema" });
    const failed = bead({ status: "failed", title: "API" });
    const merging = bead({ status: "closed", title: "Auth" });
    const pending = mr({ sourceBeadId: merging.id, status: "in_progress" });
    const b = bead();
    const world = makeWorld({ beads: [open, failed, merging, b], mrs: [pending], dependencies: [blocks(b.id, open.id), blocks(b.id, failed.id), blocks(b.id, merging.id)] });
    const e = explainBead(world, b.id, NOW);
    expect(e.blockers.map((x) => [x.beadId, x.state])).toEqual([
      [open.id, "not_closed"],
      [failed.id, "failed"],
      [merging.id, "mr_pending"],
    ]);
    expect(e.facts.filter((f) => f.code === "blocked").map((f) => f.message)).toEqual([
      expect.stringContaining("still in_progress"),
      expect.stringContaining("retried or the dependency is removed"),
      expect.stringContaining(pending.bead.id),
    ]);
    expect(e.nextActions).toEqual([]);
  });

  it("explains backoff as attempt n of max with the time it becomes eligible", () => {
    const b = bead({ dispatchAttempts: 3, lastDispatchAttemptAt: ago(1), metadata: { last_dispatch_error: "no agent runtime configured" } });
    const e = explainBead(makeWorld({ beads: [b] }), b.id, NOW);
    expect(e.backoff).toEqual({ attempts: 3, maxAttempts: 5, lastAttemptAt: ago(1), eligibleAt: later(4), inCooldown: true, exhausted: false });
    expect(e.facts).toContainEqual({ code: "cooldown", message: `Attempt 3 of 5, eligible at ${later(4).toISOString()}.` });
    expect(codes(e)).toContain("last_dispatch_error");
  });

  it("shows the hooked agent with its heartbeat, and flags a stale one", () => {
    const b = bead({ status: "in_progress" });
    const a = agent({ name: "Toast", status: "working", currentHookBeadId: b.id, lastActivityAt: agoSeconds(200) });
    const e = explainBead(makeWorld({ beads: [b], agents: [a] }), b.id, NOW);
    expect(e.hookedAgent).toMatchObject({ id: a.id, name: "Toast", status: "working", heartbeatFresh: false, lastActivityAt: agoSeconds(200) });
    expect(codes(e)).toEqual(expect.arrayContaining(["hooked_agent", "agent_heartbeat_stale"]));
  });

  it("names a staged convoy, the held label, the breaker and the concurrency cap", () => {
    const b = bead({ labels: ["gt:held"] });
    const c = convoy({ title: "Launch", tracks: [b.id], meta: { staged: true } });
    const busy = Array.from({ length: 2 }, () => agent({ status: "working", currentHookBeadId: "x" }));
    const world = makeWorld({ beads: [b], convoys: [c], agents: busy, recentDispatchFailures: 22, rigs: [{ config: { max_concurrent_polecats: 2 } }] });
    const e = explainBead(world, b.id, NOW);
    expect(e.stagedConvoy).toEqual({ id: c.bead.id, title: "Launch" });
    expect(e.held).toBe(true);
    expect(e.breaker).toMatchObject({ open: true, failures: 22 });
    expect(e.concurrency).toMatchObject({ running: 2, cap: 2, atCap: true });
    expect(codes(e)).toEqual(expect.arrayContaining(["staged", "held", "breaker_open", "at_capacity"]));
  });

  it("says what the next tick would do: a ready bead gets dispatched", () => {
    const b = bead();
    const e = explainBead(makeWorld({ beads: [b] }), b.id, NOW);
    expect(codes(e)).toEqual(["ready"]);
    expect(e.nextActions).toEqual([expect.objectContaining({ type: "dispatch_agent", rule: "B1", beadId: b.id })]);
  });

  it("for an MR shows the auto-merge countdown from the effective delay, and none when held", () => {
    const m = mr({ status: "in_progress", prUrl: "https://github.com/a/b/pull/1", review: { autoMergeReadySince: ago(5) } });
    const world = makeWorld({ mrs: [m], townSettings: { refinery: { auto_merge_delay_minutes: 15 } } });
    expect(explainBead(world, m.bead.id, NOW).review).toMatchObject({ mergesAt: later(10), autoMergeReadySince: ago(5) });
    const held = mr({ status: "in_progress", prUrl: "https://github.com/a/b/pull/1", labels: ["gt:merge-request", "gt:held"], review: { autoMergeReadySince: ago(5) } });
    const heldWorld = makeWorld({ mrs: [held], townSettings: { refinery: { auto_merge_delay_minutes: 15 } } });
    expect(explainBead(heldWorld, held.bead.id, NOW).review?.mergesAt).toBeNull();
  });

  it("explains terminal, in-review and unknown beads", () => {
    const failed = bead({ status: "failed", metadata: { failureMessage: "max dispatch attempts exceeded (5)" } });
    const inReview = bead({ status: "in_review" });
    const world = makeWorld({ beads: [failed, inReview], mrs: [mr({ sourceBeadId: inReview.id, status: "open" })] });
    expect(explainBead(world, failed.id, NOW).facts[0]).toEqual({ code: "terminal", message: expect.stringContaining("max dispatch attempts exceeded (5)") });
    expect(codes(explainBead(world, inReview.id, NOW))).toContain("in_review");
    expect(explainBead(world, "ghost", NOW)).toMatchObject({ found: false, facts: [{ code: "not_found" }] });
  });
});
