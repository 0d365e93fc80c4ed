import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapters, loadAdapterConfig, type Adapters } from "../../server/adapters";
import { getPool } from "../../server/db/pool";
import { startAgentApiServer } from "../../server/testing/agent-api-server";
import { testDb } from "../../server/testing/db";
import { buildTickDeps, enqueueAgentExits } from "../../server/tick/deps";
import { runTick, type TickDeps } from "../../server/tick/run-tick";
import { createBead } from "../../server/services/beads";
import { makeRig, makeTown, makeUser } from "../../prisma/factories";
import { ensureClaude } from "../scripts/install-claude.mjs";
import { completedRun } from "../../server/testing/fake-github/server";
import { startGitGitHub, type GitGitHub } from "../testing/git-github";
import { expectOk, expectTools, filesUnder, until } from "../testing/e2e";
import { say, startScriptedModel, tool, type ModelRequest, type ModelScript, type ScriptedModel } from "../testing/scripted-model";

// The agent kit end to end with the REAL Claude Code binary (STACK.md §9), driven by a scripted model:
// a person slings a bead → a real tick dispatches a polecat through the `local` runtime with the operator
// command `node agent-kit/bin/gastown-agent.mjs run claude` → the launcher clones the rig over git's HTTP
// protocol (authenticating with the token through GIT_ASKPASS), primes, runs `claude -p` with the gastown
// MCP server → Claude calls gt_prime over MCP, writes a file and commits it with its own tools → the
// launcher pushes and opens the PR on the (git-backed) fake GitHub and calls gt_done → a refinery is
// dispatched through the same launcher, reads the diff and passes the review with the kit's
// review_pass tool → the launcher comments on the PR and calls gt_done → auto-merge really merges the
// branch into main of the bare repository → the bead is closed.
// Real: git, Claude Code, the MCP server, Postgres, ticks, the agent API. Fake: GitHub (loopback) and
// the model (scripted; it asserts what Claude sends it).

const installed = ensureClaude({ log: (line: string) => console.log(`[install-claude] ${line}`) });
const CLAUDE_BIN = installed.ok ? installed.bin : "";
const SKIP_REASON = installed.ok ? "" : installed.reason;
if (!installed.ok) console.warn(`claude-e2e SKIPPED: ${SKIP_REASON}`);

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const OWNER = "acme";
const REPO = "widgets";
const FILE = "WIDGET.md";
const FILE_CONTENT = "# Widget API\n\nThe widget API, written by a polecat.\n";

/** The agent id from gt_prime's tool result (the scripted model needs it to name the checkout). */
function primedAgentId(req: ModelRequest): string {
  const result = req.toolResults.find((r) => r.name === "mcp__gastown__gt_prime");
  if (!result) throw new Error(`expected the gt_prime result, got ${JSON.stringify(req.toolResults.map((r) => r.name))}`);
  if (result.isError) throw new Error(`gt_prime failed over MCP: ${result.text.slice(0, 300)}`);
  const prime = JSON.parse(result.text) as { agent: { id: string }; hooked_bead: { title: string } | null };
  if (!prime.hooked_bead) throw new Error("gt_prime shows no hooked bead");
  return prime.agent.id;
}

function polecatScript(workRoot: string): ModelScript {
  let agentId = "";
  return {
    name: "polecat",
    match: (req) => req.prompt.includes("You are a Gastown polecat") && req.prompt.includes("Add the widget API"),
    steps: [
      {
        check: (req) => expectTools(req, ["mcp__gastown__gt_prime", "mcp__gastown__gt_done", "mcp__gastown__gt_escalate", "Write", "Bash"]),
        reply: () => [say("Let me read my context."), tool("mcp__gastown__gt_prime")],
      },
      {
        check: (req) => {
          agentId = primedAgentId(req);
        },
        reply: () => [tool("Write", { file_path: path.join(workRoot, "work", agentId, "repo", FILE), content: FILE_CONTENT })],
      },
      {
        check: (req) => expectOk(req, "Write"),
        reply: () => [tool("Bash", { command: `git add ${FILE} && git -c user.email=agent@gastown.invalid -c user.name=Gastown commit -m "Add the widget API"`, description: "Commit the widget API" })],
      },
      {
        check: (req) => expectOk(req, "Bash", "Add the widget API"),
        reply: () => [say("Added WIDGET.md describing the widget API.")],
      },
    ],
  };
}

function refineryScript(): ModelScript {
  return {
    name: "refinery",
    match: (req) => req.prompt.includes("You are a Gastown refinery"),
    steps: [
      {
        check: (req) => expectTools(req, ["mcp__gastown__gt_prime", "mcp__gastown__review_pass", "mcp__gastown__review_request_changes", "Bash"]),
        reply: () => [tool("Bash", { command: "git diff origin/main...HEAD", description: "Read the change" })],
      },
      {
        check: (req) => expectOk(req, "Bash", "The widget API, written by a polecat."),
        reply: () => [tool("mcp__gastown__review_pass", { comment: "The widget API doc is clear and complete." })],
      },
      {
        check: (req) => expectOk(req, "mcp__gastown__review_pass", "recorded"),
        reply: () => [say("Review passed.")],
      },
    ],
  };
}

