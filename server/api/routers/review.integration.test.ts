import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../root";
import { testDb, pushTickOut, isDue } from "../../testing/db";
import { testTickDeps } from "../../testing/tick-doubles";
import { runTick } from "../../tick/run-tick";
import { addMembership, makeBead, makeRig, makeTown, makeUser } from "../../../prisma/factories";

// The review queue through createCaller: MRs with PR, source, feedback beads and the auto-merge countdown
// (ready since + the rig's effective delay); hold / release / merge now / retry / fail, each a
// compare-and-set write with a bead_events row naming the person, making the town due.

type User = Awaited<ReturnType<typeof makeUser>>;
const callerAs = (user: User) => createCaller({ db: testDb(), user: { id: user.id, email: user.email, name: user.name }, tickDeps: testTickDeps() });


describe("review router", () => {
  const db = testDb();
  let owner: User;
  let member: User;
  let viewer: User;
  let townId: string;
  let rigId: string;
  let gitUrl: string;

  async function makeMr(over: { status?: string; prUrl?: string | null; readySince?: Date | null; metadata?: object; labels?: string[] } = {}) {
    const source = await makeBead(db, townId, { rigId, status: "in_review", title: "Source work" });
    const mr = await makeBead(db, townId, {
      rigId,
      type: "merge_request",
      status: over.status ?? "in_progress",
      title: "Review: gt/source",
      labels: over.labels ?? ["gt:merge-request"],
      metadata: over.metadata ?? { source_bead_id: source.id, auto_merge_pending: true },
    });
    await db.reviewMetadata.create({
      data: {
        beadId: mr.id,
        townId,
        branch: "gt/source",
        prUrl: over.prUrl === undefined ? `${gitUrl}/pull/7` : over.prUrl,
        autoMergeReadySince: over.readySince === undefined ? new Date("2026-01-01T10:00:00Z") : over.readySince,
        lastFeedbackCheckAt: new Date("2026-01-01T09:59:00Z"),
      },
    });
    await db.beadDependency.create({ data: { townId, beadId: mr.id, dependsOnBeadId: source.id, dependencyType: "tracks" } });
    return { mr, source };
  }

  beforeAll(async () => {
    owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
    await db.townSettings.update({ where: { townId }, data: { config: { refinery: { auto_merge_delay_minutes: 60 } } } });
    const rig = await makeRig(db, townId, { config: { auto_merge_delay_minutes: 15 } });
    rigId = rig.id;
    gitUrl = rig.gitUrl;
  });

  it("lists MRs with PR, source, blocking feedback beads, last feedback check and the countdown from the rig's effective delay", async () => {
    const { mr, source } = await makeMr();
    const feedback = await makeBead(db, townId, { rigId, labels: ["gt:pr-feedback"], title: "Address review comments" });
    await db.beadDependency.create({ data: { townId, beadId: mr.id, dependsOnBeadId: feedback.id, dependencyType: "blocks" } });
    const list = await callerAs(viewer).review.list({ townId });
    const item = list.items.find((i) => i.id === mr.id)!;
    expect(item).toMatchObject({
      status: "in_progress",
      prUrl: `${gitUrl}/pull/7`,
      held: false,
      source: { id: source.id, title: "Source work" },
      feedbackBeads: [{ id: feedback.id, kind: "pr_feedback", blocking: true }],
      lastFeedbackCheckAt: new Date("2026-01-01T09:59:00Z"),
      autoMerge: { enabled: true, delayMinutes: 15, pending: true, readySince: new Date("2026-01-01T10:00:00Z"), mergesAt: new Date("2026-01-01T10:15:00Z") },
    });
    expect(list.counts.in_progress).toBeGreaterThanOrEqual(1);
    const failedOnly = await callerAs(viewer).review.list({ townId, status: ["failed"] });
    expect(failedOnly.items.find((i) => i.id === mr.id)).toBeUndefined();
  });

  it("pages oldest first by cursor, counts every state, and filters by rig", async () => {
    await makeMr({ status: "open" });
    await makeMr({ status: "failed", metadata: { failureReason: "ci", failureMessage: "red" } });
    const otherRig = await makeRig(db, townId, { name: "other" });
    const elsewhere = await makeBead(db, townId, { rigId: otherRig.id, type: "merge_request", status: "open", title: "Elsewhere" });
    const all = await callerAs(viewer).review.list({ townId, status: ["open", "in_progress", "closed", "failed"], limit: 200 });
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<ReturnType<typeof callerAs>["review"]["list"]>> = await callerAs(viewer).review.list({
        townId,
        status: ["open", "in_progress", "closed", "failed"],
        limit: 2,
        cursor,
      });
      paged.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.items.map((i) => i.id));
    const inDb = await db.bead.groupBy({ by: ["status"], where: { townId, type: "merge_request" }, _count: { _all: true } });
    expect(all.counts).toEqual({ open: 0, in_progress: 0, closed: 0, failed: 0, ...Object.fromEntries(inDb.map((g) => [g.status, g._count._all])) });
    expect(all.items.find((i) => i.status === "failed")).toMatchObject({ failure: { reason: "ci", message: "red" } });
    const only = await callerAs(viewer).review.list({ townId, rigId: otherRig.id, status: ["open"] });
    expect(only.items.map((i) => [i.id, i.rigName, i.prUrl, i.source, i.autoMerge.enabled])).toEqual([[elsewhere.id, "other", null, null, true]]);
    expect(only.counts).toEqual({ open: 1, in_progress: 0, closed: 0, failed: 0 });
  });

  it("hold labels gt:held and clears auto_merge_pending and ready_since (audited, town due); a viewer cannot; a finished MR is a CONFLICT", async () => {
    const { mr } = await makeMr();
    await expect(callerAs(viewer).review.hold({ townId, mrId: mr.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await pushTickOut(townId);
    const held = await callerAs(member).review.hold({ townId, mrId: mr.id });
    expect(held).toMatchObject({ held: true, labels: ["gt:merge-request", "gt:held"], autoMerge: { pending: false, readySince: null, mergesAt: null } });
    const row = await db.bead.findUniqueOrThrow({ where: { id: mr.id } });
    expect(row.metadata).not.toHaveProperty("auto_merge_pending");
    expect((await db.reviewMetadata.findUniqueOrThrow({ where: { beadId: mr.id } })).autoMergeReadySince).toBeNull();
    expect(await db.beadEvent.findFirst({ where: { beadId: mr.id, eventType: "fields_updated" } })).toMatchObject({
      actorUserId: member.id,
      metadata: expect.objectContaining({ action: "hold" }),
    });
    expect(await isDue(townId)).toBe(true);
    // holding again changes nothing
    await callerAs(member).review.hold({ townId, mrId: mr.id });
    expect(await db.beadEvent.count({ where: { beadId: mr.id, eventType: "fields_updated" } })).toBe(1);

    const { mr: closed } = await makeMr({ status: "closed" });
    await expect(callerAs(member).review.hold({ townId, mrId: closed.id })).rejects.toMatchObject({ code: "CONFLICT" });
    const issue = await makeBead(db, townId, { rigId });
    await expect(callerAs(member).review.hold({ townId, mrId: issue.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("merge now refuses a held MR and one without a PR with a clear message; otherwise enqueues pr_auto_merge which the tick applies", async () => {
    const { mr } = await makeMr({ metadata: {}, readySince: null, labels: ["gt:merge-request", "gt:held"] });
    const caller = callerAs(member);
    await expect(caller.review.mergeNow({ townId, mrId: mr.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("release the hold") });
    const released = await caller.review.release({ townId, mrId: mr.id });
    expect(released.held).toBe(false);
    expect(await db.beadEvent.findFirst({ where: { beadId: mr.id, metadata: { path: ["action"], equals: "release" } } })).toMatchObject({ actorUserId: member.id });

    const { mr: noPr } = await makeMr({ prUrl: null });
    await expect(caller.review.mergeNow({ townId, mrId: noPr.id })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("no pull request") });

    await pushTickOut(townId);
    const res = await caller.review.mergeNow({ townId, mrId: mr.id });
    expect(res.queued).toBe(true);
    const event = await db.townEvent.findUniqueOrThrow({ where: { id: res.eventId } });
    expect(event).toMatchObject({ eventType: "pr_auto_merge", beadId: mr.id, payload: { mr_bead_id: mr.id, pr_url: `${gitUrl}/pull/7` } });
    expect(await db.beadEvent.count({ where: { beadId: mr.id, eventType: "merge_requested", actorUserId: member.id } })).toBe(1);
    expect(await isDue(townId)).toBe(true);
    await runTick(testTickDeps(), townId, { now: new Date() });
    expect((await db.townEvent.findUniqueOrThrow({ where: { id: res.eventId } })).processedAt).not.toBeNull();
    expect((await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).metadata).toMatchObject({ auto_merge_pending: true });
  });

  it("retry reopens a failed MR with retry_count + 1; anything not failed is a CONFLICT and a non-MR is refused", async () => {
    const { mr } = await makeMr({ status: "failed", metadata: { failureReason: "pr_poll_failed", auto_merge_pending: true } });
    await pushTickOut(townId);
    const retried = await callerAs(member).review.retry({ townId, mrId: mr.id });
    expect(retried).toMatchObject({ status: "open", retryCount: 1, autoMerge: { pending: false, readySince: null }, failure: null });
    expect(await db.beadEvent.findFirstOrThrow({ where: { beadId: mr.id, eventType: "status_changed" } })).toMatchObject({
      oldValue: "failed",
      newValue: "open",
      actorUserId: member.id,
      metadata: expect.objectContaining({ retry: true, review_retry_count: 1 }),
    });
    expect(await isDue(townId)).toBe(true);
    await expect(callerAs(member).review.retry({ townId, mrId: mr.id })).rejects.toMatchObject({ code: "CONFLICT" });
    const issue = await makeBead(db, townId, { rigId, status: "failed" });
    await expect(callerAs(member).review.retry({ townId, mrId: issue.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("fail records the reason on the MR (audited) and only the MR changes; a reason is required; a finished MR is a CONFLICT", async () => {
    const { mr, source } = await makeMr();
    await expect(callerAs(member).review.fail({ townId, mrId: mr.id, reason: " " })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await pushTickOut(townId);
    const failed = await callerAs(member).review.fail({ townId, mrId: mr.id, reason: "wrong approach" });
    expect(failed).toMatchObject({ status: "failed", failure: { reason: "failed_by_user", message: "wrong approach" }, autoMerge: { pending: false } });
    expect(await db.beadEvent.findFirstOrThrow({ where: { beadId: mr.id, eventType: "status_changed" } })).toMatchObject({
      newValue: "failed",
      actorUserId: member.id,
      metadata: expect.objectContaining({ reason: "wrong approach" }),
    });
    expect((await db.bead.findUniqueOrThrow({ where: { id: source.id } })).status).toBe("in_review"); // B4's job
    expect(await isDue(townId)).toBe(true);
    await expect(callerAs(member).review.fail({ townId, mrId: mr.id, reason: "again" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
