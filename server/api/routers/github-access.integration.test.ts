import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { callerFor, testDb } from "../../testing/db";
import { makeUser } from "../../../prisma/factories";

// A town without a usable GitHub token says so plainly (issue 13): the overview carries a banner message and
// Settings a notice next to the token field, decided by the same resolver as the tick (never the token).

const ENV = ["GITHUB_TOKEN", "GASTOWN_SHARED_GITHUB_TOKEN"] as const;

describe("GitHub token status on the overview and in Settings", () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  let caller: ReturnType<typeof callerFor>;
  let townId: string;
  let email: string;
  beforeAll(async () => {
    const owner = await makeUser(testDb());
    email = owner.email;
    caller = callerFor(owner);
    townId = (await caller.town.create({ name: "tokens" })).id;
  });
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  async function both() {
    const overview = await caller.town.get({ townId });
    const settings = await caller.settings.getTown({ townId });
    expect(overview.github).toEqual(settings.github);
    return overview.github;
  }

  it("no token anywhere: not usable, with a message that says to add one in Settings", async () => {
    delete process.env.GITHUB_TOKEN;
    delete process.env.GASTOWN_SHARED_GITHUB_TOKEN;
    expect(await both()).toEqual({ usable: false, source: null, message: expect.stringContaining("This town has no GitHub token. Add one in Settings") });
  });

  it("the operator has a token but does not share it with this town: not usable, and the message says why", async () => {
    process.env.GITHUB_TOKEN = "ghp_operatorOnly0000000000000000";
    process.env.GASTOWN_SHARED_GITHUB_TOKEN = "owner:someone-else@example.com";
    const status = await both();
    expect(status).toEqual({ usable: false, source: null, message: expect.stringContaining("not shared with it (GASTOWN_SHARED_GITHUB_TOKEN)") });
    expect(JSON.stringify(status)).not.toContain("ghp_operatorOnly");
  });

  it("shared with this town's owner: usable from the shared token; the town's own token then wins", async () => {
    process.env.GITHUB_TOKEN = "ghp_operatorOnly0000000000000000";
    process.env.GASTOWN_SHARED_GITHUB_TOKEN = `owner:${email.toUpperCase()}`;
    expect(await both()).toEqual({ usable: true, source: "shared", message: null });
    await caller.settings.updateTown({ townId, patch: { git_auth: { github_token: "ghp_townOwn000000000000000000" } } });
    expect(await both()).toEqual({ usable: true, source: "town", message: null });
    delete process.env.GITHUB_TOKEN;
    expect(await both()).toEqual({ usable: true, source: "town", message: null });
  });
});
