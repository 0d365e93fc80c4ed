import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "./root";
import { createCallerFactory, type Membership } from "./trpc";
import { MembershipMemo } from "./membership-memo";
import { callerFor, testDb } from "../testing/db";
import { addMembership, makeRig, makeTown, makeUser } from "../../prisma/factories";

// Town membership is checked before anything else for every town-scoped procedure, including ones added
// later: the list comes from the router itself, and only the procedures named here are exempt.
const NOT_TOWN_SCOPED = new Set(["health", "account.me", "town.create", "town.list"]);

// SPEC.md §3b Roles — owner: settings, secrets, members, runtime, delete (the town), dry run and replay;
// member: every other mutation; viewer: read only. Written out here from the spec, not read from the code.
const OWNER_ONLY = new Set([
  "town.delete",
  "town.addMember",
  "town.setMemberRole",
  "town.removeMember",
  "town.revokeInvite",
  "settings.updateTown",
  "settings.updateRig",
  "rig.updateOverrides",
  "rig.delete",
  "tick.dryRun",
  "tick.replay",
  "webhooks.rotateSecret",
  // notification channels hold secrets (issue 16)
  "channels.create",
  "channels.update",
  "channels.delete",
  "channels.sendTest",
]);
// Reads that are not for viewers: an agent's raw log can echo secrets it was given.
const MEMBER_READS = new Set(["agent.log"]);

type ProcDef = { _def: { type: "query" | "mutation" | "subscription" } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcDef>)
  .filter(([path]) => !NOT_TOWN_SCOPED.has(path))
  .map(([path, p]) => ({ path, type: p._def.type }));

function call(caller: ReturnType<typeof callerFor>, path: string, input: unknown): Promise<unknown> {
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (i: unknown) => Promise<unknown>;
  return fn(input);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    return e instanceof TRPCError ? e.code : `non-trpc: ${String(e)}`;
  }
}

