import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentEnv } from "../api-client";
import { PrimeSchema } from "../instructions";
import { UsageError, parseLauncherArgs } from "./args";
import { claudeArgs, claudeEnv, writeClaudeMcpConfig } from "./claude";
import { CODEX_MCP_ENV_VARS, codexArgs, consumeCodexLine } from "./codex";
import { readVerdict, reviewTools } from "./review-tools";
import { calledSuccessfully, consumeStreamLine, newStreamState } from "./stream";
import { planWork } from "./worker";

describe("parseLauncherArgs", () => {
  it("takes the agent and defaults", () => {
    expect(parseLauncherArgs(["claude"])).toMatchObject({ agent: "claude", bin: "claude", heartbeatMs: 30_000, mayorPollMs: 2_500, idleTimeoutMs: 1_800_000, extraAllowedTools: [] });
  });
  it("reads every option, in both --flag value and --flag=value forms", () => {
    const o = parseLauncherArgs(["codex", "--bin", "/opt/codex", "--model=o4", "--heartbeat-ms", "1000", "--mayor-poll-ms=500", "--idle-timeout-ms", "60000", "--test-command", "npm test", "--allow-tool", "Bash(pnpm test:*)", "--allow-tool=Bash(make:*)"]);
    expect(o).toMatchObject({ agent: "codex", bin: "/opt/codex", model: "o4", heartbeatMs: 1000, mayorPollMs: 500, idleTimeoutMs: 60_000, testCommand: "npm test", extraAllowedTools: ["Bash(pnpm test:*)", "Bash(make:*)"] });
  });
  it("refuses an unknown agent, an unknown option, a missing value and a bad number", () => {
    expect(() => parseLauncherArgs([])).toThrow(UsageError);
    expect(() => parseLauncherArgs(["gemini"])).toThrow(/claude or codex/);
    expect(() => parseLauncherArgs(["claude", "--frobnicate"])).toThrow(/unknown option/);
    expect(() => parseLauncherArgs(["claude", "--bin"])).toThrow(/needs a value/);
    expect(() => parseLauncherArgs(["claude", "--heartbeat-ms", "-5"])).toThrow(/positive/);
  });
});

