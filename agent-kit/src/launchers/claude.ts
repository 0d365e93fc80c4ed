import { writeFileSync } from "node:fs";
import path from "node:path";
import { MCP_SERVER_NAME } from "../mcp";
import type { AgentDriver, TurnRequest, TurnResult } from "./driver";
import { runAgentProcess } from "./process";
import { consumeStreamLine, newStreamState } from "./stream";

// Claude Code, headless (STACK.md §9, verified with 2.1.328):
// - `claude -p <prompt> --output-format stream-json --verbose`, cwd = the repository (a `cd x && git …`
//   compound is refused by Claude's own safety check, so the agent must already be there).
// - The gastown MCP server from a config FILE that names only the command (`node gastown-agent.mjs mcp`):
//   Claude Code starts stdio MCP servers with its own environment (verified: a variable set only in
//   claude's env was visible to the MCP server), so GASTOWN_AGENT_TOKEN reaches the server through the
//   env and never through the file. `--strict-mcp-config` ignores any other MCP config on the host.
// - MCP_CONNECTION_NONBLOCKING=0 (else the first request may go out before the tools are connected) and
//   ENABLE_TOOL_SEARCH=false (else MCP tools may be deferred behind a search tool).
// - `--dangerously-skip-permissions` is refused as root (CI runs as root), so every tool is allowed by
//   name with `--allowedTools`: Bash only for the git and test commands a role needs.

/** Claude's own tools per access level. `git -c …` is how the agent commits with an identity. */
export const CLAUDE_WRITE_TOOLS = [
  "Read",
  "Write",
  "Edit",
  "MultiEdit",
  "Glob",
  "Grep",
  "LS",
  "TodoWrite",
  "Bash(git add:*)",
  "Bash(git commit:*)",
  "Bash(git -c:*)",
  "Bash(git status:*)",
  "Bash(git diff:*)",
  "Bash(git log:*)",
  "Bash(git show:*)",
  "Bash(git rm:*)",
  "Bash(git mv:*)",
  "Bash(ls:*)",
  "Bash(npm test:*)",
  "Bash(npm run test:*)",
  "Bash(npm run lint:*)",
  "Bash(npx vitest:*)",
  "Bash(npx tsc:*)",
  "Bash(pytest:*)",
  "Bash(go test:*)",
  "Bash(cargo test:*)",
  "Bash(make test:*)",
];
export const CLAUDE_READ_TOOLS = [
  "Read",
  "Glob",
  "Grep",
  "LS",
  "TodoWrite",
  "Bash(git diff:*)",
  "Bash(git log:*)",
  "Bash(git show:*)",
  "Bash(git status:*)",
  "Bash(ls:*)",
  "Bash(npm test:*)",
  "Bash(npm run test:*)",
  "Bash(npx vitest:*)",
  "Bash(pytest:*)",
  "Bash(go test:*)",
  "Bash(cargo test:*)",
  "Bash(make test:*)",
];

export const mcpToolName = (bare: string) => `mcp__${MCP_SERVER_NAME}__${bare}`;

/** The `--allowedTools` list of a turn. */
export function claudeAllowedTools(request: Pick<TurnRequest, "access" | "mcpTools" | "extraAllowedTools">): string[] {
  const own = request.access === "write" ? CLAUDE_WRITE_TOOLS : CLAUDE_READ_TOOLS;
  return [...own, ...request.mcpTools.map(mcpToolName), ...request.extraAllowedTools];
}

/** Writes the MCP config (command and args only: no token, no env) and returns its path. */
export function writeClaudeMcpConfig(runDir: string, mcp: TurnRequest["mcp"]): string {
  const file = path.join(runDir, "claude-mcp.json");
  writeFileSync(file, JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: { type: "stdio", command: mcp.command, args: mcp.args } } }, null, 2), { mode: 0o600 });
  return file;
}

/** argv of one headless turn. */
export function claudeArgs(request: Pick<TurnRequest, "prompt" | "access" | "mcpTools" | "extraAllowedTools" | "resumeSessionId" | "model">, mcpConfigPath: string): string[] {
  const args = ["-p", request.prompt, "--output-format", "stream-json", "--verbose", "--mcp-config", mcpConfigPath, "--strict-mcp-config"];
  args.push("--allowedTools", ...claudeAllowedTools(request));
  if (request.resumeSessionId) args.push("--resume", request.resumeSessionId);
  if (request.model) args.push("--model", request.model);
  return args;
}

/** Claude's env: the agent's, plus the switches that make MCP tools available on the first request. */
export function claudeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MCP_CONNECTION_NONBLOCKING: "0", ENABLE_TOOL_SEARCH: "false", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", DISABLE_AUTOUPDATER: "1", GIT_TERMINAL_PROMPT: "0" };
}

export function createClaudeDriver(options: { bin: string; graceMs?: number }): AgentDriver {
  return {
    name: "claude",
    async runTurn(request): Promise<TurnResult> {
      const configPath = writeClaudeMcpConfig(request.runDir, request.mcp);
      const state = newStreamState();
      // The prompt is an argv entry: never log argv (it is long), log what runs.
      request.onLog(`[gastown] running ${options.bin} -p <prompt of ${request.prompt.length} chars>${request.resumeSessionId ? ` --resume ${request.resumeSessionId.slice(0, 8)}` : ""} in ${request.cwd}`);
      const result = await runAgentProcess({
        command: options.bin,
        args: claudeArgs(request, configPath),
        cwd: request.cwd,
        env: claudeEnv(request.env),
        stop: request.stop,
        graceMs: options.graceMs,
        onLine: (line) => {
          for (const readable of consumeStreamLine(state, line)) request.onLog(readable);
          request.onActivity({ ...state.activity, activeTools: [...state.activity.activeTools] });
        },
        onStderr: (line) => line.trim() && request.onLog(`[claude stderr] ${line}`),
      });
      const failed = !!result.spawnError || result.code !== 0 || state.resultError === true;
      const failureReason = result.spawnError
        ? `cannot start ${options.bin} (${result.spawnError})`
        : result.code !== 0
          ? `claude exited with ${result.code ?? result.signal}`
          : state.resultError
            ? `claude reported ${state.resultSubtype ?? "an error"}: ${state.finalText.slice(0, 300)}`
            : undefined;
      return { exitCode: result.code, stopped: result.stopped, failed, failureReason, sessionId: state.sessionId, finalText: state.finalText, calls: state.calls };
    },
  };
}
