import { beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../root";
import { testDb, pushTickOut, isDue } from "../../testing/db";
import { testTickDeps, unreachableGitHub } from "../../testing/tick-doubles";
import type { GitHub } from "../../adapters/github/types";
import { addMembership, makeBead, makeRig, makeTown, makeUser } from "../../../prisma/factories";

// Convoys through createCaller: create with tasks and dependencies (the shared DAG validator: a cycle is a
// clear 400, nothing written), progress (tracked issues, closed + failed over total), start, force-close via
// bead_cancelled events, add and remove beads.

type User = Awaited<ReturnType<typeof makeUser>>;


describe("convoy router", () => {
  const db = testDb();
  let owner: User;
  let member: User;
  let viewer: User;
  let townId: string;
  let rigId: string;
  const branches: { repoUrl: string; branch: string; fromBranch?: string }[] = [];
  const github = { ...unreachableGitHub, createBranch: async (i: { repoUrl: string; branch: string; fromBranch?: string }) => (branches.push(i), { ok: true, created: true }) } as unknown as GitHub;
  const callerAs = (user: User) => createCaller({ db, user: { id: user.id, email: user.email, name: user.name }, tickDeps: testTickDeps({ github }) });

  beforeAll(async () => {
    owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
    await db.townSettings.update({ where: { townId }, data: { config: { staged_convoys_default: true } } });
    rigId = (await makeRig(db, townId, { config: { convoy_merge_mode: "review-and-merge" } })).id;
  });

  it("creates the convoy, its tasks (tracks) and their blocks edges in one go, with bead_created events; defaults from the rig and town", async () => {
    await pushTickOut(townId);
    const convoy = await callerAs(member).convoy.create({
      townId,
      rigId,
      title: "Ship the login flow",
      tasks: [{ title: "API" }, { title: "UI", dependsOn: [0] }, { title: "Docs", body: "write them", dependsOn: [0, 1] }],
    });
    expect(convoy).toMatchObject({
      title: "Ship the login flow",
      status: "open",
      staged: true,
      mergeMode: "review-and-merge",
      progress: { done: 0, total: 3, percent: 0 },
      featureBranchOnGitHub: "created",
    });
    expect(convoy.featureBranch).toMatch(new RegExp(`^convoy/ship-the-login-flow/${convoy.id.slice(0, 8)}/head$`));
    expect(branches.at(-1)).toMatchObject({ branch: convoy.featureBranch, fromBranch: "main" });
    const [api, ui, docs] = convoy.beads;
    expect(convoy.beads.map((b) => b.title)).toEqual(["API", "UI", "Docs"]);
    expect(api.blockedBy).toEqual([]);
    expect(ui.blockedBy).toEqual([api.id]);
    expect([...docs.blockedBy].sort()).toEqual([api.id, ui.id].sort());
    const task = await db.bead.findUniqueOrThrow({ where: { id: docs.id } });
    expect(task).toMatchObject({ rigId, body: "write them", createdBy: member.id, metadata: expect.objectContaining({ convoy_id: convoy.id }) });
    const events = await db.townEvent.findMany({ where: { townId, eventType: "bead_created", beadId: { in: [convoy.id, api.id, ui.id, docs.id] } } });
    expect(events).toHaveLength(4);
    expect(events.find((e) => e.beadId === ui.id)!.payload).toMatchObject({ convoy_id: convoy.id, has_blockers: true });
    expect(await db.beadEvent.count({ where: { beadId: convoy.id, eventType: "created", actorUserId: member.id } })).toBe(1);
    expect(await isDue(townId)).toBe(true);

    const explicit = await callerAs(member).convoy.create({ townId, rigId, title: "x", tasks: [{ title: "one" }], mergeMode: "review-then-land", staged: false });
    expect(explicit).toMatchObject({ staged: false, mergeMode: "review-then-land" });
  });

  it("a dependency cycle or a bad index is a clear BAD_REQUEST and nothing is written; viewers cannot create", async () => {
    const before = await db.bead.count({ where: { townId } });
    const caller = callerAs(member);
    await expect(
      caller.convoy.create({ townId, rigId, title: "loop", tasks: [{ title: "a", dependsOn: [2] }, { title: "b", dependsOn: [0] }, { title: "c", dependsOn: [1] }] }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("cycle") });
    await expect(caller.convoy.create({ townId, rigId, title: "bad", tasks: [{ title: "a", dependsOn: [5] }] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("not a task index"),
    });
    await expect(caller.convoy.create({ townId, rigId, title: "self", tasks: [{ title: "a", dependsOn: [0] }] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.convoy.create({ townId, rigId, title: "empty", tasks: [] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await db.bead.count({ where: { townId } })).toBe(before);
    await expect(callerAs(viewer).convoy.create({ townId, rigId, title: "v", tasks: [{ title: "a" }] })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("progress counts tracked issues, closed + failed over total, in the list and the detail; the detail shows each bead's MRs", async () => {
    const convoy = await callerAs(member).convoy.create({ townId, rigId, title: "Progress", tasks: [{ title: "a" }, { title: "b" }, { title: "c" }] });
    const [a, b] = convoy.beads;
    await db.bead.update({ where: { id: a.id }, data: { status: "closed" } });
    await db.bead.update({ where: { id: b.id }, data: { status: "failed" } });
    const mr = await makeBead(db, townId, { rigId, type: "merge_request", status: "closed" });
    await db.reviewMetadata.create({ data: { beadId: mr.id, townId, branch: "x", prUrl: "https://github.com/a/b/pull/3" } });
    await db.beadDependency.create({ data: { townId, beadId: mr.id, dependsOnBeadId: a.id, dependencyType: "tracks" } });

    const list = await callerAs(viewer).convoy.list({ townId });
    expect(list.items.find((c) => c.id === convoy.id)!.progress).toEqual({ done: 2, total: 3, percent: 67 });
    const detail = await callerAs(viewer).convoy.get({ townId, convoyId: convoy.id });
    expect(detail.progress).toEqual({ done: 2, total: 3, percent: 67 });
    expect(detail.beads.find((x) => x.id === a.id)!.mergeRequests).toEqual([expect.objectContaining({ id: mr.id, status: "closed", prUrl: "https://github.com/a/b/pull/3" })]);
    await expect(callerAs(viewer).convoy.get({ townId, convoyId: a.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("start clears staged and records convoy_started (audited, town due); starting twice is a CONFLICT", async () => {
    const convoy = await callerAs(member).convoy.create({ townId, rigId, title: "Staged", tasks: [{ title: "a" }], staged: true });
    await pushTickOut(townId);
    const started = await callerAs(member).convoy.start({ townId, convoyId: convoy.id });
    expect(started.staged).toBe(false);
    expect(await db.townEvent.findFirstOrThrow({ where: { townId, eventType: "convoy_started", beadId: convoy.id } })).toMatchObject({ payload: { convoy_id: convoy.id } });
    expect(await db.beadEvent.count({ where: { beadId: convoy.id, eventType: "fields_updated", actorUserId: member.id } })).toBe(1);
    expect(await isDue(townId)).toBe(true);
    await expect(callerAs(member).convoy.start({ townId, convoyId: convoy.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("close cancels every unfinished tracked bead through bead_cancelled {closed}, then closes the convoy (closed_beads := total, landed_at)", async () => {
    const convoy = await callerAs(member).convoy.create({ townId, rigId, title: "Abandon", tasks: [{ title: "a" }, { title: "b" }, { title: "c" }] });
    const [a, b, c] = convoy.beads;
    await db.bead.update({ where: { id: a.id }, data: { status: "closed" } });
    await db.bead.update({ where: { id: b.id }, data: { status: "in_progress" } });
    const landing = await makeBead(db, townId, { rigId, type: "merge_request", status: "open" });
    await db.beadDependency.create({ data: { townId, beadId: landing.id, dependsOnBeadId: convoy.id, dependencyType: "tracks" } });
    await pushTickOut(townId);
    const closed = await callerAs(member).convoy.close({ townId, convoyId: convoy.id });
    expect(closed.status).toBe("closed");
    expect([...closed.cancelledBeadIds].sort()).toEqual([b.id, c.id, landing.id].sort());
    const cancels = await db.townEvent.findMany({ where: { townId, eventType: "bead_cancelled", beadId: { in: [a.id, b.id, c.id, landing.id] } } });
    expect(Object.fromEntries(cancels.map((e) => [e.beadId, (e.payload as { cancel_status: string }).cancel_status]))).toEqual({
      [b.id]: "closed",
      [c.id]: "closed",
      [landing.id]: "failed",
    });
    expect((await db.bead.findUniqueOrThrow({ where: { id: b.id } })).status).toBe("closed");
    expect((await db.bead.findUniqueOrThrow({ where: { id: landing.id } })).status).toBe("failed");
    const meta = await db.convoyMetadata.findUniqueOrThrow({ where: { beadId: convoy.id } });
    expect(meta.closedBeads).toBe(meta.totalBeads);
    expect(meta.landedAt).not.toBeNull();
    expect(await isDue(townId)).toBe(true);
    await expect(callerAs(member).convoy.close({ townId, convoyId: convoy.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(callerAs(member).convoy.start({ townId, convoyId: convoy.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("add and remove a bead: tracks edge, convoy metadata and progress follow; a new dependency may not close a cycle", async () => {
    const convoy = await callerAs(member).convoy.create({ townId, rigId, title: "Growing", tasks: [{ title: "a" }] });
    const [a] = convoy.beads;
    const extra = await makeBead(db, townId, { rigId, title: "extra" });
    await pushTickOut(townId);
    const grown = await callerAs(member).convoy.addBead({ townId, convoyId: convoy.id, beadId: extra.id, dependsOn: [a.id] });
    expect(grown.progress.total).toBe(2);
    expect(grown.beads.find((b) => b.id === extra.id)!.blockedBy).toEqual([a.id]);
    expect((await db.bead.findUniqueOrThrow({ where: { id: extra.id } })).metadata).toMatchObject({ convoy_id: convoy.id, feature_branch: convoy.featureBranch });
    expect((await db.convoyMetadata.findUniqueOrThrow({ where: { beadId: convoy.id } })).totalBeads).toBe(2);
    expect(await isDue(townId)).toBe(true);
    await expect(callerAs(member).convoy.addBead({ townId, convoyId: convoy.id, beadId: extra.id })).rejects.toMatchObject({ code: "CONFLICT" });

    // `a` already waits on `outsider`; letting `outsider` join behind `a` would be a cycle
    const outsider = await makeBead(db, townId, { rigId, title: "outsider" });
    await db.beadDependency.create({ data: { townId, beadId: a.id, dependsOnBeadId: outsider.id, dependencyType: "blocks" } });
    await expect(callerAs(member).convoy.addBead({ townId, convoyId: convoy.id, beadId: outsider.id, dependsOn: [a.id] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("cycle"),
    });
    const stranger = await makeBead(db, townId, { rigId });
    await expect(callerAs(member).convoy.addBead({ townId, convoyId: convoy.id, beadId: stranger.id, dependsOn: [outsider.id] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const mr = await makeBead(db, townId, { rigId, type: "merge_request" });
    await expect(callerAs(member).convoy.addBead({ townId, convoyId: convoy.id, beadId: mr.id })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    const shrunk = await callerAs(member).convoy.removeBead({ townId, convoyId: convoy.id, beadId: extra.id });
    expect(shrunk.beads.map((b) => b.id)).toEqual([a.id]);
    expect(shrunk.progress.total).toBe(1);
    expect((await db.bead.findUniqueOrThrow({ where: { id: extra.id } })).metadata).not.toHaveProperty("convoy_id");
    expect(await db.beadEvent.count({ where: { beadId: extra.id, actorUserId: member.id, eventType: "fields_updated" } })).toBe(2);
    await expect(callerAs(member).convoy.removeBead({ townId, convoyId: convoy.id, beadId: extra.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
