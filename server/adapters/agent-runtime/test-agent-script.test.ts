import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLocalRuntime } from "./local-process";
import { agentSpec, waitFor } from "./testing";
import type { AgentExit, AgentStartSpec } from "./types";

// scripts/test-agent.mjs run for real by the local runtime, against a fake agent API on loopback.

const SCRIPT = fileURLToPath(new URL("../../../scripts/test-agent.mjs", import.meta.url));
const TOKEN = "agent-token-SECRET-abcdef123456";

interface ApiCall {
  tool: string;
  body: unknown;
  authorized: boolean;
}

let api: Server;
let apiUrl: string;
let root: string;
const apiCalls: ApiCall[] = [];
let refuse: Set<string> = new Set();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "gastown-test-agent-"));
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const tool = (req.url ?? "").replace(/^\/api\/agent\//, "");
      const authorized = req.headers.authorization === `Bearer ${TOKEN}`;
      apiCalls.push({ tool, body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"), authorized });
      res.writeHead(refuse.has(tool) || !authorized ? 401 : 200, { "content-type": "application/json" });
      const answer = tool === "gt_prime" ? { agent: { id: "agent-1" }, hooked_bead: { id: "bead-1" } } : tool === "gt_heartbeat" ? { nudges: [], mail: [] } : { ok: true };
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", () => r()));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  apiCalls.splice(0);
  refuse = new Set();
});

async function run(overrides: Partial<AgentStartSpec>, options: { stopAfterHeartbeats?: number; grace?: number } = {}) {
  const exits: AgentExit[] = [];
  const runtime = createLocalRuntime({
    argv: [process.execPath, SCRIPT],
    workRoot: root,
    baseEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stopGraceMs: options.grace ?? 2000,
    onExit: (_id, exit) => void exits.push(exit),
  });
  const spec = agentSpec({ apiUrl, agentToken: TOKEN, ...overrides });
  const result = await runtime.start(spec);
  expect(result.started).toBe(true);
  if (options.stopAfterHeartbeats) {
    await waitFor(() => apiCalls.filter((c) => c.tool === "gt_heartbeat").length >= options.stopAfterHeartbeats!, 10_000, "heartbeats");
    await runtime.stop(spec.agentId, "test stop");
  }
  await waitFor(() => exits.length === 1, 15_000, "agent exit");
  await new Promise((r) => setTimeout(r, 100)); // let the exit marker reach the log
  const log = (await runtime.readLog(spec.agentId, 100_000)) ?? "";
  return { exit: exits[0], log, tools: apiCalls.map((c) => c.tool) };
}

describe("scripts/test-agent.mjs", () => {
  it("a polecat in pr mode primes, heartbeats and reports gt_done with TEST_AGENT_PR_URL", async () => {
    const prUrl = "https://github.com/acme/widgets/pull/12";
    const { exit, log, tools } = await run({
      agentId: "agent-1",
      townEnv: { TEST_AGENT_MODE: "pr", TEST_AGENT_PR_URL: prUrl, TEST_AGENT_DELAY_MS: "250", TEST_AGENT_HEARTBEAT_MS: "60" },
    });
    expect(exit).toMatchObject({ status: "completed", exitCode: 0 });
    expect(tools[0]).toBe("gt_prime");
    expect(tools.at(-1)).toBe("gt_done");
    expect(tools.filter((t) => t === "gt_heartbeat").length).toBeGreaterThanOrEqual(2);
    expect(apiCalls.every((c) => c.authorized)).toBe(true);
    expect(apiCalls.at(-1)!.body).toEqual({ branch: "gt/toast/bead-1", pr_url: prUrl, summary: expect.any(String) });
    expect(apiCalls.find((c) => c.tool === "gt_heartbeat")!.body).toMatchObject({ last_event_type: expect.any(String), active_tools: [] });
    expect(log).toContain(`done with pr_url ${prUrl}`);
    expect(log).toContain("GASTOWN_AGENT_TOKEN"); // names only
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(agentSpec().gitToken!);
  });

  it("a refinery passes its GASTOWN_PR_URL back (auto mode)", async () => {
    const prUrl = "https://github.com/acme/widgets/pull/77";
    const { exit } = await run({ agentId: "agent-2", role: "refinery", prUrl });
    expect(exit.status).toBe("completed");
    expect(apiCalls.find((c) => c.tool === "gt_done")!.body).toMatchObject({ pr_url: prUrl });
  });

  it("direct mode reports gt_done without a PR URL", async () => {
    await run({ agentId: "agent-3", townEnv: { TEST_AGENT_MODE: "direct" } });
    const done = apiCalls.find((c) => c.tool === "gt_done")!.body as Record<string, unknown>;
    expect(done.branch).toBe("gt/toast/bead-1");
    expect(done).not.toHaveProperty("pr_url");
  });

  it("rework mode requests changes before gt_done", async () => {
    await run({ agentId: "agent-4", role: "refinery", townEnv: { TEST_AGENT_MODE: "rework", TEST_AGENT_FEEDBACK: "rename x" } });
    expect(apiCalls.map((c) => c.tool).slice(-2)).toEqual(["gt_request_changes", "gt_done"]);
    expect(apiCalls.find((c) => c.tool === "gt_request_changes")!.body).toEqual({ feedback: "rename x" });
  });

  it("fail mode exits non-zero without gt_done", async () => {
    const { exit, tools } = await run({ agentId: "agent-5", townEnv: { TEST_AGENT_MODE: "fail", TEST_AGENT_EXIT_CODE: "3" } });
    expect(exit).toMatchObject({ status: "failed", exitCode: 3 });
    expect(tools).not.toContain("gt_done");
  });

  it("hang mode heartbeats until stopped", async () => {
    const { exit, tools } = await run(
      { agentId: "agent-6", townEnv: { TEST_AGENT_MODE: "hang", TEST_AGENT_HEARTBEAT_MS: "50" } },
      { stopAfterHeartbeats: 3 },
    );
    expect(exit).toMatchObject({ status: "failed", stoppedWith: "test stop" });
    expect(tools).not.toContain("gt_done");
  });

  it("exits 1 when the agent API refuses the token", async () => {
    refuse.add("gt_prime");
    const { exit, log } = await run({ agentId: "agent-7" });
    expect(exit).toMatchObject({ status: "failed", exitCode: 1 });
    expect(log).toContain("gt_prime: HTTP 401");
  });
});
