import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, testDb } from "../../testing/db";
import { addMembership, makeTown, makeUser } from "../../../prisma/factories";

// The town's notifications through createCaller: most recent first with the unread count, paged; members
// mark some or all read.

type User = Awaited<ReturnType<typeof makeUser>>;

describe("notification router", () => {
  const db = testDb();
  let member: User;
  let viewer: User;
  let townId: string;

  beforeAll(async () => {
    const owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
  });

  it("lists most recent first with the unread count; mark some or all read; members only", async () => {
    const base = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const n = await db.notification.create({ data: { townId, kind: "mayor_notice", message: `notice ${i}`, createdAt: new Date(base - (5 - i) * 1000) } });
      ids.push(n.id);
    }
    const caller = callerFor(viewer);
    const first = await caller.notification.list({ townId, limit: 3 });
    expect(first.items.map((n) => n.message)).toEqual(["notice 4", "notice 3", "notice 2"]);
    expect(first.unreadCount).toBe(5);
    const rest = await caller.notification.list({ townId, limit: 3, cursor: first.nextCursor });
    expect(rest.items.map((n) => n.message)).toEqual(["notice 1", "notice 0"]);
    expect(rest.nextCursor).toBeNull();

    await expect(caller.notification.markRead({ townId, all: true })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerFor(member).notification.markRead({ townId })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await callerFor(member).notification.markRead({ townId, ids: [ids[0], ids[1]] })).toEqual({ marked: 2, unreadCount: 3 });
    expect((await caller.notification.list({ townId, unreadOnly: true })).items).toHaveLength(3);
    expect(await callerFor(member).notification.markRead({ townId, all: true })).toEqual({ marked: 3, unreadCount: 0 });
    expect(await callerFor(member).notification.markRead({ townId, all: true })).toEqual({ marked: 0, unreadCount: 0 });
  });

  it("pages rows equal to the table's, ties on the time broken by id; an empty list still counts", async () => {
    const town = (await makeTown(db, member.id)).id;
    const empty = await callerFor(member).notification.list({ townId: town });
    expect(empty).toEqual({ items: [], unreadCount: 0, nextCursor: null });
    const at = new Date(Date.now() - 60_000);
    for (let i = 0; i < 4; i++) await db.notification.create({ data: { townId: town, kind: "escalation", message: `same time ${i}`, createdAt: at } });
    const seen = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<ReturnType<typeof callerFor>["notification"]["list"]>> = await callerFor(member).notification.list({ townId: town, limit: 3, cursor });
      expect(page.unreadCount).toBe(4);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(await db.notification.findMany({ where: { townId: town }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }));
  });

  it("notifications of another town are untouched", async () => {
    const other = await makeTown(db, member.id);
    const n = await db.notification.create({ data: { townId: other.id, kind: "mayor_notice", message: "elsewhere" } });
    expect(await callerFor(member).notification.markRead({ townId, ids: [n.id] })).toMatchObject({ marked: 0 });
    expect((await db.notification.findUniqueOrThrow({ where: { id: n.id } })).readAt).toBeNull();
  });
});
