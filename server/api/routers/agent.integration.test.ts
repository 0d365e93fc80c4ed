import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../root";
import { testDb, pushTickOut, isDue } from "../../testing/db";
import { RecordingRuntime, testTickDeps } from "../../testing/tick-doubles";
import type { TickDeps } from "../../tick/run-tick";
import { makeAgent } from "../../agent-api/testing";
import { addMembership, makeBead, makeRig, makeTown, makeUser } from "../../../prisma/factories";

// The agents page through createCaller: list, a bounded log tail, stop (the runtime's stop, nothing
// enqueued), reset (DOMAIN.md §8.2 gt_agent_reset) and delete (never the mayor) — audited, town made due.

type User = Awaited<ReturnType<typeof makeUser>>;

class LogRuntime extends RecordingRuntime {
  log: string | null = null;
  stopAnswer: { stopped: true } | { stopped: false; reason: string } = { stopped: true };
  override async readLog(): Promise<string> {
    return this.log as string;
  }
  override async stop(agentId: string, reason: string) {
    this.stops.push({ agentId, reason });
    return this.stopAnswer;
  }
}


describe("agent router", () => {
  const db = testDb();
  let owner: User;
  let member: User;
  let viewer: User;
  let townId: string;
  let rigId: string;
  let runtime: LogRuntime;
  let deps: TickDeps;
  const callerAs = (user: User) => createCaller({ db, user: { id: user.id, email: user.email, name: user.name }, tickDeps: deps });

  beforeAll(async () => {
    owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
    rigId = (await makeRig(db, townId)).id;
    runtime = new LogRuntime();
    deps = testTickDeps({ runtime });
  });

  it("lists agents — mayor first — with role, status, hook and its title, heartbeat, attempts, runtime and whether a log exists", async () => {
    const bead = await makeBead(db, townId, { rigId, status: "in_progress", title: "Hooked work" });
    const polecat = await makeAgent(db, townId, { rigId, name: "Toast", status: "working", hookBeadId: bead.id });
    const beat = new Date("2026-01-01T12:00:00Z");
    await db.agentMetadata.update({ where: { beadId: polecat.id }, data: { lastActivityAt: beat, dispatchAttempts: 2, logPath: "/tmp/toast.log", runtimeName: "test" } });
    const list = await callerAs(viewer).agent.list({ townId });
    expect(list[0].role).toBe("mayor");
    expect(list.find((a) => a.id === polecat.id)).toMatchObject({
      name: "Toast",
      role: "polecat",
      status: "working",
      hook: { id: bead.id, title: "Hooked work", status: "in_progress" },
      lastActivityAt: beat,
      dispatchAttempts: 2,
      runtimeName: "test",
      hasLog: true,
    });
    expect((await callerAs(viewer).agent.list({ townId, role: "mayor" })).map((a) => a.role)).toEqual(["mayor"]);
  });

  it("the log is a bounded tail (≤ 64 KiB) read from the runtime, empty when there is none; members only", async () => {
    const agent = await makeAgent(db, townId, { rigId });
    runtime.log = `${"a".repeat(70 * 1024)}THE END`;
    const full = await callerAs(member).agent.log({ townId, agentId: agent.id });
    expect(Buffer.byteLength(full.log)).toBeLessThanOrEqual(64 * 1024);
    expect(full.log.endsWith("THE END")).toBe(true);
    expect(full.truncated).toBe(true);
    const small = await callerAs(member).agent.log({ townId, agentId: agent.id, maxBytes: 10 });
    expect(small.log).toBe("aaaTHE END");
    runtime.log = null;
    expect((await callerAs(member).agent.log({ townId, agentId: agent.id })).log).toBe("");
    await expect(callerAs(member).agent.log({ townId, agentId: agent.id, maxBytes: 65 * 1024 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(callerAs(viewer).agent.log({ townId, agentId: agent.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerAs(member).agent.log({ townId, agentId: "nobody" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("stop calls the runtime's stop and enqueues nothing; audited, town due; a refusal is a BAD_GATEWAY with the reason", async () => {
    const agent = await makeAgent(db, townId, { rigId, status: "working" });
    const eventsBefore = await db.townEvent.count({ where: { townId } });
    await pushTickOut(townId);
    runtime.stops = [];
    expect(await callerAs(member).agent.stop({ townId, agentId: agent.id })).toEqual({ agentId: agent.id, stopped: true });
    expect(runtime.stops).toEqual([{ agentId: agent.id, reason: "stopped by a person" }]);
    expect(await db.townEvent.count({ where: { townId } })).toBe(eventsBefore);
    expect((await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agent.id } })).status).toBe("working");
    expect(await db.auditLog.count({ where: { townId, action: "agent.stop", targetId: agent.id, actorUserId: member.id } })).toBe(1);
    expect(await isDue(townId)).toBe(true);

    runtime.stopAnswer = { stopped: false, reason: "runtime unreachable" };
    await expect(callerAs(member).agent.stop({ townId, agentId: agent.id })).rejects.toMatchObject({ code: "BAD_GATEWAY", message: expect.stringContaining("runtime unreachable") });
    runtime.stopAnswer = { stopped: true };
    await expect(callerAs(viewer).agent.stop({ townId, agentId: agent.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("reset reopens the hooked bead with zeroed counters, unhooks (agent_reset), idles the agent with counter 0, stops its process", async () => {
    const bead = await makeBead(db, townId, { rigId, status: "in_progress", dispatchAttempts: 4 });
    const agent = await makeAgent(db, townId, { rigId, status: "working", hookBeadId: bead.id });
    await db.bead.update({ where: { id: bead.id }, data: { assigneeAgentBeadId: agent.id, lastDispatchAttemptAt: new Date() } });
    await db.agentMetadata.update({ where: { beadId: agent.id }, data: { dispatchAttempts: 3, checkpoint: { step: 2 } } });
    await pushTickOut(townId);
    runtime.stops = [];
    const res = await callerAs(member).agent.reset({ townId, agentId: agent.id });
    expect(res).toMatchObject({ unhookedFrom: bead.id, reopenedBeadId: bead.id, stopped: true });
    expect(await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).toMatchObject({
      status: "open",
      assigneeAgentBeadId: null,
      dispatchAttempts: 0,
      lastDispatchAttemptAt: null,
    });
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agent.id } })).toMatchObject({
      status: "idle",
      currentHookBeadId: null,
      dispatchAttempts: 0,
      checkpoint: null,
    });
    const timeline = await db.beadEvent.findMany({ where: { beadId: bead.id }, orderBy: { eventType: "asc" } });
    expect(timeline.map((e) => [e.eventType, e.actorUserId])).toEqual([
      ["status_changed", member.id],
      ["unhooked", member.id],
    ]);
    expect(timeline[1].metadata).toMatchObject({ reason: "agent_reset" });
    expect(runtime.stops.map((s) => s.agentId)).toEqual([agent.id]);
    expect(await db.auditLog.count({ where: { action: "agent.reset", targetId: agent.id } })).toBe(1);
    expect(await isDue(townId)).toBe(true);

    // resetting an idle, unhooked agent just zeroes it (and stops nothing)
    runtime.stops = [];
    expect(await callerAs(member).agent.reset({ townId, agentId: agent.id })).toMatchObject({ unhookedFrom: null, reopenedBeadId: null, stopped: false });
    expect(runtime.stops).toEqual([]);
  });

  it("delete refuses the mayor; otherwise stops the agent, reopens its work, deletes it and audits", async () => {
    const mayor = await db.agentMetadata.findFirstOrThrow({ where: { townId, role: "mayor" } });
    await expect(callerAs(member).agent.delete({ townId, agentId: mayor.beadId })).rejects.toMatchObject({ code: "CONFLICT" });

    const bead = await makeBead(db, townId, { rigId, status: "in_progress" });
    const reviewed = await makeBead(db, townId, { rigId, status: "in_review" });
    const agent = await makeAgent(db, townId, { rigId, status: "working", hookBeadId: bead.id });
    await db.bead.updateMany({ where: { id: { in: [bead.id, reviewed.id] } }, data: { assigneeAgentBeadId: agent.id } });
    await pushTickOut(townId);
    runtime.stops = [];
    const res = await callerAs(member).agent.delete({ townId, agentId: agent.id });
    expect(res).toMatchObject({ deleted: true, reopenedBeadIds: [bead.id], stopped: true });
    expect(runtime.stops.map((s) => s.agentId)).toEqual([agent.id]);
    expect(await db.agentMetadata.count({ where: { beadId: agent.id } })).toBe(0);
    expect(await db.bead.count({ where: { id: agent.id } })).toBe(0);
    expect(await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).toMatchObject({ status: "open", assigneeAgentBeadId: null });
    expect(await db.bead.findUniqueOrThrow({ where: { id: reviewed.id } })).toMatchObject({ status: "in_review", assigneeAgentBeadId: null });
    expect(await db.auditLog.findFirstOrThrow({ where: { action: "agent.delete", targetId: agent.id } })).toMatchObject({ actorUserId: member.id });
    expect(await isDue(townId)).toBe(true);
    await expect(callerAs(member).agent.delete({ townId, agentId: agent.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
