import { beforeAll, describe, expect, it } from "vitest";
import { callerFor, testDb, pushTickOut, isDue } from "../../testing/db";
import { addMembership, makeRig, makeTown, makeUser } from "../../../prisma/factories";

// Settings through createCaller: town config with every secret masked (the JSON of every response is
// searched for the secret strings), owner-only partial updates without phantom defaults, masked values
// that keep the stored secret, env var names and runtime names checked (400 with the reason),
// compare-and-set on the version, audit rows without secret values; rig settings with their source
// (rig / town / default), overrides set and cleared (owners only); the runtime names, never commands.

const GITHUB_TOKEN = "ghp_SuperSecretTownToken0042";
const API_KEY = "sk-live-very-secret-value-31337";
const SHORT = "p4ss";
const NEW_SECRET = "brand-new-secret-value-777";
const RUNTIME_SECRET = "runtime-shared-secret-9f8e7d";
const SECRETS = [GITHUB_TOKEN, API_KEY, SHORT, NEW_SECRET, RUNTIME_SECRET];

type User = Awaited<ReturnType<typeof makeUser>>;
const responses: unknown[] = [];
/** Every settings response is kept, so the last test can search all of them for secrets. */
async function keep<T>(p: Promise<T>): Promise<T> {
  const value = await p;
  responses.push(value);
  return value;
}
function leaked(value: unknown): string[] {
  const text = JSON.stringify(value);
  return SECRETS.filter((s) => text.includes(s));
}


