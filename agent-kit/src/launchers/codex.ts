import { MCP_SERVER_NAME } from "../mcp";
import type { AgentDriver, TurnRequest, TurnResult } from "./driver";
import { runAgentProcess } from "./process";
import type { Activity, ToolCall } from "./stream";

// Codex CLI (`@openai/codex`), headless: `codex exec --json`, from its documentation (see the README's
// "Run it with Codex" for what was and was not verified on this machine):
// - The MCP server comes from `-c mcp_servers.gastown.command=…` / `.args=[…]` overrides: Codex has no
//   `--mcp-config` file flag, and overrides write nothing to disk.
// - Codex starts MCP servers with a small whitelist of its env, NOT all of it (unlike Claude Code), so the
//   variables the server needs are forwarded BY NAME with `mcp_servers.gastown.env_vars=[…]`: the token
//   stays in the environment, never in argv or a file.
// - `--sandbox workspace-write` for a polecat (it edits and commits), `read-only` for a refinery and the
//   mayor; `approval_policy="never"` (there is nobody to ask); `--cd` the repository.
// - The provider is Codex's default OpenAI one: OPENAI_API_KEY from the town's env vars, and OPENAI_BASE_URL
//   turned into `-c openai_base_url=…` (see codexArgs).
// - `--json` prints JSONL events: thread.started {thread_id}, item.started / item.completed {item: {type:
//   agent_message | command_execution | mcp_tool_call | file_change …}}, turn.completed, turn.failed, error.
// - The mayor continues its conversation with `codex exec resume <thread_id> <prompt>`.

/** Env the gastown MCP server needs; forwarded by name. */
export const CODEX_MCP_ENV_VARS = [
  "GASTOWN_API_URL",
  "GASTOWN_AGENT_TOKEN",
  "GASTOWN_AGENT_ROLE",
  "GASTOWN_AGENT_ID",
  "GASTOWN_TOWN_ID",
  "GASTOWN_RIG_ID",
  "GASTOWN_BEAD_ID",
  "GASTOWN_BRANCH",
  "GASTOWN_TARGET_BRANCH",
  "GASTOWN_PR_URL",
  "GASTOWN_REVIEW_VERDICT_FILE",
];

