import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapters, type Adapters } from "../adapters";
import { loadAdapterConfig } from "../adapters/config";
import { getPool } from "../db/pool";
import { startAgentApiServer } from "../testing/agent-api-server";
import { startFakeGitHub, completedRun, type FakeGitHub } from "../testing/fake-github/server";
import { testDb } from "../testing/db";
import { makeRig, makeTown, makeUser } from "../../prisma/factories";
import { createBead } from "../services/beads";
import { buildTickDeps, enqueueAgentExits } from "./deps";
import { runTick, type TickDeps } from "./run-tick";

// The whole PR flow with real parts: real child processes (scripts/test-agent.mjs through the `local`
// runtime), the real agent API route on a loopback port, the real Octokit adapter against the fake GitHub
// server, and real ticks on Postgres. Only time is helped along: `last_poll_at` is back-dated so each tick
// may poll (R1 polls at most once a minute).

const OWNER = "acme";
const REPO = "widgets";

async function until<T>(what: string, tick: () => Promise<unknown>, check: () => Promise<T | null | false | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await tick();
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe("PR flow end to end", () => {
  let github: FakeGitHub;
  let api: Awaited<ReturnType<typeof startAgentApiServer>>;
  let adapters: Adapters;
  let deps: TickDeps;
  let workRoot: string;
  let savedWebUrl: string | undefined;

  beforeAll(async () => {
    github = await startFakeGitHub({ token: "ghp_flowtesttoken123" });
    github.addRepo(OWNER, REPO);
    api = await startAgentApiServer();
    // The agent API (in this process) checks gt_done's PR URL against the operator's GITHUB_WEB_URL.
    savedWebUrl = process.env.GITHUB_WEB_URL;
    process.env.GITHUB_WEB_URL = github.webUrl;
    workRoot = mkdtempSync(path.join(tmpdir(), "gt-flow-"));
    adapters = createAdapters({
      config: loadAdapterConfig({
        GASTOWN_AGENT_COMMANDS: "test=node scripts/test-agent.mjs",
        GITHUB_API_URL: github.apiUrl,
        GITHUB_WEB_URL: github.webUrl,
        GITHUB_TOKEN: "ghp_flowtesttoken123",
        GASTOWN_SHARED_GITHUB_TOKEN: "all", // the operator shares its token with every town of this test
        GASTOWN_AGENT_WORK_ROOT: workRoot,
        GASTOWN_AGENT_STOP_GRACE_MS: "2000",
      }),
    });
    enqueueAgentExits(adapters, getPool());
    deps = buildTickDeps({ adapters, pool: getPool(), apiUrl: api.url, captureException: () => {} });
  });

  afterAll(async () => {
    if (savedWebUrl === undefined) delete process.env.GITHUB_WEB_URL;
    else process.env.GITHUB_WEB_URL = savedWebUrl;
    await api?.close();
    await github?.close();
    rmSync(workRoot, { recursive: true, force: true });
  });

  async function setupTown(codeReview: boolean) {
    const db = testDb();
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    const { prUrl } = github.addPr({ owner: OWNER, repo: REPO, headRef: "feature" });
    github.setCheckRuns(prUrl, [completedRun("failure")]);
    await db.townSettings.update({
      where: { townId: town.id },
      data: {
        config: {
          merge_strategy: "pr",
          agent_runtime: "test",
          refinery: { code_review: codeReview, auto_merge: true, auto_merge_delay_minutes: 0, auto_resolve_pr_feedback: true, review_mode: "comments" },
          // every agent "works" 4 s, so the feedback bead stays open across several polls
          env_vars: { TEST_AGENT_PR_URL: prUrl, TEST_AGENT_HEARTBEAT_MS: "200", TEST_AGENT_DELAY_MS: "4000" },
        },
      },
    });
    const rig = await makeRig(db, town.id, { gitUrl: `${github.webUrl}/${OWNER}/${REPO}` });
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Add the widget API", priority: "medium", labels: [] });
    return { db, town, rig, bead, prUrl };
  }

  const tickNow = (townId: string) => async () => {
    await getPool().query(
      `UPDATE beads SET metadata = metadata || jsonb_build_object('last_poll_at', to_jsonb(now() - interval '2 minutes'))
        WHERE town_id = $1 AND type = 'merge_request' AND status = 'in_progress'`,
      [townId],
    );
    await runTick(deps, townId, { now: new Date() });
  };

  it.each([true, false])("sling → polecat → PR → %s review → feedback once → green → auto-merge → bead closed", async (codeReview) => {
    const { db, town, bead, prUrl } = await setupTown(codeReview);
    const tick = tickNow(town.id);

    // The polecat process starts with the env contract and finishes with gt_done + the PR URL.
    const mr = await until("an MR for the bead", tick, async () =>
      db.bead.findFirst({ where: { townId: town.id, type: "merge_request" }, include: { review: true } }),
    );
    expect(mr.review?.prUrl).toBe(prUrl);
    expect((await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).status).toBe("in_review");
    const polecat = await db.agentMetadata.findFirstOrThrow({ where: { townId: town.id, role: "polecat" } });
    expect(polecat.pid).toBeGreaterThan(0);
    expect(polecat.logPath).toContain(workRoot);

    if (codeReview) {
      // The refinery is started with GASTOWN_PR_URL and reports the PR back; it never merges itself.
      await until("a refinery", tick, async () => db.agentMetadata.findFirst({ where: { townId: town.id, role: "refinery" } }));
    } else {
      expect(await db.agentMetadata.count({ where: { townId: town.id, role: "refinery" } })).toBe(0);
    }

    // Polling finds the failing check: exactly one gt:pr-feedback bead, even across later polls.
    const feedback = await until("a feedback bead", tick, async () =>
      db.bead.findFirst({ where: { townId: town.id, labels: { array_contains: ["gt:pr-feedback"] } } }),
    );
    const polls = github.callsTo("pulls.get").length;
    for (let i = 0; i < 3; i++) await tick();
    expect(github.callsTo("pulls.get").length).toBeGreaterThan(polls); // it did poll again, with CI still red
    expect((await db.bead.findUniqueOrThrow({ where: { id: feedback.id } })).status).not.toBe("closed");
    expect(await db.bead.count({ where: { townId: town.id, labels: { array_contains: ["gt:pr-feedback"] } } })).toBe(1);

    // A polecat fixes it (the test agent closes the feedback bead with gt_done); CI turns green.
    github.setCheckRuns(prUrl, [completedRun("success")]);
    await until("the feedback bead closed", tick, async () => (await db.bead.findUniqueOrThrow({ where: { id: feedback.id } })).status === "closed");

    // Green → grace timer → (delay 0) pr_auto_merge → merge_pr → one merge call → MR and source closed.
    await until("the PR merged", tick, async () => github.getPr(prUrl).state === "merged");
    const prNumber = prUrl.split("/").pop();
    expect(github.callsTo("pulls.merge").filter((c) => c.path.endsWith(`/pulls/${prNumber}/merge`))).toHaveLength(1);
    await until("the source bead closed", tick, async () => (await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).status === "closed");
    expect((await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).status).toBe("closed");
    const timer = await db.reviewMetadata.findUniqueOrThrow({ where: { beadId: mr.id } });
    expect(timer.autoMergeReadySince).not.toBeNull();
    // No token in anything we stored.
    const { rows } = await getPool().query(`SELECT payload::text AS p FROM town_events WHERE town_id = $1`, [town.id]);
    expect(rows.map((r) => r.p).join("\n")).not.toContain("ghp_flowtesttoken123");
  }, 120_000);
});
