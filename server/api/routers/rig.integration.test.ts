import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, testDb } from "../../testing/db";
import { addMembership, makeBead, makeUser } from "../../../prisma/factories";

describe("rig router", () => {
  let caller: ReturnType<typeof callerFor>;
  let townId: string;
  beforeAll(async () => {
    caller = callerFor(await makeUser(testDb()));
    townId = (await caller.town.create({ name: "rigs" })).id;
  });

  it.each([
    "https://github.com/acme/widgets",
    "https://github.com/acme/widgets.git",
    "https://github.com/acme-co/my_repo.v2",
  ])("accepts %s", async (gitUrl) => {
    const rig = await caller.rig.create({ townId, name: `r${Math.random().toString(36).slice(2, 8)}`, gitUrl });
    expect(rig.gitUrl).toBe(gitUrl);
    expect(rig.defaultBranch).toBe("main");
  });

  it.each([
    "http://github.com/acme/widgets",
    "https://gitlab.com/acme/widgets",
    "https://github.com/acme",
    "https://github.com/acme/widgets/tree/main",
    "git@github.com:acme/widgets.git",
    "https://github.com/acme/widgets?x=1",
    "not a url",
  ])("refuses %s with a 4xx that says what a rig URL looks like", async (gitUrl) => {
    await expect(caller.rig.create({ townId, name: "bad", gitUrl })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("https://github.com/<owner>/<repo>"),
    });
  });

  it("lists rigs oldest first with their agents and active issues/MRs counted, and nothing of other rigs or towns", async () => {
    const own = callerFor(await makeUser(testDb()));
    const t = (await own.town.create({ name: "counted" })).id;
    const a = await own.rig.create({ townId: t, name: "a", gitUrl: "https://github.com/acme/a" });
    const b = await own.rig.create({ townId: t, name: "b", gitUrl: "https://github.com/acme/b" });
    const db = testDb();
    for (const [type, status] of [["agent", "idle"], ["agent", "working"], ["issue", "open"], ["issue", "in_progress"], ["merge_request", "in_review"], ["issue", "closed"], ["issue", "failed"], ["convoy", "open"]]) {
      await makeBead(db, t, { type, status, rigId: a.id });
    }
    await makeBead(db, t, { type: "issue", status: "open", rigId: null }); // no rig: counted nowhere
    await makeBead(db, townId, { type: "agent", status: "idle", rigId: null }); // another town
    const rigs = await own.rig.list({ townId: t });
    expect(rigs.map((r) => [r.name, r.agentCount, r.activeBeadCount])).toEqual([
      ["a", 2, 3],
      ["b", 0, 0],
    ]);
    expect(rigs[1]).toMatchObject({ id: b.id, townId: t, gitUrl: "https://github.com/acme/b", defaultBranch: "main", config: {} });
    expect(rigs[1].createdAt).toBeInstanceOf(Date);
  });

  it("refuses a duplicate rig name in the same town", async () => {
    await caller.rig.create({ townId, name: "dup", gitUrl: "https://github.com/acme/dup" });
    await expect(caller.rig.create({ townId, name: "dup", gitUrl: "https://github.com/acme/dup2" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("updates overrides partially; null returns a key to inheriting", async () => {
    const rig = await caller.rig.create({ townId, name: "cfg", gitUrl: "https://github.com/acme/cfg" });
    await caller.rig.updateOverrides({ townId, rigId: rig.id, overrides: { code_review: false, merge_strategy: "pr" } });
    let updated = await caller.rig.updateOverrides({ townId, rigId: rig.id, overrides: { auto_merge_delay_minutes: 15 } });
    expect(updated.config).toEqual({ code_review: false, merge_strategy: "pr", auto_merge_delay_minutes: 15 });
    updated = await caller.rig.updateOverrides({ townId, rigId: rig.id, overrides: { code_review: null } });
    expect(updated.config).toEqual({ merge_strategy: "pr", auto_merge_delay_minutes: 15 });
    await expect(
      caller.rig.updateOverrides({ townId, rigId: rig.id, overrides: { merge_strategy: "yolo" } as never }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      caller.rig.updateOverrides({ townId, rigId: rig.id, overrides: { not_a_setting: true } as never }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("deleting a rig deletes its beads", async () => {
    const rig = await caller.rig.create({ townId, name: "gone", gitUrl: "https://github.com/acme/gone" });
    await caller.bead.create({ townId, rigId: rig.id, title: "will go" });
    await caller.rig.delete({ townId, rigId: rig.id });
    expect(await testDb().bead.count({ where: { rigId: rig.id } })).toBe(0);
    await expect(caller.rig.get({ townId, rigId: rig.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("deleting a rig is owner-only: a member gets FORBIDDEN and the rig and its beads stay", async () => {
    const db = testDb();
    const member = await makeUser(db);
    await addMembership(db, townId, member.id, "member");
    const rig = await caller.rig.create({ townId, name: "kept", gitUrl: "https://github.com/acme/kept" });
    await caller.bead.create({ townId, rigId: rig.id, title: "stays" });
    await expect(callerFor(member).rig.delete({ townId, rigId: rig.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await db.bead.count({ where: { rigId: rig.id } })).toBe(1);
    await caller.rig.delete({ townId, rigId: rig.id });
    expect(await db.rig.count({ where: { id: rig.id } })).toBe(0);
  });

  describe("with GASTOWN_ALLOWED_REPOS", () => {
    const saved = process.env.GASTOWN_ALLOWED_REPOS;
    beforeAll(() => {
      process.env.GASTOWN_ALLOWED_REPOS = "acme/*,other/one";
    });
    afterAll(() => {
      if (saved === undefined) delete process.env.GASTOWN_ALLOWED_REPOS;
      else process.env.GASTOWN_ALLOWED_REPOS = saved;
    });

    it("accepts a repository on the list (owner/* or owner/repo, any case)", async () => {
      await expect(caller.rig.create({ townId, name: "ok1", gitUrl: "https://github.com/acme/anything.git" })).resolves.toMatchObject({ name: "ok1" });
      await expect(caller.rig.create({ townId, name: "ok2", gitUrl: "https://github.com/Other/One" })).resolves.toMatchObject({ name: "ok2" });
    });

    it("refuses any other repository with a BAD_REQUEST that names it and the setting", async () => {
      await expect(caller.rig.create({ townId, name: "no", gitUrl: "https://github.com/other/two" })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/other\/two is not in this server's allowed repositories \(GASTOWN_ALLOWED_REPOS\)/),
      });
      expect(await testDb().rig.count({ where: { townId, name: "no" } })).toBe(0);
    });
  });
});
