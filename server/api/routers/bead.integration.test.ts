import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, testDb } from "../../testing/db";
import { makeBeads, makeRig, makeUser } from "../../../prisma/factories";

describe("bead router", () => {
  let caller: ReturnType<typeof callerFor>;
  let townId: string;
  let rigId: string;
  beforeAll(async () => {
    caller = callerFor(await makeUser(testDb()));
    townId = (await caller.town.create({ name: "beads" })).id;
    rigId = (await caller.rig.create({ townId, name: "app", gitUrl: "https://github.com/acme/app" })).id;
  });

  it("creates a bead, records bead_created for the reconciler, and makes the town due", async () => {
    const db = testDb();
    await db.town.update({ where: { id: townId }, data: { nextTickAt: new Date(Date.now() + 3_600_000) } });
    const bead = await caller.bead.create({ townId, rigId, title: "Fix the login page", labels: ["ui"], priority: "high" });
    expect(bead).toMatchObject({ type: "issue", status: "open", rigId, priority: "high", labels: ["ui"] });
    const events = await db.townEvent.findMany({ where: { townId, beadId: bead.id } });
    expect(events.map((e) => e.eventType)).toEqual(["bead_created"]);
    const town = await db.town.findUniqueOrThrow({ where: { id: townId } });
    expect(town.nextTickAt.getTime()).toBeLessThanOrEqual(Date.now());
    const detail = await caller.bead.get({ townId, beadId: bead.id });
    expect(detail.timeline.map((e) => e.eventType)).toEqual(["created"]);
    expect(detail.rig?.name).toBe("app");
  });

  it("refuses a bead for a rig of another town", async () => {
    const other = await caller.town.create({ name: "other" });
    const otherRig = await makeRig(testDb(), other.id);
    await expect(caller.bead.create({ townId, rigId: otherRig.id, title: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("filters by status, type, rig and label (jsonb containment)", async () => {
    const db = testDb();
    const t = await caller.town.create({ name: "filters" });
    const r1 = await makeRig(db, t.id);
    const r2 = await makeRig(db, t.id);
    await makeBeads(db, t.id, 12, (i) => ({
      rigId: i % 2 ? r1.id : r2.id,
      status: ["open", "in_progress", "closed"][i % 3],
      type: i === 0 ? "merge_request" : "issue",
      labels: i % 4 === 0 ? ["gt:held", "x"] : ["y"],
    }));
    const ids = async (f: object) => (await caller.bead.list({ townId: t.id, limit: 200, ...f })).items.length;
    expect(await ids({})).toBe(12);
    expect(await ids({ status: ["open"] })).toBe(4);
    expect(await ids({ rigId: r1.id })).toBe(6);
    expect(await ids({ label: "gt:held" })).toBe(3);
    expect(await ids({ type: ["merge_request"] })).toBe(1);
    expect(await ids({ label: "gt:held", status: ["open"] })).toBe(1);
    // agents are beads too, but the default list shows work only: the mayor is not listed
    expect(await ids({ type: ["agent"] })).toBe(1);
    // search is a case-insensitive substring, with LIKE wildcards taken literally
    await makeBeads(db, t.id, 2, (i) => ({ rigId: r1.id, title: i === 0 ? "Fix 100%_done Flag" : "fix 100xxdone flag" }));
    expect(await ids({ search: "100%_DONE" })).toBe(1);
    expect(await ids({ search: "flag" })).toBe(2);
    const none = await caller.bead.page({ townId: t.id, search: "zzz-nothing" });
    expect(none).toMatchObject({ items: [], nextCursor: null, counts: { open: 0, in_progress: 0, closed: 0 } });
    // the page's counts ignore the status filter (they say what each status would show); its items do not
    const page = await caller.bead.page({ townId: t.id, label: "y", status: ["open"], limit: 2 });
    expect(page.counts).toEqual({ open: 3, in_progress: 3, in_review: 0, closed: 3, failed: 0 });
    expect(page.items.map((b) => b.status)).toEqual(["open", "open"]);
    expect(page.items[0].createdAt).toBeInstanceOf(Date);
    const rest = await caller.bead.page({ townId: t.id, label: "y", status: ["open"], limit: 2, cursor: page.nextCursor });
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    expect(new Set([...page.items, ...rest.items].map((b) => b.id)).size).toBe(3);
  });

  it("pages 10,000 beads by cursor: every bead exactly once, in order", async () => {
    const db = testDb();
    const t = await caller.town.create({ name: "big" });
    const rig = await makeRig(db, t.id);
    // Same created_at for runs of beads, so the id tiebreak in the cursor is exercised too.
    const base = Date.now();
    await makeBeads(db, t.id, 10_000, (i) => ({ rigId: rig.id, createdAt: new Date(base - Math.floor(i / 7) * 1000) }));
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    let prev: { createdAt: Date; id: string } | null = null;
    do {
      const page: Awaited<ReturnType<typeof caller.bead.list>> = await caller.bead.list({ townId: t.id, limit: 200, cursor });
      for (const b of page.items) {
        expect(seen.has(b.id)).toBe(false);
        seen.add(b.id);
        if (prev) {
          const ordered = b.createdAt < prev.createdAt || (b.createdAt.getTime() === prev.createdAt.getTime() && b.id < prev.id);
          expect(ordered).toBe(true);
        }
        prev = b;
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(10_000);
    expect(pages).toBe(50);
  });

  it("refuses a forged cursor with a clear 4xx", async () => {
    await expect(caller.bead.list({ townId, cursor: "garbage" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
