import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../root";
import { testDb, pushTickOut, isDue } from "../../testing/db";
import { RecordingRuntime, testTickDeps } from "../../testing/tick-doubles";
import { runTick } from "../../tick/run-tick";
import { makeAgent } from "../../agent-api/testing";
import { addMembership, makeBead, makeRig, makeTown, makeUser } from "../../../prisma/factories";

// The beads page's writes through createCaller: sling (labels, body, priority), cancel (the bead_cancelled
// event first, then the status write, one transaction), retry (failed issue or MR only, reopened in place
// and audited), and explain ("why is this stuck?" + the last tick decisions about the bead).

type User = Awaited<ReturnType<typeof makeUser>>;
const callerAs = (user: User, tickDeps = testTickDeps()) => createCaller({ db: testDb(), user: { id: user.id, email: user.email, name: user.name }, tickDeps });


describe("bead actions", () => {
  const db = testDb();
  let owner: User;
  let member: User;
  let viewer: User;
  let townId: string;
  let rigId: string;

  beforeAll(async () => {
    owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
    rigId = (await makeRig(db, townId)).id;
  });

  it("sling creates open work with labels, body and priority, records bead_created and makes the town due", async () => {
    await pushTickOut(townId);
    const bead = await callerAs(member).bead.sling({ townId, rigId, title: "Fix the PR", body: "details", priority: "high", labels: ["gt:pr-fixup", "ui"] });
    expect(bead).toMatchObject({ type: "issue", status: "open", body: "details", priority: "high", labels: ["gt:pr-fixup", "ui"], createdBy: member.id });
    expect(await db.townEvent.count({ where: { townId, beadId: bead.id, eventType: "bead_created" } })).toBe(1);
    expect(await isDue(townId)).toBe(true);
    await expect(callerAs(member).bead.sling({ townId, rigId, title: "x", labels: ["has space"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(callerAs(viewer).bead.sling({ townId, rigId, title: "x" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("cancel writes bead_cancelled {cancel_status: failed} and the status in one transaction, audited; a finished bead is a CONFLICT", async () => {
    const bead = await makeBead(db, townId, { rigId, status: "in_progress" });
    await pushTickOut(townId);
    const cancelled = await callerAs(member).bead.cancel({ townId, beadId: bead.id, reason: "not needed" });
    expect(cancelled).toMatchObject({ status: "failed", metadata: { failureReason: "cancelled", failureMessage: "not needed" } });
    const events = await db.townEvent.findMany({ where: { townId, beadId: bead.id } });
    expect(events.map((e) => [e.eventType, (e.payload as { cancel_status: string }).cancel_status])).toEqual([["bead_cancelled", "failed"]]);
    const timeline = await db.beadEvent.findMany({ where: { beadId: bead.id } });
    expect(timeline).toEqual([expect.objectContaining({ eventType: "status_changed", oldValue: "in_progress", newValue: "failed", actorUserId: member.id })]);
    expect(await isDue(townId)).toBe(true);

    await expect(callerAs(member).bead.cancel({ townId, beadId: bead.id })).rejects.toMatchObject({ code: "CONFLICT" });
    const agent = await makeAgent(db, townId, { rigId });
    await expect(callerAs(member).bead.cancel({ townId, beadId: agent.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(callerAs(member).bead.cancel({ townId, beadId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(callerAs(viewer).bead.cancel({ townId, beadId: bead.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("cancelling a bead whose agent is working stops that agent in the next tick", async () => {
    const t = await makeTown(db, owner.id);
    const rig = await makeRig(db, t.id);
    const runtime = new RecordingRuntime();
    const deps = testTickDeps({ runtime });
    const bead = await callerAs(owner, deps).bead.sling({ townId: t.id, rigId: rig.id, title: "Soon cancelled" });
    await runTick(deps, t.id, { now: new Date(Date.now() - 10_000) });
    const agentId = runtime.starts[0].agentId;
    await callerAs(owner, deps).bead.cancel({ townId: t.id, beadId: bead.id });
    const report = await runTick(deps, t.id, { now: new Date() });
    expect(report!.actions[0]).toMatchObject({ type: "stop_agent", target: { id: agentId } });
    expect(runtime.stops.map((s) => s.agentId)).toEqual([agentId]);
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agentId } })).toMatchObject({ currentHookBeadId: null, status: "idle" });
  });

  it("retry reopens a failed issue in place: open, no assignee, counters zeroed, failure marks dropped, status_changed {retry: true}", async () => {
    const agent = await makeAgent(db, townId, { rigId });
    const bead = await db.bead.create({
      data: {
        townId,
        rigId,
        type: "issue",
        status: "failed",
        title: "Flaky",
        assigneeAgentBeadId: agent.id,
        dispatchAttempts: 5,
        lastDispatchAttemptAt: new Date(),
        metadata: { failureReason: "max_dispatch_attempts", failureMessage: "out of attempts", keep: 1 },
      },
    });
    await pushTickOut(townId);
    const retried = await callerAs(member).bead.retry({ townId, beadId: bead.id });
    expect(retried).toMatchObject({ status: "open", assigneeAgentBeadId: null, dispatchAttempts: 0, lastDispatchAttemptAt: null, metadata: { keep: 1 } });
    expect(retried.metadata).not.toHaveProperty("failureReason");
    const row = await db.beadEvent.findFirstOrThrow({ where: { beadId: bead.id, eventType: "status_changed" } });
    expect(row).toMatchObject({ oldValue: "failed", newValue: "open", actorUserId: member.id, metadata: expect.objectContaining({ retry: true }) });
    expect(await isDue(townId)).toBe(true);
    // not failed (any more): CONFLICT
    await expect(callerAs(member).bead.retry({ townId, beadId: bead.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("open") });
    const closed = await makeBead(db, townId, { rigId, status: "closed" });
    await expect(callerAs(member).bead.retry({ townId, beadId: closed.id })).rejects.toMatchObject({ code: "CONFLICT" });
    const convoy = await makeBead(db, townId, { type: "convoy", status: "failed" });
    await expect(callerAs(member).bead.retry({ townId, beadId: convoy.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("retry of a failed MR bumps its review retry_count, clears auto-merge state and recounts its convoy", async () => {
    const convoy = await makeBead(db, townId, { type: "convoy" });
    await db.convoyMetadata.create({ data: { beadId: convoy.id, townId, totalBeads: 1, closedBeads: 1 } });
    const task = await makeBead(db, townId, { rigId, status: "failed" });
    await db.beadDependency.create({ data: { townId, beadId: task.id, dependsOnBeadId: convoy.id, dependencyType: "tracks" } });
    const mr = await makeBead(db, townId, { rigId, type: "merge_request", status: "failed", metadata: { auto_merge_pending: true, poll_null_count: 10 } });
    await db.reviewMetadata.create({ data: { beadId: mr.id, townId, branch: "b", retryCount: 2, autoMergeReadySince: new Date() } });

    const retried = await callerAs(member).bead.retry({ townId, beadId: mr.id });
    expect(retried.status).toBe("open");
    expect(retried.metadata).toEqual({});
    expect(await db.reviewMetadata.findUniqueOrThrow({ where: { beadId: mr.id } })).toMatchObject({ retryCount: 3, autoMergeReadySince: null });

    await callerAs(member).bead.retry({ townId, beadId: task.id });
    expect(await db.convoyMetadata.findUniqueOrThrow({ where: { beadId: convoy.id } })).toMatchObject({ totalBeads: 1, closedBeads: 0 });
  });

  it("explain gives the facts (failed blocker, backoff, hooked agent) and the last tick decisions about the bead", async () => {
    const t = await makeTown(db, owner.id);
    const rig = await makeRig(db, t.id);
    const runtime = new RecordingRuntime();
    const deps = testTickDeps({ runtime });
    const caller = callerAs(viewer, deps);
    await addMembership(db, t.id, viewer.id, "viewer");
    const work = await callerAs(owner, deps).bead.sling({ townId: t.id, rigId: rig.id, title: "Dispatched" });
    await runTick(deps, t.id, { now: new Date() });
    const explained = await caller.bead.explain({ townId: t.id, beadId: work.id });
    expect(explained.found).toBe(true);
    expect(explained.hookedAgent).toMatchObject({ id: runtime.starts[0].agentId, status: "working" });
    expect(explained.backoff).toMatchObject({ attempts: 1, maxAttempts: 5 });
    expect(explained.lastDecisions.map((d) => [d.type, d.rule])).toContainEqual(["dispatch_agent", "B1"]);
    expect(explained.lastDecisions[0].tickId).toEqual(expect.any(String));

    const blocker = await makeBead(db, t.id, { rigId: rig.id, status: "failed", title: "Broken prerequisite" });
    const blocked = await makeBead(db, t.id, { rigId: rig.id, title: "Waiting" });
    await db.beadDependency.create({ data: { townId: t.id, beadId: blocked.id, dependsOnBeadId: blocker.id, dependencyType: "blocks" } });
    const why = await caller.bead.explain({ townId: t.id, beadId: blocked.id });
    expect(why.blockers.map((b) => [b.beadId, b.state])).toEqual([[blocker.id, "failed"]]);
    expect(why.facts.map((f) => f.code)).toContain("blocked");
    expect(why.lastDecisions).toEqual([]);

    // a finished bead nobody refers to still gets an answer
    const done = await makeBead(db, t.id, { rigId: rig.id, status: "closed" });
    const finished = await caller.bead.explain({ townId: t.id, beadId: done.id });
    expect(finished.facts.map((f) => f.code)).toContain("terminal");
    await expect(caller.bead.explain({ townId: t.id, beadId: "missing" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