describe("town access", () => {
  let townId: string;
  let rigId: string;
  let owner: Awaited<ReturnType<typeof makeUser>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  let viewer: Awaited<ReturnType<typeof makeUser>>;
  let member: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    const db = testDb();
    owner = await makeUser(db);
    stranger = await makeUser(db);
    viewer = await makeUser(db);
    member = await makeUser(db);
    const town = await makeTown(db, owner.id);
    townId = town.id;
    await addMembership(db, townId, viewer.id, "viewer");
    await addMembership(db, townId, member.id, "member");
    rigId = (await makeRig(db, townId)).id;
  });

  it("covers a meaningful set of procedures", () => {
    expect(procedures.length).toBeGreaterThan(10);
  });

  it("gives a non-member NOT_FOUND on every town procedure, never revealing the town", async () => {
    const caller = callerFor(stranger);
    for (const p of procedures) {
      expect(`${p.path}: ${await codeOf(call(caller, p.path, { townId }))}`).toBe(`${p.path}: NOT_FOUND`);
    }
    // An unknown town looks exactly the same.
    expect(await codeOf(call(caller, "town.get", { townId: "no-such-town" }))).toBe("NOT_FOUND");
  });

  it("asks a signed-out caller to sign in", async () => {
    const caller = callerFor(null);
    for (const p of [...procedures.map((p) => p.path), "account.me", "town.list", "town.create"]) {
      expect(`${p}: ${await codeOf(call(caller, p, { townId }))}`).toBe(`${p}: UNAUTHORIZED`);
    }
  });

  it("account.me names the signed-in person and nobody else", async () => {
    await expect(callerFor(viewer).account.me()).resolves.toEqual({ id: viewer.id, email: viewer.email, name: viewer.name });
    await expect(callerFor(owner).account.me()).resolves.toMatchObject({ id: owner.id, email: owner.email });
  });

  it("lets a viewer read but refuses every mutation with FORBIDDEN", async () => {
    const caller = callerFor(viewer);
    for (const p of procedures.filter((p) => p.type === "mutation")) {
      expect(`${p.path}: ${await codeOf(call(caller, p.path, { townId }))}`).toBe(`${p.path}: FORBIDDEN`);
    }
    await expect(caller.town.get({ townId })).resolves.toMatchObject({ id: townId, role: "viewer" });
    await expect(caller.rig.list({ townId })).resolves.toHaveLength(1);
    await expect(caller.bead.list({ townId })).resolves.toMatchObject({ items: [] });
    // And nothing changed behind the refusals.
    expect(await testDb().bead.count({ where: { townId, type: "issue" } })).toBe(0);
  });

  it("matrix: a member is refused exactly the owner-only procedures; the owner is refused none", async () => {
    // town.delete with a valid input really deletes: the owner's call of it runs last, on its own town.
    const forbiddenFor = async (user: { id: string; email: string; name: string }, skip: string[] = []) => {
      const caller = callerFor(user);
      const out: string[] = [];
      for (const p of procedures) {
        if (skip.includes(p.path)) continue;
        if ((await codeOf(call(caller, p.path, { townId }))) === "FORBIDDEN") out.push(p.path);
      }
      return out.sort();
    };
    expect(await forbiddenFor(member)).toEqual([...OWNER_ONLY].sort());
    expect(await forbiddenFor(owner, ["town.delete"])).toEqual([]);
    const own = await makeTown(testDb(), owner.id);
    expect(await codeOf(callerFor(owner).town.delete({ townId: own.id }))).toBe("OK");
    for (const path of OWNER_ONLY) expect(procedures.some((p) => p.path === path), `${path} exists`).toBe(true);
  });

  it("matrix: a viewer may call every query except member-only reads", async () => {
    const caller = callerFor(viewer);
    const refused: string[] = [];
    for (const p of procedures.filter((p) => p.type === "query")) {
      if ((await codeOf(call(caller, p.path, { townId }))) === "FORBIDDEN") refused.push(p.path);
    }
    expect(refused.sort()).toEqual([...MEMBER_READS].sort());
  });

  it("lets a member create beads and rigs but not change owner-only things", async () => {
    const caller = callerFor(member);
    await expect(caller.bead.create({ townId, rigId, title: "member work" })).resolves.toMatchObject({ title: "member work" });
    expect(await codeOf(caller.town.delete({ townId }))).toBe("FORBIDDEN");
    expect(await codeOf(caller.town.addMember({ townId, email: stranger.email, role: "viewer" }))).toBe("FORBIDDEN");
    expect(await codeOf(caller.rig.updateOverrides({ townId, rigId, overrides: { code_review: false } }))).toBe("FORBIDDEN");
  });

  it("lets the owner add a member by email with a role, and that person then sees the town", async () => {
    await callerFor(owner).town.addMember({ townId, email: stranger.email, role: "viewer" });
    const towns = await callerFor(stranger).town.list();
    expect(towns.map((t) => [t.id, t.role])).toEqual([[townId, "viewer"]]);
    expect(await codeOf(callerFor(stranger).bead.create({ townId, rigId, title: "x" }))).toBe("FORBIDDEN");
    await callerFor(owner).town.removeMember({ townId, userId: stranger.id });
    expect(await codeOf(callerFor(stranger).town.get({ townId }))).toBe("NOT_FOUND");
  });

  it("adding an email without an account invites it (it joins when it signs up), once", async () => {
    await expect(callerFor(owner).town.addMember({ townId, email: "Nobody@example.test", role: "member" })).resolves.toEqual({
      invited: true,
      email: "nobody@example.test",
    });
    expect(await callerFor(member).town.invites({ townId })).toEqual([expect.objectContaining({ email: "nobody@example.test", role: "member" })]);
    await expect(callerFor(owner).town.addMember({ townId, email: "nobody@example.test", role: "viewer" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("already invited"),
    });
    await callerFor(owner).town.revokeInvite({ townId, email: "nobody@example.test" });
    expect(await callerFor(owner).town.invites({ townId })).toEqual([]);
  });

  it("reads share a remembered membership; a mutation always looks again and forgets the town's answers", async () => {
    let now = 0;
    const memo = new MembershipMemo<Membership>(5_000, 100, () => now);
    const callerWithMemo = (user: { id: string; email: string; name: string }) =>
      createCallerFactory(appRouter)({ db: testDb(), user: { id: user.id, email: user.email, name: user.name }, membershipMemo: memo });
    const [town] = await Promise.all([
      callerWithMemo(member).town.get({ townId }),
      callerWithMemo(member).rig.list({ townId }),
      callerWithMemo(member).notification.list({ townId }),
    ]);
    expect(town).toMatchObject({ role: "member" });
    expect(memo.size).toBe(1);
    // A stranger is refused on every query, and that refusal is not remembered.
    expect(await codeOf(callerWithMemo(stranger).town.get({ townId }))).toBe("NOT_FOUND");
    expect(await codeOf(callerWithMemo(stranger).rig.list({ townId }))).toBe("NOT_FOUND");
    expect(memo.size).toBe(1);

    // Demoted in the database behind this process's back (another instance): a mutation looks again at once.
    await testDb().townMember.updateMany({ where: { townId, userId: member.id }, data: { role: "viewer" } });
    try {
      expect(await codeOf(callerWithMemo(member).bead.create({ townId, rigId, title: "after the demotion" }))).toBe("FORBIDDEN");
      // That mutation forgot the town, so reads see the new role too.
      expect(await callerWithMemo(member).town.get({ townId })).toMatchObject({ role: "viewer" });
    } finally {
      await testDb().townMember.updateMany({ where: { townId, userId: member.id }, data: { role: "member" } });
    }

    // Removed through this process: refused at once. Removed elsewhere: refused once the TTL has passed.
    memo.forgetTown(townId);
    await callerWithMemo(stranger).town.get({ townId }).catch(() => undefined);
    await callerWithMemo(owner).town.addMember({ townId, email: stranger.email, role: "viewer" });
    expect(await callerWithMemo(stranger).town.get({ townId })).toMatchObject({ role: "viewer" });
    await callerWithMemo(owner).town.removeMember({ townId, userId: stranger.id });
    expect(await codeOf(callerWithMemo(stranger).town.get({ townId }))).toBe("NOT_FOUND");
    await callerWithMemo(owner).town.addMember({ townId, email: stranger.email, role: "viewer" });
    expect(await callerWithMemo(stranger).town.get({ townId })).toMatchObject({ role: "viewer" });
    await testDb().townMember.deleteMany({ where: { townId, userId: stranger.id } });
    expect(await callerWithMemo(stranger).town.get({ townId })).toMatchObject({ role: "viewer" }); // within the 5 s
    now += 5_000;
    expect(await codeOf(callerWithMemo(stranger).town.get({ townId }))).toBe("NOT_FOUND");
  });

  it("rejects unknown input keys (strict inputs)", async () => {
    expect(await codeOf(callerFor(owner).town.get({ townId, extra: 1 } as never))).toBe("BAD_REQUEST");
  });
});
