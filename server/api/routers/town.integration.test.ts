import { describe, expect, it } from "vitest";
import { callerFor, testDb } from "../../testing/db";
import { makeUser } from "../../../prisma/factories";

describe("town router", () => {
  it("creating a town makes the creator its owner and creates an idle, hookless mayor", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const town = await callerFor(user).town.create({ name: "Gas Town" });
    const mayors = await db.agentMetadata.findMany({ where: { townId: town.id } });
    expect(mayors).toHaveLength(1);
    expect(mayors[0]).toMatchObject({ role: "mayor", status: "idle", currentHookBeadId: null, identity: `mayor-${town.id.slice(0, 8)}` });
    const overview = await callerFor(user).town.get({ townId: town.id });
    expect(overview).toMatchObject({ name: "Gas Town", role: "owner", rigCount: 0, poisonedCount: 0 });
    const members = await callerFor(user).town.members({ townId: town.id });
    expect(members).toEqual([expect.objectContaining({ userId: user.id, role: "owner" })]);
  });

  it("refuses an empty name with a clear message", async () => {
    const user = await makeUser(testDb());
    await expect(callerFor(user).town.create({ name: "   " })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Give the town a name"),
    });
  });

  it("deleting a town removes it and everything in it", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const caller = callerFor(user);
    const town = await caller.town.create({ name: "doomed" });
    const rig = await caller.rig.create({ townId: town.id, name: "web", gitUrl: "https://github.com/acme/web" });
    await caller.bead.create({ townId: town.id, rigId: rig.id, title: "work" });
    await caller.town.delete({ townId: town.id });
    expect(await db.bead.count({ where: { townId: town.id } })).toBe(0);
    expect(await db.town.count({ where: { id: town.id } })).toBe(0);
    await expect(caller.town.get({ townId: town.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("the creator cannot be demoted or removed", async () => {
    const user = await makeUser(testDb());
    const caller = callerFor(user);
    const town = await caller.town.create({ name: "t" });
    await expect(caller.town.setMemberRole({ townId: town.id, userId: user.id, role: "viewer" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(caller.town.removeMember({ townId: town.id, userId: user.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("the overview counts by type and status, lists notifications and activity, and shows the tick state", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const caller = callerFor(user);
    const town = await caller.town.create({ name: "overview" });
    const rig = await caller.rig.create({ townId: town.id, name: "web", gitUrl: "https://github.com/acme/web" });
    const bead = await caller.bead.create({ townId: town.id, rigId: rig.id, title: "count me" });
    await db.bead.create({ data: { townId: town.id, type: "merge_request", status: "in_progress", title: "mr", rigId: rig.id } });
    await db.notification.create({ data: { townId: town.id, kind: "breaker_open", message: "breaker open" } });
    await db.townEvent.create({ data: { townId: town.id, eventType: "bead_created", payload: {}, poisonedAt: new Date(), poisonReason: "invalid_payload" } });
    await db.town.update({ where: { id: town.id }, data: { breakerOpen: true } });
    const o = await caller.town.get({ townId: town.id });
    expect(o.counts).toEqual({ issue: { open: 1 }, merge_request: { in_progress: 1 } });
    expect(o.agents).toEqual({ idle: 1 }); // the mayor
    expect(o.rigCount).toBe(1);
    expect(o.poisonedCount).toBe(1);
    expect(o.pendingEventCount).toBe(1); // the bead_created of the new bead
    expect(o.tick.breakerOpen).toBe(true);
    expect(o.notifications.map((n) => n.message)).toEqual(["breaker open"]);
    expect(o.notifications[0].createdAt).toBeInstanceOf(Date);
    expect(o.activity[0]).toMatchObject({ beadId: bead.id, eventType: "created", bead: { title: "count me", type: "issue" } });
    expect(o.activity[0].createdAt).toBeInstanceOf(Date);
    expect(o.createdAt).toBeInstanceOf(Date);
  });
});
