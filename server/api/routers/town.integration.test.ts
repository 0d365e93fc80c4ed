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
});
