import { afterEach, describe, expect, it } from "vitest";
import { callerFor, testDb } from "../testing/db";
import { addMembership, makeTown, makeUser } from "../../prisma/factories";

// Member-role changes and their audit row commit together (issue 13): when the audit insert fails, the role
// stays as it was. The failure is real: a trigger makes Postgres refuse the audit row.
describe("member role changes", () => {
  afterEach(async () => {
    await testDb().$executeRawUnsafe(`DROP TRIGGER IF EXISTS audit_refuses_member_role ON audit_log`);
    await testDb().$executeRawUnsafe(`DROP FUNCTION IF EXISTS audit_refuses_member_role()`);
  });

  it("a failed audit insert rolls the role change back", async () => {
    const db = testDb();
    const owner = await makeUser(db);
    const person = await makeUser(db);
    const town = await makeTown(db, owner.id);
    await addMembership(db, town.id, person.id, "viewer");
    await db.$executeRawUnsafe(`CREATE FUNCTION audit_refuses_member_role() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = 'member.role' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$`);
    await db.$executeRawUnsafe(`CREATE TRIGGER audit_refuses_member_role BEFORE INSERT ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_refuses_member_role()`);

    await expect(callerFor(owner).town.setMemberRole({ townId: town.id, userId: person.id, role: "owner" })).rejects.toBeTruthy();

    const membership = await db.townMember.findUniqueOrThrow({ where: { townId_userId: { townId: town.id, userId: person.id } } });
    expect(membership.role).toBe("viewer");
    expect(await db.auditLog.count({ where: { townId: town.id, action: "member.role" } })).toBe(0);
  });

  it("a successful change leaves the new role and one audit row", async () => {
    const db = testDb();
    const owner = await makeUser(db);
    const person = await makeUser(db);
    const town = await makeTown(db, owner.id);
    await addMembership(db, town.id, person.id, "viewer");
    await callerFor(owner).town.setMemberRole({ townId: town.id, userId: person.id, role: "member" });
    expect((await db.townMember.findUniqueOrThrow({ where: { townId_userId: { townId: town.id, userId: person.id } } })).role).toBe("member");
    expect(await db.auditLog.findMany({ where: { townId: town.id, action: "member.role" }, select: { actorUserId: true, targetId: true, detail: true } })).toEqual([
      { actorUserId: owner.id, targetId: person.id, detail: { role: "member" } },
    ]);
  });
});
