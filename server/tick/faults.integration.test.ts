import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOctokitGitHub } from "../adapters/github/octokit";
import { completedRun, startFakeGitHub, rateLimited, type FakeFailure, type FakeGitHub } from "../testing/fake-github/server";
import { testDb, truncateAll } from "../testing/db";
import { RecordingRuntime, testTickDeps } from "../testing/tick-doubles";
import { makeBead, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { createBead } from "../services/beads";
import { runTick } from "./run-tick";

// Faults outside our control (issue 8): GitHub answering 500/502/timeouts/malformed JSON/rate limits and a
// runtime that refuses, throws or hangs. The promise: clear state, counters advanced, escalations where
// SPEC.md says so, and no exception escaping the tick.

describe("faults outside", () => {
  let github: FakeGitHub;
  beforeAll(async () => {
    github = await startFakeGitHub({ token: "ghp_faults" });
    github.addRepo("acme", "app");
  });
  afterAll(async () => github.close());
  beforeEach(async () => truncateAll(testDb()));

  async function pollingTown() {
    const db = testDb();
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    await db.townSettings.update({ where: { townId: town.id }, data: { config: { git_auth: { github_token: "ghp_faults" } } } });
    const rig = await makeRig(db, town.id, { gitUrl: `${github.webUrl}/acme/app`, config: { code_review: false } });
    const { prUrl } = github.addPr({ owner: "acme", repo: "app" });
    github.setCheckRuns(prUrl, [completedRun("success")]);
    const mr = await makeBead(db, town.id, { type: "merge_request", status: "in_progress", rigId: rig.id });
    await db.reviewMetadata.create({ data: { beadId: mr.id, townId: town.id, branch: "b", prUrl } });
    return { db, town, mr, prUrl };
  }

  const deps = () =>
    testTickDeps({ github: createOctokitGitHub({ apiUrl: github.apiUrl, webUrl: github.webUrl, timeoutMs: 300 }), sideEffectTimeoutMs: 5000 });

  /** Ticks with the clock moving a minute each time, so R1 polls every tick. */
  async function pollTicks(townId: string, n: number, start = Date.now()) {
    const d = deps();
    for (let i = 0; i < n; i++) {
      const report = await runTick(d, townId, { now: new Date(start + i * 61_000) });
      expect(report).not.toBeNull();
    }
    return start + n * 61_000;
  }

  const failures: [string, FakeFailure][] = [
    ["500", { status: 500 }],
    ["502", { status: 502 }],
    ["a timeout", { hang: true }],
    ["malformed JSON", { malformedJson: true }],
    ["rate limit 403", rateLimited(403)],
    ["rate limit 429", rateLimited(429)],
  ];

  it.each(failures)("GitHub answering %s counts a null poll and never throws out of the tick", async (_name, failure) => {
    const { db, town, mr } = await pollingTown();
    github.failNext("pulls.get", failure, 2);
    const t = await pollTicks(town.id, 3); // poll, poll, then apply the second null
    const meta = (await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).metadata as { poll_null_count?: number };
    expect(meta.poll_null_count).toBe(2);
    // GitHub recovers: a successful poll resets the count.
    await pollTicks(town.id, 2, t);
    const after = (await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).metadata as { poll_null_count?: number };
    expect(after.poll_null_count ?? 0).toBe(0);
  }, 60_000);

  it("10 consecutive null polls fail the MR and raise an escalation (SPEC.md §3 #6)", async () => {
    const { db, town, mr } = await pollingTown();
    github.failNext("pulls.get", { status: 502 }, 50);
    await pollTicks(town.id, 12);
    expect((await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).status).toBe("failed");
    const escalations = await db.bead.findMany({ where: { townId: town.id, type: "escalation" }, include: { escalation: true } });
    expect(escalations).toHaveLength(1);
    github.clearFailures();
  }, 60_000);

  it("a runtime that throws or hangs: the agent goes back to idle with its hook, counters advanced, tick completes", async () => {
    for (const mode of ["throws", "hangs"] as const) {
      await truncateAll(testDb());
      const db = testDb();
      const user = await makeUser(db);
      const town = await makeTown(db, user.id);
      const rig = await makeRig(db, town.id);
      const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: `runtime ${mode}`, priority: "medium", labels: [] });
      const runtime = new RecordingRuntime();
      runtime.onStart = mode === "throws" ? () => Promise.reject(new Error("socket hang up")) : () => new Promise(() => {});
      const d = testTickDeps({ runtime, sideEffectTimeoutMs: 300 });
      const t0 = new Date();
      const report = await runTick(d, town.id, { now: t0 });
      expect(report!.sideEffectsFailed).toBe(1);
      await runTick(d, town.id, { now: new Date(t0.getTime() + 1000) });
      const agent = await db.agentMetadata.findFirstOrThrow({ where: { townId: town.id, role: "polecat" } });
      expect(agent).toMatchObject({ status: "idle", currentHookBeadId: bead.id });
      expect((await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).dispatchAttempts).toBe(1);
      const failed = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "dispatch_failed" } });
      expect(JSON.stringify(failed.payload)).toMatch(mode === "throws" ? /socket hang up/ : /did not answer/);
    }
  }, 60_000);
});
