import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, testDb, pushTickOut, isDue } from "../../testing/db";
import { addMembership, makeBead, makeTown, makeUser } from "../../../prisma/factories";

// Escalations through createCaller: open escalations by severity (most severe first), the acknowledged
// filter, acknowledge (idempotent; closes the escalation bead, audited, town due).

type User = Awaited<ReturnType<typeof makeUser>>;


describe("escalation router", () => {
  const db = testDb();
  let owner: User;
  let member: User;
  let viewer: User;
  let townId: string;

  async function escalation(severity: string, over: { status?: string; acknowledged?: boolean; createdAt?: Date } = {}) {
    const bead = await makeBead(db, townId, { type: "escalation", status: over.status ?? "open", title: `${severity} trouble`, labels: ["gt:escalation", `severity:${severity}`], createdAt: over.createdAt });
    await db.escalationMetadata.create({ data: { beadId: bead.id, townId, severity, acknowledged: over.acknowledged ?? false, acknowledgedAt: over.acknowledged ? new Date() : null } });
    return bead;
  }

  beforeAll(async () => {
    owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
  });

  it("lists open escalations most severe first with counts, and the acknowledged ones on request", async () => {
    const low = await escalation("low");
    const critical = await escalation("critical");
    const high = await escalation("high");
    const medium = await escalation("medium");
    await escalation("high", { status: "closed" }); // finished: not open
    const acked = await escalation("critical", { acknowledged: true, status: "closed" });
    const open = await callerFor(viewer).escalation.list({ townId });
    expect(open.items.map((e) => e.id)).toEqual([critical.id, high.id, medium.id, low.id]);
    expect(open.openBySeverity).toEqual({ low: 1, medium: 1, high: 1, critical: 1 });
    expect(open.openCount).toBe(4);
    const onlyHigh = await callerFor(viewer).escalation.list({ townId, severity: ["high", "critical"] });
    expect(onlyHigh.items.map((e) => e.severity)).toEqual(["critical", "high"]);
    const done = await callerFor(viewer).escalation.list({ townId, acknowledged: true });
    expect(done.items.map((e) => e.id)).toEqual([acked.id]);
    expect(done.items[0]).toMatchObject({ acknowledged: true, acknowledgedAt: expect.any(Date) });
  });

  it("acknowledge sets acknowledged/acknowledged_at and closes the bead (audited, town due); again changes nothing", async () => {
    const e = await escalation("high");
    await expect(callerFor(viewer).escalation.acknowledge({ townId, escalationId: e.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await pushTickOut(townId);
    const res = await callerFor(member).escalation.acknowledge({ townId, escalationId: e.id });
    expect(res).toMatchObject({ acknowledged: true, status: "closed", changed: true, acknowledgedAt: expect.any(Date) });
    expect(await db.beadEvent.findFirstOrThrow({ where: { beadId: e.id, eventType: "status_changed" } })).toMatchObject({ newValue: "closed", actorUserId: member.id });
    expect(await isDue(townId)).toBe(true);
    const again = await callerFor(member).escalation.acknowledge({ townId, escalationId: e.id });
    expect(again).toMatchObject({ acknowledged: true, status: "closed", changed: false });
    expect(again.acknowledgedAt).toEqual(res.acknowledgedAt);
    expect(await db.beadEvent.count({ where: { beadId: e.id } })).toBe(1);
    const issue = await makeBead(db, townId);
    await expect(callerFor(member).escalation.acknowledge({ townId, escalationId: issue.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