describe("claude command line", () => {
  it("runs headless with stream-json, the strict MCP config and the role's tools allowed by name", () => {
    const args = claudeArgs({ prompt: "do it", access: "write", mcpTools: ["gt_prime", "gt_done"], extraAllowedTools: ["Bash(make:*)"], resumeSessionId: null }, "/run/mcp.json");
    expect(args.slice(0, 2)).toEqual(["-p", "do it"]);
    expect(args).toEqual(expect.arrayContaining(["--output-format", "stream-json", "--verbose", "--mcp-config", "/run/mcp.json", "--strict-mcp-config", "--allowedTools"]));
    expect(args).toEqual(expect.arrayContaining(["Write", "Edit", "Bash(git add:*)", "Bash(git -c:*)", "mcp__gastown__gt_prime", "mcp__gastown__gt_done", "Bash(make:*)"]));
    expect(args).not.toContain("--dangerously-skip-permissions");
    const read = claudeArgs({ prompt: "review", access: "read", mcpTools: ["review_pass"], extraAllowedTools: [], resumeSessionId: "s-1" }, "/run/mcp.json");
    expect(read).not.toContain("Write");
    expect(read).not.toContain("Bash(git commit:*)");
    expect(read).toEqual(expect.arrayContaining(["mcp__gastown__review_pass", "--resume", "s-1"]));
  });
  it("the MCP config names the command only, never a token; the env connects MCP before the first request", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gt-claude-"));
    try {
      const file = writeClaudeMcpConfig(dir, { command: "/usr/bin/node", args: ["/kit/bin/gastown-agent.mjs", "mcp"] });
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ mcpServers: { gastown: { type: "stdio", command: "/usr/bin/node", args: ["/kit/bin/gastown-agent.mjs", "mcp"] } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(claudeEnv({ GASTOWN_AGENT_TOKEN: "t" } as unknown as NodeJS.ProcessEnv)).toMatchObject({ GASTOWN_AGENT_TOKEN: "t", MCP_CONNECTION_NONBLOCKING: "0", ENABLE_TOOL_SEARCH: "false" });
  });
});

describe("codex command line", () => {
  it("execs with --json, the MCP server by -c overrides and its env forwarded by NAME (no token in argv)", () => {
    const args = codexArgs({ prompt: "secret prompt", cwd: "/repo", access: "write", mcp: { command: "node", args: ["/kit/bin/gastown-agent.mjs", "mcp"] }, resumeSessionId: null });
    expect(args.slice(0, 2)).toEqual(["exec", "--json"]);
    expect(args).toEqual(expect.arrayContaining(["--cd", "/repo", "--sandbox", "workspace-write", 'approval_policy="never"', 'mcp_servers.gastown.command="node"', 'mcp_servers.gastown.args=["/kit/bin/gastown-agent.mjs","mcp"]']));
    expect(args).toContain(`mcp_servers.gastown.env_vars=${JSON.stringify(CODEX_MCP_ENV_VARS).replace(/\s/g, "")}`);
    expect(args.at(-1)).toBe("-"); // the prompt goes through stdin
    expect(args.join(" ")).not.toContain("secret prompt");
    expect(codexArgs({ prompt: "p", cwd: "/w", access: "read", mcp: { command: "node", args: [] }, resumeSessionId: "th-1" }).slice(0, 4)).toEqual(["exec", "resume", "th-1", "--json"]);
    expect(codexArgs({ prompt: "p", cwd: "/w", access: "read", mcp: { command: "node", args: [] } }, { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" })).toContain('openai_base_url="http://127.0.0.1:9/v1"');
  });
  it("reads its JSONL events", () => {
    const state = { threadId: null as string | null, finalText: "", failed: null as string | null, calls: [] as never[], activity: { lastEventType: null, lastEventAt: null, activeTools: [] as string[] } };
    consumeCodexLine(state, JSON.stringify({ type: "thread.started", thread_id: "th-9" }));
    consumeCodexLine(state, JSON.stringify({ type: "item.started", item: { id: "i1", type: "mcp_tool_call", server: "gastown", tool: "gt_done", arguments: {} } }));
    expect(state.activity.activeTools).toEqual(["mcp__gastown__gt_done"]);
    consumeCodexLine(state, JSON.stringify({ type: "item.completed", item: { id: "i1", type: "mcp_tool_call", server: "gastown", tool: "gt_done", status: "completed" } }));
    consumeCodexLine(state, JSON.stringify({ type: "error", message: "Reconnecting... 2/5 (stream disconnected)" }));
    consumeCodexLine(state, JSON.stringify({ type: "item.completed", item: { id: "i2", type: "agent_message", text: "All done." } }));
    expect(state).toMatchObject({ threadId: "th-9", finalText: "All done.", failed: null });
    expect(calledSuccessfully(state, "gt_done")).toBe(true);
  });
});

describe("claude stream-json", () => {
  it("becomes readable lines, heartbeat activity, the session id, the final text and the tool outcomes", () => {
    const s = newStreamState();
    const at = () => new Date("2026-01-01T00:00:00Z");
    expect(consumeStreamLine(s, JSON.stringify({ type: "system", subtype: "init", session_id: "sess-123456789", model: "m", mcp_servers: [{ name: "gastown", status: "connected" }] }), at)[0]).toContain("mcp gastown:connected");
    const use = consumeStreamLine(s, JSON.stringify({ type: "assistant", session_id: "sess-123456789", message: { content: [{ type: "tool_use", id: "t1", name: "mcp__gastown__gt_done", input: { branch: "b" } }] } }), at);
    expect(use[0]).toContain("→ mcp__gastown__gt_done");
    expect(s.activity).toEqual({ lastEventType: "tool_use:mcp__gastown__gt_done", lastEventAt: "2026-01-01T00:00:00.000Z", activeTools: ["mcp__gastown__gt_done"] });
    consumeStreamLine(s, JSON.stringify({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "accepted" }] }] } }), at);
    expect(s.activity.activeTools).toEqual([]);
    expect(calledSuccessfully(s, "gt_done")).toBe(true);
    consumeStreamLine(s, JSON.stringify({ type: "result", subtype: "success", is_error: false, result: "Done.", num_turns: 2 }), at);
    expect(s).toMatchObject({ sessionId: "sess-123456789", finalText: "Done.", resultError: false });
    expect(consumeStreamLine(s, "not json")).toEqual(["not json"]);
  });
  it("a refused tool counts as not done", () => {
    const s = newStreamState();
    consumeStreamLine(s, JSON.stringify({ type: "assistant", message: { content: [{ type: "tool_use", id: "t1", name: "mcp__gastown__gt_done", input: {} }] } }));
    consumeStreamLine(s, JSON.stringify({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", is_error: true, content: "denied" }] } }));
    expect(calledSuccessfully(s, "gt_done")).toBe(false);
  });
});

describe("planWork", () => {
  const env = (over: Partial<AgentEnv> = {}): AgentEnv => ({ apiUrl: "http://x", token: "t", role: "polecat", branch: "gt/task/b1", targetBranch: "main", ...over });
  const prime = (over: Record<string, unknown> = {}) => PrimeSchema.parse({ agent: { id: "a", role: "polecat" }, hooked_bead: null, settings: { merge_strategy: "pr", review_mode: "rework", code_review: true }, ...over });

  it("a polecat works on its branch from the target, with the town's strategy", () => {
    expect(planWork(env(), prime())).toEqual({ role: "polecat", branch: "gt/task/b1", targetBranch: "main", mergeStrategy: "pr", reviewMode: "rework", prUrl: null, kind: "task" });
  });
  it("a rework or PR fixup continues the branch its context names", () => {
    expect(planWork(env(), prime({ rework_context: { feedback: "f", branch: "gt/old/b0", target_branch: "dev", files: [] } }))).toMatchObject({ kind: "rework", branch: "gt/old/b0", targetBranch: "dev" });
    expect(planWork(env(), prime({ pr_fixup_context: { pr_url: "https://github.com/a/b/pull/2", branch: "feature", target_branch: "main" } }))).toMatchObject({ kind: "pr-fixup", branch: "feature", prUrl: "https://github.com/a/b/pull/2" });
  });
  it("a refinery reviews the MR's branch and PR; without a PR it lands directly", () => {
    expect(planWork(env({ role: "refinery", prUrl: "https://github.com/a/b/pull/3" }), prime())).toMatchObject({ role: "refinery", mergeStrategy: "pr", prUrl: "https://github.com/a/b/pull/3" });
    const review = { id: "mr", title: "Review", labels: [], metadata: {}, review: { branch: "gt/x/1", target_branch: "main", pr_url: null } };
    expect(planWork(env({ role: "refinery", branch: undefined, targetBranch: undefined }), prime({ hooked_bead: review, settings: { merge_strategy: "direct", review_mode: "comments", code_review: true } }))).toMatchObject({ branch: "gt/x/1", mergeStrategy: "direct", prUrl: null });
  });
  it("refuses a mayor and a missing branch", () => {
    expect(() => planWork(env({ role: "mayor" }), prime())).toThrow(/no git work/);
    expect(() => planWork(env({ branch: undefined }), prime())).toThrow(/no branch/);
  });
});

describe("review verdict tools", () => {
  it("record the last verdict in the run's file for the launcher", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gt-verdict-"));
    try {
      const file = path.join(dir, "v.json");
      const [pass, changes] = reviewTools(file);
      expect(readVerdict(file)).toBeNull();
      await pass.handler({ comment: "fine" });
      expect(readVerdict(file)).toEqual({ verdict: "pass", comment: "fine" });
      await changes.handler({ body: "fix it", comments: [{ path: "a.ts", line: 3, body: "off by one" }] });
      expect(readVerdict(file)).toEqual({ verdict: "request_changes", body: "fix it", comments: [{ path: "a.ts", line: 3, body: "off by one" }] });
      expect(changes.schema!.safeParse({ body: "" }).success).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