/** A TOML value for a `-c key=value` override (strings and string arrays are all we need). */
export const toml = (value: string | string[]): string => (Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(",")}]` : JSON.stringify(value));

export function codexArgs(request: Pick<TurnRequest, "prompt" | "cwd" | "access" | "mcp" | "resumeSessionId" | "model">, env: Record<string, string | undefined> = {}): string[] {
  const server = `mcp_servers.${MCP_SERVER_NAME}`;
  const args = ["exec"];
  if (request.resumeSessionId) args.push("resume", request.resumeSessionId);
  args.push(
    "--json",
    "--skip-git-repo-check",
    "--cd",
    request.cwd,
    "--sandbox",
    request.access === "write" ? "workspace-write" : "read-only",
    "-c",
    `approval_policy=${toml("never")}`,
    "-c",
    `${server}.command=${toml(request.mcp.command)}`,
    "-c",
    `${server}.args=${toml(request.mcp.args)}`,
    "-c",
    `${server}.env_vars=${toml(CODEX_MCP_ENV_VARS)}`,
    // Without this, exec cancels MCP tool calls it would have to ask about (openai/codex#24135).
    "-c",
    `${server}.default_tools_approval_mode=${toml("approve")}`,
  );
  // Verified with codex-cli 0.171.0: the OPENAI_BASE_URL env var was NOT honoured (it went to api.openai.com),
  // the `openai_base_url` config key was. A town's OPENAI_BASE_URL is passed that way (a URL, not a secret).
  if (env.OPENAI_BASE_URL) args.push("-c", `openai_base_url=${toml(env.OPENAI_BASE_URL)}`);
  if (request.model) args.push("--model", request.model);
  // The prompt from stdin (`-`): it can be long, and argv is visible to every user of the host.
  args.push("-");
  return args;
}

/** Feeds one JSONL event; returns readable lines. */
export function consumeCodexLine(state: { threadId: string | null; finalText: string; failed: string | null; calls: ToolCall[]; activity: Activity }, line: string): string[] {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line);
  } catch {
    return line.trim() ? [line.trim()] : [];
  }
  const touch = (type: string) => {
    state.activity.lastEventType = type.slice(0, 200);
    state.activity.lastEventAt = new Date().toISOString();
  };
  const item = (event.item ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case "thread.started":
      state.threadId = typeof event.thread_id === "string" ? event.thread_id : state.threadId;
      touch("session_start");
      return [`[codex] thread ${String(state.threadId ?? "?").slice(0, 8)} started`];
    case "item.started":
    case "item.completed": {
      const kind = String(item.type ?? "item");
      const done = event.type === "item.completed";
      touch(`${kind}${done ? "" : ":started"}`);
      if (kind === "agent_message" && done) {
        state.finalText = String(item.text ?? "");
        return [`[codex] ${state.finalText.replace(/\s+/g, " ").slice(0, 400)}`];
      }
      if (kind === "mcp_tool_call") {
        const name = `mcp__${String(item.server ?? "?")}__${String(item.tool ?? "?")}`;
        const id = String(item.id ?? name);
        let call = state.calls.find((c) => c.id === id);
        if (!call) state.calls.push((call = { id, name, input: (item.arguments ?? {}) as Record<string, unknown> }));
        if (done) call.ok = item.status === "completed" && !item.error;
        state.activity.activeTools = state.calls.filter((c) => c.ok === undefined).map((c) => c.name);
        return [`[codex] ${done ? "←" : "→"} ${name}${done ? ` ${call.ok ? "ok" : "ERROR"}` : ""}`];
      }
      if (kind === "command_execution") return [`[codex] ${done ? "←" : "→"} $ ${String(item.command ?? "").slice(0, 200)}${done ? ` (exit ${String(item.exit_code ?? "?")})` : ""}`];
      if (kind === "file_change" && done) return [`[codex] files changed`];
      return [];
    }
    case "turn.completed":
      touch("result");
      return ["[codex] turn completed"];
    case "turn.failed":
    case "error": {
      const message = String((event.error as { message?: unknown })?.message ?? event.message ?? "error");
      // "Reconnecting... 2/5 (…)" errors are transient notices; the run fails on turn.failed or a final error.
      if (!(event.type === "error" && /^Reconnecting\b/.test(message))) state.failed = message;
      touch("error");
      return [`[codex] ${event.type}: ${message.slice(0, 400)}`];
    }
    default:
      return [];
  }
}

export function createCodexDriver(options: { bin: string; graceMs?: number }): AgentDriver {
  return {
    name: "codex",
    async runTurn(request): Promise<TurnResult> {
      const state = { threadId: null as string | null, finalText: "", failed: null as string | null, calls: [] as ToolCall[], activity: { lastEventType: null, lastEventAt: null, activeTools: [] } as Activity };
      request.onLog(`[gastown] running ${options.bin} exec --json${request.resumeSessionId ? ` resume ${request.resumeSessionId.slice(0, 8)}` : ""} in ${request.cwd}`);
      // Codex is not told about a tool allow-list the way Claude is: its sandbox is the limit.
      const result = await runAgentProcess({
        command: options.bin,
        args: codexArgs(request, request.env),
        cwd: request.cwd,
        env: { ...request.env, GIT_TERMINAL_PROMPT: "0" },
        stdin: request.prompt,
        stop: request.stop,
        graceMs: options.graceMs,
        onLine: (line) => {
          for (const readable of consumeCodexLine(state, line)) request.onLog(readable);
          request.onActivity({ ...state.activity, activeTools: [...state.activity.activeTools] });
        },
        onStderr: (line) => line.trim() && request.onLog(`[codex stderr] ${line}`),
      });
      const failed = !!result.spawnError || result.code !== 0 || state.failed !== null;
      const failureReason = result.spawnError ? `cannot start ${options.bin} (${result.spawnError})` : (state.failed ?? (result.code !== 0 ? `codex exited with ${result.code ?? result.signal}` : undefined));
      return { exitCode: result.code, stopped: result.stopped, failed, failureReason, sessionId: state.threadId, finalText: state.finalText, calls: state.calls };
    },
  };
}
