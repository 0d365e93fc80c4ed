import type { AgentApi, AgentEnv } from "../api-client";
import { formatApiError } from "../api-client";
import type { LauncherOptions } from "./args";
import type { AgentDriver, McpServerCommand } from "./driver";
import type { Activity } from "./stream";

// What every launcher flow (worker.ts, mayor.ts) is given by index.ts: the agent's env and API client,
// the driver for the coding agent, where it works, how it logs and when it must stop.

export interface LauncherContext {
  /** The launcher's own env (process.env): the agent's is derived from it. */
  env: NodeJS.ProcessEnv;
  agentEnv: AgentEnv;
  api: AgentApi;
  driver: AgentDriver;
  options: LauncherOptions;
  /** The agent's working directory (the local runtime's per-agent folder). */
  workDir: string;
  /** `node gastown-agent.mjs mcp`; a refinery's run adds `--extra-tools`. */
  mcp: McpServerCommand;
  /** One line to the agent's log (stdout); redacted of every token the launcher knows. */
  log: (line: string) => void;
  stop: AbortSignal;
  /** The freshest agent token (a heartbeat may have renewed it). */
  currentToken(): string;
}

/** The env a coding agent runs with: no GitHub token (the launcher pushes), the freshest agent token. */
export function agentProcessEnv(ctx: LauncherContext, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.env, GASTOWN_AGENT_TOKEN: ctx.currentToken(), ...extra };
  delete env.GASTOWN_GIT_TOKEN;
  delete env.GITHUB_TOKEN;
  delete env.GH_TOKEN;
  return env;
}

/** Calls a tool; logs and returns false on failure (the message never carries the token). */
export async function callTool(ctx: LauncherContext, tool: string, body: Record<string, unknown>): Promise<{ ok: boolean; body?: unknown }> {
  const result = await ctx.api.call(tool, body);
  if (!result.ok) {
    ctx.log(`[gastown] ${tool} failed: ${formatApiError(result)}`);
    return { ok: false };
  }
  ctx.log(`[gastown] ${tool} → ${result.status}`);
  return { ok: true, body: result.body };
}

/** Heartbeats every `periodMs` with the agent's latest activity until stopped. */
export function startHeartbeats(ctx: LauncherContext, periodMs: number, activity: () => Activity | null, extra: () => Record<string, unknown> = () => ({})) {
  let inFlight = false;
  const beat = async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      const a = activity();
      const body: Record<string, unknown> = { ...extra() };
      if (a?.lastEventType) body.last_event_type = a.lastEventType;
      if (a?.lastEventAt) body.last_event_at = a.lastEventAt;
      if (a) body.active_tools = a.activeTools.slice(0, 100);
      const result = await ctx.api.heartbeat(body);
      if (!result.ok) ctx.log(`[gastown] heartbeat failed: ${formatApiError(result)}`);
      else {
        const answer = result.body as { nudges?: unknown[]; mail?: unknown[] };
        const n = answer.nudges?.length ?? 0;
        const m = answer.mail?.length ?? 0;
        if (n || m) ctx.log(`[gastown] heartbeat delivered ${n} nudge(s) and ${m} mail (read them with gt_mail_check next time; this run cannot be interrupted)`);
      }
    } finally {
      inFlight = false;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), periodMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