describe("settings router", () => {
  const db = testDb();
  let owner: User;
  let member: User;
  let viewer: User;
  let townId: string;
  let rigId: string;

  async function storedConfig() {
    return (await db.townSettings.findUniqueOrThrow({ where: { townId } })).config as Record<string, any>;
  }

  beforeAll(async () => {
    // The operator's runtimes (read once, when the adapters are first built).
    process.env.GASTOWN_AGENT_COMMANDS = "claude=/opt/agents/run-claude --fast,test=node scripts/fake-agent.mjs";
    process.env.GASTOWN_RUNTIMES = `remote=https://runtime.example.test:8443|${RUNTIME_SECRET}`;
    owner = await makeUser(db);
    member = await makeUser(db);
    viewer = await makeUser(db);
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
    await db.townSettings.update({
      where: { townId },
      data: { config: { git_auth: { github_token: GITHUB_TOKEN }, env_vars: { API_KEY, SHORT }, max_polecats_per_rig: 3, refinery: { code_review: false } } },
    });
    rigId = (await makeRig(db, townId, { config: { merge_strategy: "pr" } })).id;
  });

  it("getTown masks the GitHub token and every env var value, for every member", async () => {
    for (const who of [viewer, member, owner]) {
      const s = await keep(callerFor(who).settings.getTown({ townId }));
      expect(s.config.git_auth.github_token).toBe("****0042");
      expect(s.config.env_vars).toEqual({ API_KEY: "****1337", SHORT: "****" });
      expect(s.secretsSet).toMatchObject({ github_token: true, env_var_names: ["API_KEY", "SHORT"] });
      expect(s.config).toMatchObject({ merge_strategy: "direct", max_polecats_per_rig: 3, refinery: { code_review: false, auto_merge: true } });
      expect(leaked(s)).toEqual([]);
    }
  });

  it("only owners update; a partial update writes only what was sent (no phantom defaults), bumps the version, audits and makes the town due", async () => {
    await expect(callerFor(member).settings.updateTown({ townId, patch: { merge_strategy: "pr" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerFor(viewer).settings.updateTown({ townId, patch: { merge_strategy: "pr" } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const before = await db.townSettings.findUniqueOrThrow({ where: { townId } });
    await pushTickOut(townId);
    const res = await keep(callerFor(owner).settings.updateTown({ townId, patch: { merge_strategy: "pr", refinery: { auto_merge_delay_minutes: 15 } }, version: before.version }));
    expect(res.version).toBe(before.version + 1);
    expect(res.config).toMatchObject({ merge_strategy: "pr", refinery: { auto_merge_delay_minutes: 15, code_review: false, auto_merge: true } });
    const stored = await storedConfig();
    expect(stored).toEqual({
      git_auth: { github_token: GITHUB_TOKEN },
      env_vars: { API_KEY, SHORT },
      max_polecats_per_rig: 3,
      merge_strategy: "pr",
      refinery: { code_review: false, auto_merge_delay_minutes: 15 },
    });
    expect(await isDue(townId)).toBe(true);
    const audit = await db.auditLog.findFirstOrThrow({ where: { townId, action: "settings.update" }, orderBy: { createdAt: "desc" } });
    expect(audit).toMatchObject({ actorUserId: owner.id, detail: { changes: { merge_strategy: "pr", "refinery.auto_merge_delay_minutes": 15 } } });
    // null clears an optional key
    await keep(callerFor(owner).settings.updateTown({ townId, patch: { max_polecats_per_rig: null } }));
    expect(await storedConfig()).not.toHaveProperty("max_polecats_per_rig");
  });

  it("masked values sent back keep the stored secrets; new secrets are stored but never returned nor audited", async () => {
    const current = await keep(callerFor(owner).settings.getTown({ townId }));
    const res = await keep(
      callerFor(owner).settings.updateTown({
        townId,
        // what a settings form echoes back, plus one new variable and one removed (SHORT is left out)
        patch: { git_auth: { github_token: current.config.git_auth.github_token }, env_vars: { API_KEY: current.config.env_vars.API_KEY, NEW_ONE: NEW_SECRET } },
      }),
    );
    const stored = await storedConfig();
    expect(stored.git_auth).toEqual({ github_token: GITHUB_TOKEN });
    expect(stored.env_vars).toEqual({ API_KEY, NEW_ONE: NEW_SECRET });
    expect(res.config.env_vars).toEqual({ API_KEY: "****1337", NEW_ONE: "****-777" });
    const audits = await db.auditLog.findMany({ where: { townId, action: "settings.update" }, orderBy: { createdAt: "asc" } });
    for (const a of audits) expect(leaked(a.detail)).toEqual([]);
    expect(audits.at(-1)!.detail).toMatchObject({ secrets_changed: expect.arrayContaining(["env_vars.NEW_ONE", "env_vars.SHORT (removed)"]) });
    // a masked value where nothing is stored is not a value
    await expect(callerFor(owner).settings.updateTown({ townId, patch: { env_vars: { API_KEY: "****1337", OTHER: "****" } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("OTHER"),
    });
    // replacing the token works, and clearing it too
    await keep(callerFor(owner).settings.updateTown({ townId, patch: { git_auth: { github_token: null } } }));
    expect((await storedConfig()).git_auth).toEqual({});
    await keep(callerFor(owner).settings.updateTown({ townId, patch: { git_auth: { github_token: GITHUB_TOKEN } } }));
    expect((await storedConfig()).git_auth).toEqual({ github_token: GITHUB_TOKEN });
  });

  it("refuses env var names that change how the agent runs, with the reason, and changes nothing", async () => {
    const before = await db.townSettings.findUniqueOrThrow({ where: { townId } });
    for (const [key, why] of [
      ["NODE_OPTIONS", "NODE_OPTIONS"],
      ["LD_PRELOAD", "dynamic loader"],
      ["GASTOWN_AGENT_TOKEN", "GASTOWN_"],
      ["1BAD", "letters, digits"],
    ]) {
      await expect(callerFor(owner).settings.updateTown({ townId, patch: { env_vars: { API_KEY: "****1337", [key]: "x" } } })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining(why),
      });
    }
    const after = await db.townSettings.findUniqueOrThrow({ where: { townId } });
    expect(after.version).toBe(before.version);
    expect(after.config).toEqual(before.config);
  });

  it("the agent runtime must be one of the operator's names; empty clears it", async () => {
    const ok = await keep(callerFor(owner).settings.updateTown({ townId, patch: { agent_runtime: "remote" } }));
    expect(ok.config.agent_runtime).toBe("remote");
    await expect(callerFor(owner).settings.updateTown({ townId, patch: { agent_runtime: "/bin/sh" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("claude, test, remote"),
    });
    const options = await keep(callerFor(viewer).settings.runtimeOptions({ townId }));
    expect(options).toEqual({
      options: [
        // programs by their file name only, and whether this server has them; never paths or arguments
        { name: "claude", kind: "local", agent: null, roles: ["mayor", "polecat", "refinery"], binaries: [{ name: "run-claude", found: false }] },
        { name: "test", kind: "local", agent: null, roles: ["mayor", "polecat", "refinery"], binaries: [{ name: "node", found: true }] },
        { name: "remote", kind: "http", agent: null, roles: null, binaries: null },
      ],
      selected: "remote",
      selectedAvailable: true,
    });
    const text = JSON.stringify(options);
    for (const s of ["/opt/agents", "fake-agent", "runtime.example.test", RUNTIME_SECRET]) expect(text).not.toContain(s);
    await keep(callerFor(owner).settings.updateTown({ townId, patch: { agent_runtime: "" } }));
    expect(await storedConfig()).not.toHaveProperty("agent_runtime");
  });

  it("updates are compare-and-set on the version: a stale version is a CONFLICT", async () => {
    const { version } = await keep(callerFor(owner).settings.getTown({ townId }));
    await keep(callerFor(owner).settings.updateTown({ townId, patch: { staged_convoys_default: true }, version }));
    await expect(callerFor(owner).settings.updateTown({ townId, patch: { staged_convoys_default: false }, version })).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await storedConfig()).staged_convoys_default).toBe(true);
    await expect(callerFor(owner).settings.updateTown({ townId, patch: { merge_strategy: "squash" } as never })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(callerFor(owner).settings.updateTown({ townId, patch: { unknown_key: 1 } as never })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("getRig shows each override with its source; owners set and clear (null) overrides, audited, town due", async () => {
    const rig = await keep(callerFor(viewer).settings.getRig({ townId, rigId }));
    expect(rig.settings).toMatchObject({
      merge_strategy: { value: "pr", source: "rig" },
      code_review: { value: false, source: "town" },
      auto_merge: { value: true, source: "default" },
      auto_merge_delay_minutes: { value: 15, source: "town" },
      max_dispatch_attempts: { value: 5, source: "default" },
      max_concurrent_polecats: { value: 5, source: "default" },
    });
    await expect(callerFor(member).settings.updateRig({ townId, rigId, overrides: { code_review: true } })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await pushTickOut(townId);
    const updated = await keep(callerFor(owner).settings.updateRig({ townId, rigId, overrides: { code_review: true, max_concurrent_polecats: 2, merge_strategy: null } }));
    expect(updated.settings).toMatchObject({
      code_review: { value: true, source: "rig" },
      max_concurrent_polecats: { value: 2, source: "rig" },
      merge_strategy: { value: "pr", source: "town" },
    });
    expect(updated.overrides).toEqual({ code_review: true, max_concurrent_polecats: 2 });
    expect(await db.auditLog.count({ where: { townId, action: "rig.overrides", targetId: rigId, actorUserId: owner.id } })).toBe(1);
    expect(await isDue(townId)).toBe(true);
    await expect(callerFor(owner).settings.updateRig({ townId, rigId, overrides: { max_concurrent_polecats: 0 } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const other = await makeTown(db, owner.id);
    await expect(callerFor(owner).settings.getRig({ townId: other.id, rigId })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("no settings response ever contained a secret", () => {
    expect(responses.length).toBeGreaterThan(10);
    for (const r of responses) expect(leaked(r)).toEqual([]);
  });
});
