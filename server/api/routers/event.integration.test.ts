import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../root";
import { testDb, pushTickOut, isDue } from "../../testing/db";
import { testTickDeps } from "../../testing/tick-doubles";
import { runTick } from "../../tick/run-tick";
import { getPool } from "../../db/pool";
import { PROCESSED_COUNT_CAP } from "../../services/events";
import { addMembership, makeBead, makeRig, makeTown, makeUser } from "../../../prisma/factories";

// The event queue and the poison inbox through createCaller: lists by status with keyset pages on seq,
// counts, and the repairs (requeue, edit-and-requeue re-validated, discard with a note, bulk requeue) —
// each a compare-and-set write with an audit row that makes the town due.

type User = Awaited<ReturnType<typeof makeUser>>;
const callerAs = (user: User) => createCaller({ db: testDb(), user: { id: user.id, email: user.email, name: user.name }, tickDeps: testTickDeps() });


describe("event router", () => {
  const db = testDb();
  let owner: User;
  let member: User;
  let viewer: User;
  let stranger: User;
  let townId: string;
  let beadId: string;

  async function poisoned(eventType: string, payload: object, over: { beadId?: string | null } = {}) {
    return db.townEvent.create({
      data: {
        townId,
        eventType,
        payload,
        beadId: over.beadId ?? null,
        retryCount: 3,
        lastError: "boom",
        poisonedAt: new Date(),
        poisonReason: "max_retries",
      },
    });
  }

  beforeAll(async () => {
    owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    stranger = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
    const rig = await makeRig(db, townId);
    beadId = (await makeBead(db, townId, { rigId: rig.id })).id;
  });

  it("lists pending events in drain order with retry counts and last errors, paged by seq", async () => {
    const t = await makeTown(db, owner.id);
    for (let i = 0; i < 5; i++) {
      await db.townEvent.create({ data: { townId: t.id, eventType: "bead_created", payload: { i }, retryCount: i % 2, lastError: i % 2 ? "transient" : null } });
    }
    await db.townEvent.create({ data: { townId: t.id, eventType: "bead_created", payload: {}, processedAt: new Date() } });
    const caller = callerAs(owner);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof caller.event.list>> = await caller.event.list({ townId: t.id, status: "pending", limit: 2, cursor });
      for (const e of page.items) {
        expect(e.status).toBe("pending");
        seen.push(e.seq);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].map(BigInt).sort((a, b) => (a < b ? -1 : 1)).map(String)).toEqual(seen); // ascending
    const first = (await caller.event.list({ townId: t.id, status: "pending", limit: 50 })).items;
    expect(first.map((e) => [e.retryCount, e.lastError])).toEqual([
      [0, null],
      [1, "transient"],
      [0, null],
      [1, "transient"],
      [0, null],
    ]);
    const processed = await caller.event.list({ townId: t.id, status: "processed", limit: 50 });
    expect(processed.items).toHaveLength(1);
    expect(await caller.event.counts({ townId: t.id })).toMatchObject({ pending: 5, processed: 1, processedMore: false, poisoned: 0, discarded: 0 });
    // a busy town's processed tab stops counting at PROCESSED_COUNT_CAP and says there are more
    await getPool().query(
      `INSERT INTO town_events (town_id, event_type, payload, created_at, processed_at)
       SELECT $1, 'bead_created', '{}'::jsonb, now(), now() FROM generate_series(1, $2::int)`,
      [t.id, PROCESSED_COUNT_CAP + 5],
    );
    expect(await caller.event.counts({ townId: t.id })).toMatchObject({ pending: 5, processed: PROCESSED_COUNT_CAP, processedMore: true });
    await expect(caller.event.list({ townId: t.id, status: "pending", limit: 5, cursor: "not-a-seq" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("a viewer reads the inbox; filters by type; get shows payload, reason and error", async () => {
    const e1 = await poisoned("agent_done", { branch: 1 });
    await poisoned("pr_auto_merge", { pr_url: "x" });
    const caller = callerAs(viewer);
    const list = await caller.event.list({ townId, status: "poisoned", type: "agent_done" });
    expect(list.items.map((e) => e.id)).toContain(e1.id);
    expect(list.items.every((e) => e.eventType === "agent_done")).toBe(true);
    const got = await caller.event.get({ townId, eventId: e1.id });
    expect(got).toMatchObject({ status: "poisoned", poisonReason: "max_retries", lastError: "boom", payload: { branch: 1 } });
    const counts = await caller.event.counts({ townId });
    expect(counts.poisonedByType).toMatchObject({ agent_done: expect.any(Number), pr_auto_merge: expect.any(Number) });
    await expect(caller.event.requeue({ townId, eventId: e1.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerAs(stranger).event.get({ townId, eventId: e1.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("requeue puts a poisoned event back: retry count 0, poison marks cleared, stamped, audited, town due; twice is a CONFLICT", async () => {
    const e = await poisoned("bead_created", { bead_type: "issue" }, { beadId });
    await pushTickOut(townId);
    const after = await callerAs(member).event.requeue({ townId, eventId: e.id });
    expect(after).toMatchObject({ status: "pending", retryCount: 0, poisonedAt: null, poisonReason: null, requeuedBy: member.id, requeueCount: 1 });
    expect(after.requeuedAt).toBeInstanceOf(Date);
    expect(await isDue(townId)).toBe(true);
    const audit = await db.auditLog.findMany({ where: { townId, action: "event.requeue", targetId: e.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0].actorUserId).toBe(member.id);
    await expect(callerAs(member).event.requeue({ townId, eventId: e.id })).rejects.toMatchObject({ code: "CONFLICT" });
    // and the next tick applies it like any other pending event
    const report = await runTick(testTickDeps(), townId, { now: new Date() });
    expect(report?.eventsDrained).toBeGreaterThanOrEqual(1);
    expect((await db.townEvent.findUniqueOrThrow({ where: { id: e.id } })).processedAt).not.toBeNull();
  });

  it("edit-and-requeue re-validates the payload: invalid is a 400 with the zod message and changes nothing", async () => {
    const e = await poisoned("pr_auto_merge", { pr_url: 42 }, { beadId });
    const caller = callerAs(member);
    const err = await caller.event.editAndRequeue({ townId, eventId: e.id, payload: { pr_url: "https://github.com/a/b/pull/1" } }).catch((x) => x);
    expect(err).toMatchObject({ code: "BAD_REQUEST" });
    expect(err.message).toContain("mr_bead_id");
    const unchanged = await db.townEvent.findUniqueOrThrow({ where: { id: e.id } });
    expect(unchanged.poisonedAt).not.toBeNull();
    expect(unchanged.payload).toEqual({ pr_url: 42 });
    expect(await db.auditLog.count({ where: { targetId: e.id } })).toBe(0);

    await pushTickOut(townId);
    const fixed = await caller.event.editAndRequeue({ townId, eventId: e.id, payload: { mr_bead_id: beadId, pr_url: "https://github.com/a/b/pull/1" } });
    expect(fixed).toMatchObject({ status: "pending", retryCount: 0, payload: { mr_bead_id: beadId }, requeueCount: 1 });
    expect(await isDue(townId)).toBe(true);
    const audit = await db.auditLog.findFirstOrThrow({ where: { targetId: e.id, action: "event.edit_requeue" } });
    expect(audit.detail).toMatchObject({ old_payload: { pr_url: 42 }, new_payload: { mr_bead_id: beadId } });
    // only poisoned events are edited
    await expect(caller.event.editAndRequeue({ townId, eventId: e.id, payload: {} })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("discard needs a note, keeps the row with who/when/why, and is audited; a discarded event cannot be requeued", async () => {
    const e = await poisoned("agent_done", {});
    const caller = callerAs(member);
    await expect(caller.event.discard({ townId, eventId: e.id, note: "  " })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const d = await caller.event.discard({ townId, eventId: e.id, note: "agent was deleted" });
    expect(d).toMatchObject({ status: "discarded", discardedBy: member.id, discardNote: "agent was deleted" });
    expect(await db.townEvent.count({ where: { id: e.id } })).toBe(1);
    expect(await db.auditLog.count({ where: { targetId: e.id, action: "event.discard" } })).toBe(1);
    await expect(caller.event.requeue({ townId, eventId: e.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(caller.event.discard({ townId, eventId: e.id, note: "again" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await caller.event.list({ townId, status: "discarded" })).items.map((x) => x.id)).toContain(e.id);
  });

  it("bulk requeue brings back every poisoned event of one type and returns the count", async () => {
    const t = await makeTown(db, owner.id);
    const make = (eventType: string) =>
      db.townEvent.create({ data: { townId: t.id, eventType, payload: {}, retryCount: 3, poisonedAt: new Date(), poisonReason: "max_retries" } });
    await make("container_status");
    await make("container_status");
    await make("container_status");
    const other = await make("agent_done");
    await pushTickOut(t.id);
    const caller = callerAs(owner);
    expect(await caller.event.bulkRequeue({ townId: t.id, eventType: "container_status" })).toEqual({ requeued: 3 });
    expect(await isDue(t.id)).toBe(true);
    expect(await caller.event.counts({ townId: t.id })).toMatchObject({ pending: 3, poisoned: 1 });
    expect((await db.townEvent.findUniqueOrThrow({ where: { id: other.id } })).poisonedAt).not.toBeNull();
    const audit = await db.auditLog.findFirstOrThrow({ where: { townId: t.id, action: "event.bulk_requeue" } });
    expect(audit.detail).toMatchObject({ event_type: "container_status", count: 3 });
    expect(await caller.event.bulkRequeue({ townId: t.id, eventType: "container_status" })).toEqual({ requeued: 0 });
  });

  it("events of another town are not found", async () => {
    const other = await makeTown(db, owner.id);
    const e = await db.townEvent.create({ data: { townId: other.id, eventType: "agent_done", payload: {}, poisonedAt: new Date() } });
    await expect(callerAs(owner).event.requeue({ townId, eventId: e.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(callerAs(owner).event.get({ townId, eventId: e.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