/** A polecat that gives up: primes, then ends without any change. */
function idlePolecatScript(): ModelScript {
  return {
    name: "idle-polecat",
    match: (req) => req.prompt.includes("You are a Gastown polecat") && req.prompt.includes("Impossible task"),
    steps: [
      { check: (req) => expectTools(req, ["mcp__gastown__gt_prime"]), reply: () => [tool("mcp__gastown__gt_prime")] },
      { check: (req) => void primedAgentId(req), reply: () => [say("I could not find anything to change.")] },
    ],
  };
}

describe.skipIf(!installed.ok)(`Claude Code end to end through the agent kit${installed.ok ? "" : ` (SKIPPED: ${SKIP_REASON})`}`, () => {
  let github: GitGitHub;
  let model: ScriptedModel;
  let api: Awaited<ReturnType<typeof startAgentApiServer>>;
  let adapters: Adapters;
  let deps: TickDeps;
  let workRoot: string;
  let home: string;
  let savedWebUrl: string | undefined;

  beforeAll(async () => {
    // CI "runs" on every new PR until the test finishes it: auto-merge must not land a PR the refinery has not
    // reviewed yet (with no checks at all and a 0-minute delay it would merge on the first green poll).
    github = await startGitGitHub({ newPrCheckRuns: [{ name: "ci", status: "in_progress" }] });
    model = await startScriptedModel();
    api = await startAgentApiServer();
    workRoot = mkdtempSync(path.join(tmpdir(), "gt-claude-e2e-"));
    home = path.join(workRoot, "home");
    mkdirSync(home, { recursive: true });
    // The agent API (gt_done) accepts PR URLs on GITHUB_WEB_URL's host only: the fake GitHub's.
    savedWebUrl = process.env.GITHUB_WEB_URL;
    process.env.GITHUB_WEB_URL = github.webUrl;
    adapters = createAdapters({
      appDir: ROOT,
      config: loadAdapterConfig({
        GASTOWN_AGENT_COMMANDS: `claude=node agent-kit/bin/gastown-agent.mjs run claude --bin ${CLAUDE_BIN} --heartbeat-ms 1000 --stop-grace-ms 2000`,
        GITHUB_API_URL: github.apiUrl,
        GITHUB_WEB_URL: github.webUrl,
        GITHUB_TOKEN: github.token,
        GASTOWN_SHARED_GITHUB_TOKEN: "all", // the operator shares its token with this test's towns
        GASTOWN_AGENT_WORK_ROOT: workRoot,
        GASTOWN_AGENT_STOP_GRACE_MS: "3000",
        PATH: process.env.PATH,
        // Claude Code writes its state under HOME: a scratch folder, never the machine's.
        HOME: home,
      }),
    });
    enqueueAgentExits(adapters, getPool());
    deps = buildTickDeps({ adapters, pool: getPool(), apiUrl: api.url, captureException: () => {} });
  });

  afterAll(async () => {
    if (savedWebUrl === undefined) delete process.env.GITHUB_WEB_URL;
    else process.env.GITHUB_WEB_URL = savedWebUrl;
    await api?.close();
    await model?.close();
    await github?.close();
    if (workRoot) rmSync(workRoot, { recursive: true, force: true });
  });

  async function setupTown(repo: string) {
    const db = testDb();
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    const gitUrl = github.addRepo(OWNER, repo);
    await db.townSettings.update({
      where: { townId: town.id },
      data: {
        config: {
          merge_strategy: "pr",
          agent_runtime: "claude",
          refinery: { code_review: true, auto_merge: true, auto_merge_delay_minutes: 0, auto_resolve_pr_feedback: false, review_mode: "comments" },
          // What the agents need beyond the contract, as a town owner would set it: the model endpoint and
          // where GitHub's API is (the rig is not on github.com).
          env_vars: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: "sk-ant-scripted-model", GITHUB_API_URL: github.apiUrl, GITHUB_WEB_URL: github.webUrl },
        },
      },
    });
    const rig = await makeRig(db, town.id, { gitUrl });
    return { db, user, town, rig };
  }

  const ticker = (townId: string) => async () => {
    // R1 polls a PR at most once a minute: back-date the last poll so every tick may poll.
    await getPool().query(
      `UPDATE beads SET metadata = metadata || jsonb_build_object('last_poll_at', to_jsonb(now() - interval '2 minutes'))
        WHERE town_id = $1 AND type = 'merge_request' AND status = 'in_progress'`,
      [townId],
    );
    await runTick(deps, townId, { now: new Date() });
  };

  const logs = () => filesUnder(path.join(workRoot, "logs")).map((f) => readFileSync(f, "utf8")).join("\n");
  const failuresSoFar = () => (model.failures.length ? `\nscripted model: ${model.failures.join("\n")}\nagent logs:\n${logs().slice(-6000)}` : "");

  it("sling → polecat (Claude) commits → push + PR → refinery (Claude) passes → auto-merge → bead closed, file on main", async () => {
    model.setScripts([polecatScript(workRoot), refineryScript()]);
    const { db, user, town, rig } = await setupTown(REPO);
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Add the widget API", body: `Create ${FILE} describing the widget API.`, priority: "medium", labels: [] });
    const tick = ticker(town.id);

    try {
      const mr = await until("the polecat's MR", tick, async () => {
        if (model.failures.length) throw new Error(`the scripted model saw a broken bridge${failuresSoFar()}`);
        return db.bead.findFirst({ where: { townId: town.id, type: "merge_request" }, include: { review: true } });
      });
      expect(model.played.polecat).toBe(4);
      const branch = mr.review!.branch;
      // The commit Claude made is on the remote branch, and the PR is open against main.
      expect(github.readFile(OWNER, REPO, branch, FILE)).toBe(FILE_CONTENT);
      const pr = github.prFor(OWNER, REPO, branch);
      expect(pr).not.toBeNull();
      expect(mr.review!.prUrl).toBe(pr!.url);
      expect(github.fake.getPr(pr!.url).baseRef).toBe("main");
      expect(github.readFile(OWNER, REPO, "main", FILE)).toBeNull();

      // The refinery reviews through GitHub: a comment, never an approval; then auto-merge lands it.
      await until("the refinery's review comment", tick, async () => {
        if (model.failures.length) throw new Error(`the scripted model saw a broken bridge${failuresSoFar()}`);
        return github.comments.find((c) => c.number === pr!.number);
      });
      expect(model.played.refinery).toBe(3);
      expect(github.comments.find((c) => c.number === pr!.number)!.body).toContain("The widget API doc is clear and complete.");
      expect(github.reviews.filter((r) => r.event === "APPROVE")).toHaveLength(0);
      expect(github.fake.getPr(pr!.url).state).toBe("open"); // the refinery never merges

      github.fake.setCheckRuns(pr!.url, [completedRun("success")]); // CI finishes green

      await until("the bead closed", tick, async () => (await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).status === "closed");
      expect(github.fake.getPr(pr!.url).state).toBe("merged");
      expect(github.readFile(OWNER, REPO, "main", FILE)).toBe(FILE_CONTENT);
      expect((await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).status).toBe("closed");
    } catch (error) {
      throw new Error(`${(error as Error).message}${failuresSoFar() || `\nagent logs:\n${logs().slice(-6000)}`}`);
    }

    // The agents' logs show Claude's work as readable lines, and the tokens appear nowhere on disk.
    const agentLogs = logs();
    expect(agentLogs).toContain("[claude] → mcp__gastown__gt_prime");
    expect(agentLogs).toContain("[claude] → Write");
    expect(agentLogs).toContain("[gastown] pull request opened");
    expect(agentLogs).toContain("[gastown] review comment posted");
    const tokens = await getPool().query(`SELECT count(*)::int AS n FROM agent_tokens`);
    expect(tokens.rows[0].n).toBeGreaterThan(0);
    for (const file of filesUnder(path.join(workRoot, "work"))) {
      const text = readFileSync(file, "latin1");
      expect(text.includes(github.token), `${file} contains the GitHub token`).toBe(false);
    }
    expect(agentLogs.includes(github.token)).toBe(false);
    const mcpConfigs = filesUnder(path.join(workRoot, "work")).filter((f) => f.endsWith("claude-mcp.json"));
    expect(mcpConfigs.length).toBeGreaterThan(0);
    for (const f of mcpConfigs) expect(readFileSync(f, "utf8")).not.toMatch(/TOKEN|eyJ/);
  }, 240_000);

  it("a polecat that ends without a commit exits non-zero: agent_completed {failed}, the bead failed with its attempt counted", async () => {
    model.setScripts([idlePolecatScript()]);
    const { db, user, town, rig } = await setupTown("gadgets");
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Impossible task", body: "Nothing can be done.", priority: "medium", labels: [] });
    const tick = ticker(town.id);

    const completed = await until("agent_completed", tick, async () => {
      if (model.failures.length) throw new Error(`the scripted model saw a broken bridge${failuresSoFar()}`);
      return db.townEvent.findFirst({ where: { townId: town.id, eventType: "agent_completed" } });
    });
    expect(completed.payload).toMatchObject({ status: "failed", reason: "exited with code 1" });
    expect(model.played["idle-polecat"]).toBe(2);
    await until("the bead failed", tick, async () => (await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).status === "failed");
    const failed = await db.bead.findUniqueOrThrow({ where: { id: bead.id } });
    expect(failed.metadata).toMatchObject({ failureReason: "agent_failed" });
    expect(failed.dispatchAttempts).toBe(1);
    expect(failed.lastDispatchAttemptAt).not.toBeNull();
    expect(await db.bead.count({ where: { townId: town.id, type: "merge_request" } })).toBe(0);
    expect(await db.townEvent.count({ where: { townId: town.id, eventType: "agent_done" } })).toBe(0);
    expect(Object.keys(github.branches(OWNER, "gadgets"))).toEqual(["main"]);
    expect(logs()).toContain("finished without committing anything");
  }, 180_000);
});
