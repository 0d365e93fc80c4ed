import { beforeEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { createAdapters } from "../adapters";
import { loadAdapterConfig } from "../adapters/config";
import { samePrRepo, type GitHub } from "../adapters/github/types";
import { getPool } from "../db/pool";
import { testDb, truncateAll } from "../testing/db";
import { RecordingRuntime, testTickDeps } from "../testing/tick-doubles";
import { makeAgent } from "../agent-api/testing";
import { makeBead, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { createBead } from "../services/beads";
import { resetAgent, stopAgent } from "../services/agents";
import { runTick, type TickDeps } from "./run-tick";

// Issue 13, "safe for strangers", the tick's side: which GitHub token a town's polls, merges and agents get
// (GASTOWN_SHARED_GITHUB_TOKEN), the repository allow-list before clone/poll/merge (GASTOWN_ALLOWED_REPOS),
// and the correctness gaps of the review (runtime_name, late dispatch_failed, the lease, swallowed errors,
// pruning). Real ticks on Postgres; the runtime and GitHub are doubles that record what they were given.

const WEB = "https://github.com";
const OPERATOR_TOKEN = "ghp_operatorTokenNotForStrangers01";

/** A GitHub double recording the token of every call; answers "open, green" with a token, null without. */
function recordingGitHub() {
  const calls: { op: string; token: string | null | undefined; prUrl?: string }[] = [];
  const github = {
    webUrl: WEB,
    samePrRepo: (rig: string, pr: string) => samePrRepo(rig, pr, WEB),
    getPrStatus: async ({ token, prUrl }: { token: string | null; prUrl: string }) => {
      calls.push({ op: "status", token, prUrl });
      return token ? { state: "open", headSha: "abc" } : null;
    },
    checkPrFeedback: async ({ token, prUrl }: { token: string | null; prUrl: string }) => {
      calls.push({ op: "feedback", token, prUrl });
      return token ? { hasUnresolvedComments: false, hasFailingChecks: false, hasUncheckedRuns: false, allChecksPass: true } : null;
    },
    mergePr: async ({ token, prUrl }: { token: string | null; prUrl: string }) => {
      calls.push({ op: "merge", token, prUrl });
      return token ? { merged: true, method: "squash" } : { merged: false, reason: "no GitHub token configured" };
    },
    createBranch: async () => ({ ok: false, reason: "test double" }),
  } as unknown as GitHub;
  return { github, calls };
}

/** Tick deps whose token resolver and allow-list are the real ones, built from this operator environment. */
function operatorDeps(env: Record<string, string>, over: Partial<TickDeps> & { runtime?: RecordingRuntime | null } = {}) {
  const adapters = createAdapters({ config: loadAdapterConfig({ PATH: process.env.PATH ?? "/usr/bin", ...env }) });
  return testTickDeps({
    resolveGitHubToken: (town, t) => adapters.resolveGitHubToken(town, t),
    repoRefusal: (url) => adapters.repoRefusal(url),
    ...over,
  });
}

async function townWithOwner(email?: string) {
  const db = testDb();
  const user = await makeUser(db, email ? { email } : {});
  const town = await makeTown(db, user.id);
  return { db, user, town };
}

/** An MR under review with a PR, due for a poll (R1), optionally already pending a merge. */
async function reviewedMr(townId: string, repo: string, opts: { pending?: boolean } = {}) {
  const db = testDb();
  const rig = await makeRig(db, townId, { gitUrl: `${WEB}/${repo}`, config: { code_review: false } });
  const prUrl = `${WEB}/${repo}/pull/7`;
  const mr = await makeBead(db, townId, { type: "merge_request", status: "in_progress", rigId: rig.id });
  if (opts.pending) await db.bead.update({ where: { id: mr.id }, data: { metadata: { auto_merge_pending: true } } });
  await db.reviewMetadata.create({ data: { beadId: mr.id, townId, branch: "gt/x", prUrl } });
  return { rig, mr, prUrl };
}

async function eventsOf(townId: string, type: string) {
  return testDb().townEvent.findMany({ where: { townId, eventType: type }, orderBy: { seq: "asc" } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the operator's GITHUB_TOKEN serves only the towns the operator allows", () => {
  beforeEach(async () => truncateAll(testDb()));

  it("by default (nobody): a town without its own token polls with none → poll_null_result, and its agents get no GASTOWN_GIT_TOKEN", async () => {
    const { db, user, town } = await townWithOwner();
    const { prUrl, mr } = await reviewedMr(town.id, "acme/app");
    const rig = await makeRig(db, town.id, { gitUrl: `${WEB}/acme/other` });
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Work", priority: "medium", labels: [] });
    const { github, calls } = recordingGitHub();
    const runtime = new RecordingRuntime();
    await runTick(operatorDeps({ GITHUB_TOKEN: OPERATOR_TOKEN }, { github, runtime }), town.id, { now: new Date() });
    expect(calls.filter((c) => c.op === "status")).toEqual([{ op: "status", token: null, prUrl }]);
    expect((await eventsOf(town.id, "poll_null_result")).map((e) => e.beadId)).toEqual([mr.id]);
    expect(runtime.starts.find((s) => s.role === "polecat")?.gitToken).toBeNull();
    expect(JSON.stringify(runtime.starts)).not.toContain(OPERATOR_TOKEN);
  });

  it.each([
    ["all", "all"],
    ["owner:<email> (any case)", "owner:ALICE@acme.example"],
    ["town:<id>", "town:{town}"],
  ])("with GASTOWN_SHARED_GITHUB_TOKEN=%s the allowed town polls, merges and dispatches with the operator's token", async (_name, policy) => {
    const { db, user, town } = await townWithOwner("alice@acme.example");
    const { prUrl } = await reviewedMr(town.id, "acme/app", { pending: true });
    const rig = await makeRig(db, town.id, { gitUrl: `${WEB}/acme/other` });
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Work", priority: "medium", labels: [] });
    const { github, calls } = recordingGitHub();
    const runtime = new RecordingRuntime();
    const env = { GITHUB_TOKEN: OPERATOR_TOKEN, GASTOWN_SHARED_GITHUB_TOKEN: policy.replace("{town}", town.id) };
    await runTick(operatorDeps(env, { github, runtime }), town.id, { now: new Date() });
    expect(calls.filter((c) => c.op === "merge")).toEqual([{ op: "merge", token: OPERATOR_TOKEN, prUrl }]);
    expect(calls.filter((c) => c.op === "status").every((c) => c.token === OPERATOR_TOKEN)).toBe(true);
    expect(runtime.starts.find((s) => s.role === "polecat")?.gitToken).toBe(OPERATOR_TOKEN);
  });

  it("another town of another owner still gets nothing, and a town's own token always wins (blank means none)", async () => {
    const { town } = await townWithOwner("mallory@evil.example");
    const { prUrl } = await reviewedMr(town.id, "acme/app");
    const { github, calls } = recordingGitHub();
    const env = { GITHUB_TOKEN: OPERATOR_TOKEN, GASTOWN_SHARED_GITHUB_TOKEN: "owner:alice@acme.example,town:someone-else" };
    const deps = operatorDeps(env, { github });
    await testDb().townSettings.update({ where: { townId: town.id }, data: { config: { git_auth: { github_token: "   " } } } });
    const t0 = Date.now();
    await runTick(deps, town.id, { now: new Date(t0) });
    await testDb().townSettings.update({ where: { townId: town.id }, data: { config: { git_auth: { github_token: "ghp_townOwnToken" } } } });
    await runTick(deps, town.id, { now: new Date(t0 + 61_000) });
    expect(calls.filter((c) => c.op === "status").map((c) => c.token)).toEqual([null, "ghp_townOwnToken"]);
    expect(calls.every((c) => c.prUrl === prUrl)).toBe(true);
  });
});

describe("GASTOWN_ALLOWED_REPOS is checked again before any clone, poll or merge", () => {
  beforeEach(async () => truncateAll(testDb()));
  const env = { GASTOWN_ALLOWED_REPOS: "acme/*", GITHUB_TOKEN: OPERATOR_TOKEN, GASTOWN_SHARED_GITHUB_TOKEN: "all" };

  it("dispatch on a rig outside the list: the runtime is never asked, dispatch_failed carries the reason", async () => {
    const { db, user, town } = await townWithOwner();
    const rig = await makeRig(db, town.id, { gitUrl: `${WEB}/stranger/repo` }); // added before the list existed
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Clone me", priority: "medium", labels: [] });
    const runtime = new RecordingRuntime();
    const deps = operatorDeps(env, { runtime });
    const report = await runTick(deps, town.id, { now: new Date() });
    expect(runtime.starts.filter((s) => s.role === "polecat")).toHaveLength(0);
    expect(report!.sideEffectOutcomes.find((o) => o.type === "dispatch_agent")).toMatchObject({ ok: false, detail: expect.stringContaining("stranger/repo is not in") });
    const [failed] = await eventsOf(town.id, "dispatch_failed");
    expect(failed.payload).toMatchObject({ bead_id: bead.id, reason: expect.stringMatching(/not started: the repository stranger\/repo is not in .*GASTOWN_ALLOWED_REPOS/) });
    // the next tick applies it: the agent is rolled back, the reason is on the bead
    await runTick(deps, town.id, { now: new Date(Date.now() + 1000) });
    expect(((await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).metadata as Record<string, unknown>).last_dispatch_error).toMatch(/stranger\/repo/);
  });

  it("poll on a rig outside the list: GitHub is never called, it counts as a null poll", async () => {
    const { town } = await townWithOwner();
    const { mr } = await reviewedMr(town.id, "stranger/repo");
    const { github, calls } = recordingGitHub();
    const report = await runTick(operatorDeps(env, { github }), town.id, { now: new Date() });
    expect(calls).toEqual([]);
    expect(report!.sideEffectOutcomes.find((o) => o.type === "poll_pr")).toMatchObject({ ok: false, detail: expect.stringContaining("not polled") });
    expect((await eventsOf(town.id, "poll_null_result")).map((e) => e.beadId)).toEqual([mr.id]);
  });

  it("merge on a rig outside the list: GitHub is never called, auto_merge_cleared with repo_not_allowed", async () => {
    const { town } = await townWithOwner();
    const { mr } = await reviewedMr(town.id, "stranger/repo", { pending: true });
    const { github, calls } = recordingGitHub();
    const report = await runTick(operatorDeps(env, { github }), town.id, { now: new Date() });
    expect(calls.filter((c) => c.op === "merge")).toEqual([]);
    expect(report!.sideEffectOutcomes.find((o) => o.type === "merge_pr")).toMatchObject({ ok: false, detail: expect.stringContaining("not merged") });
    const [cleared] = await eventsOf(town.id, "auto_merge_cleared");
    expect(cleared).toMatchObject({ beadId: mr.id, payload: { mr_bead_id: mr.id, reason: "repo_not_allowed" } });
  });

  it("a rig on the list is cloned, polled and merged as usual", async () => {
    const { db, user, town } = await townWithOwner();
    const { rig } = await reviewedMr(town.id, "acme/app", { pending: true });
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Clone me", priority: "medium", labels: [] });
    const { github, calls } = recordingGitHub();
    const runtime = new RecordingRuntime();
    await runTick(operatorDeps(env, { github, runtime }), town.id, { now: new Date() });
    expect(runtime.starts.filter((s) => s.role === "polecat")).toHaveLength(1);
    expect(calls.map((c) => c.op)).toEqual(expect.arrayContaining(["status", "merge"]));
  });
});

describe("correctness gaps", () => {
  beforeEach(async () => truncateAll(testDb()));

  it("dispatch records runtime_name; after the town switches runtimes, observe, a person's stop and the tick's stop_agent go to the agent's runtime", async () => {
    const { db, user, town } = await townWithOwner();
    const rig = await makeRig(db, town.id);
    const alpha = new RecordingRuntime("alpha");
    const beta = new RecordingRuntime("beta");
    beta.status = async (ids: string[]) => new Map(ids.map((id) => [id, { status: "not_found" as const }])); // knows none of alpha's agents
    const deps = testTickDeps({ runtimeFor: (name) => (name === "beta" ? beta : alpha) });
    await db.townSettings.update({ where: { townId: town.id }, data: { config: { agent_runtime: "alpha" } } });
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Long job", priority: "medium", labels: [] });
    const t0 = Date.now();
    await runTick(deps, town.id, { now: new Date(t0) });
    const agentId = alpha.starts[0].agentId;
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agentId } })).toMatchObject({ runtimeName: "alpha", pid: 4242 });

    await db.townSettings.update({ where: { townId: town.id }, data: { config: { agent_runtime: "beta" } } });
    // observe asks alpha ("running"), not beta, whose "not_found" would declare the agent dead
    await runTick(deps, town.id, { now: new Date(t0 + 1000) });
    expect(await eventsOf(town.id, "container_status")).toEqual([]);
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agentId } })).toMatchObject({ status: "working" });

    // a person's stop
    await stopAgent(deps, db, town.id, user.id, agentId);
    alpha.statuses.set(agentId, { status: "running" });
    // the tick's stop_agent (a cancelled bead)
    await db.townEvent.create({ data: { townId: town.id, eventType: "bead_cancelled", beadId: bead.id, payload: { cancel_status: "failed" } } });
    await db.bead.update({ where: { id: bead.id }, data: { status: "failed" } });
    const report = await runTick(deps, town.id, { now: new Date(t0 + 2000) });
    expect(report!.actions.map((a) => a.type)).toContain("stop_agent");
    expect(alpha.stops.map((s) => s.agentId)).toEqual([agentId, agentId]);
    expect(alpha.stops[0].reason).toBe("stopped by a person");
    expect(beta.stops).toEqual([]);
  });

  it("a late dispatch_failed of an old dispatch never rolls back a newer one (the real side effect's dispatched_at)", async () => {
    const { db, user, town } = await townWithOwner();
    const rig = await makeRig(db, town.id);
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Twice", priority: "medium", labels: [] });
    const runtime = new RecordingRuntime();
    runtime.onStart = () => ({ started: false, reason: "slow refusal" });
    const deps = testTickDeps({ runtime });
    const t0 = Date.now();
    await runTick(deps, town.id, { now: new Date(t0) });
    // the first dispatch's failure, as the side effect wrote it, arrives late: take it out of the queue for now
    const [late] = await eventsOf(town.id, "dispatch_failed");
    expect(late.payload).toMatchObject({ dispatched_at: new Date(t0).toISOString() });
    await db.townEvent.delete({ where: { id: late.id } });
    // meanwhile a person resets the agent and the next tick dispatches it again, successfully
    const agentId = runtime.starts[0].agentId;
    await resetAgent(deps, db, town.id, user.id, agentId, new Date(t0 + 1000));
    runtime.onStart = () => ({ started: true, pid: 7, logPath: "/tmp/x.log" });
    await runTick(deps, town.id, { now: new Date(t0 + 2000) });
    expect(runtime.starts.map((s) => s.agentId)).toEqual([agentId, agentId]);
    const working = await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agentId } });
    expect(working).toMatchObject({ status: "working", currentHookBeadId: bead.id });
    expect(working.dispatchedAt?.getTime()).toBe(t0 + 2000);

    await db.townEvent.create({ data: { townId: town.id, eventType: "dispatch_failed", agentId, beadId: bead.id, payload: late.payload as object } });
    await runTick(deps, town.id, { now: new Date(t0 + 3000) });
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agentId } })).toMatchObject({ status: "working", currentHookBeadId: bead.id });
    expect((await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).status).toBe("in_progress");
    expect((await eventsOf(town.id, "dispatch_failed")).every((e) => e.processedAt)).toBe(true);
  });

  it("the lease is renewed during a slow tick: a second caller cannot take the town over halfway", async () => {
    const { db, town } = await townWithOwner();
    await makeAgent(db, town.id, { status: "working" });
    const runtime = new RecordingRuntime();
    runtime.status = async (ids: string[]) => {
      await sleep(700); // a slow observe phase
      return new Map(ids.map((id) => [id, { status: "running" as const }]));
    };
    const deps = testTickDeps({ runtime });
    const t0 = Date.now();
    const first = runTick(deps, town.id, { now: new Date(t0), leaseMs: 300 });
    await sleep(500);
    // 500 ms later the original 300 ms lease would have run out
    expect(await runTick(testTickDeps({ runtime: new RecordingRuntime() }), town.id, { now: new Date(t0 + 500), leaseMs: 300 })).toBeNull();
    expect(await first).not.toBeNull();
    const row = await db.town.findUniqueOrThrow({ where: { id: town.id } });
    expect(row.tickLeaseOwner).toBeNull();
    expect(row.lastTickAt?.getTime()).toBe(t0);
  });

  it("a tick that lost its lease writes nothing in its final update and reports it", async () => {
    const { db, town } = await townWithOwner();
    const deps = testTickDeps({
      onPhase: async (phase) => {
        if (phase !== "state_applied") return;
        await getPool().query(`UPDATE towns SET tick_lease_owner = 'other-instance', tick_lease_until = $2 WHERE id = $1`, [town.id, new Date(Date.now() + 60_000)]);
      },
    });
    const before = await db.town.findUniqueOrThrow({ where: { id: town.id } });
    const report = await runTick(deps, town.id, { now: new Date() });
    expect(report).not.toBeNull();
    const row = await db.town.findUniqueOrThrow({ where: { id: town.id } });
    expect(row).toMatchObject({ tickLeaseOwner: "other-instance", lastTickAt: before.lastTickAt, lastMetrics: before.lastMetrics });
    expect(row.nextTickAt.getTime()).toBe(before.nextTickAt.getTime());
    expect(deps.captured.some((c) => c.tags.phase === "lease" && c.tags.town_id === town.id)).toBe(true);
  });

  it("a runtime status failure is reported with the town and agents, not swallowed", async () => {
    const { db, town } = await townWithOwner();
    const agent = await makeAgent(db, town.id, { status: "working" });
    const runtime = new RecordingRuntime();
    runtime.status = async () => {
      throw new Error("runtime unreachable");
    };
    const deps = testTickDeps({ runtime });
    await runTick(deps, town.id, { now: new Date() });
    expect(deps.captured).toContainEqual({ err: expect.objectContaining({ message: "runtime unreachable" }), tags: expect.objectContaining({ town_id: town.id, agent_id: agent.id, phase: "observe" }) });
    expect(await eventsOf(town.id, "container_status")).toEqual([]); // an outage is not evidence of death
  });

  it("a fallback dispatch_failed that cannot be queued is reported with the town and agent, not swallowed", async () => {
    const { db, user, town } = await townWithOwner();
    const rig = await makeRig(db, town.id);
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Boom", priority: "medium", labels: [] });
    let failInserts = false;
    const pool = getPool();
    const flaky = new Proxy(pool, {
      get(target, prop) {
        if (prop === "query") {
          return (text: string, params?: unknown[]) =>
            failInserts && /INSERT INTO town_events/.test(text) ? Promise.reject(new Error("database went away")) : target.query(text, params);
        }
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    }) as pg.Pool;
    const runtime = new RecordingRuntime();
    runtime.onStart = () => {
      failInserts = true;
      throw new Error("runtime exploded");
    };
    const deps = testTickDeps({ runtime, pool: flaky });
    await runTick(deps, town.id, { now: new Date() });
    failInserts = false;
    const agentId = runtime.starts[0].agentId;
    expect(deps.captured).toContainEqual({ err: expect.objectContaining({ message: "runtime exploded" }), tags: expect.objectContaining({ town_id: town.id, agent_id: agentId, action_type: "dispatch_agent" }) });
    expect(deps.captured).toContainEqual({
      err: expect.objectContaining({ message: "database went away" }),
      tags: expect.objectContaining({ town_id: town.id, agent_id: agentId, phase: "side_effect_fallback" }),
    });
  });

  it("housekeeping prunes processed events after 7 days, never poisoned, discarded or pending ones", async () => {
    const { db, town } = await townWithOwner();
    const now = new Date();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 24 * 60 * 60 * 1000);
    const row = (note: string, over: object) => ({ townId: town.id, eventType: "bead_created", payload: { note }, createdAt: daysAgo(9), ...over });
    await db.townEvent.createMany({
      data: [
        row("old processed", { processedAt: daysAgo(8) }),
        row("recent processed", { processedAt: daysAgo(6) }),
        row("old poisoned", { processedAt: daysAgo(8), poisonedAt: daysAgo(8), poisonReason: "max_retries" }),
        row("old poisoned, never processed", { poisonedAt: daysAgo(8), poisonReason: "invalid_payload" }),
        row("old discarded", { processedAt: daysAgo(8), poisonedAt: daysAgo(8), discardedAt: daysAgo(8), discardedBy: "u" }),
        row("old discarded, not poisoned", { processedAt: daysAgo(8), discardedAt: daysAgo(8), discardedBy: "u" }),
      ],
    });
    await runTick(testTickDeps(), town.id, { now });
    const left = await db.townEvent.findMany({ where: { townId: town.id } });
    expect(left.map((e) => (e.payload as { note: string }).note).sort()).toEqual(
      ["old discarded", "old discarded, not poisoned", "old poisoned", "old poisoned, never processed", "recent processed"].sort(),
    );
  });
});
