// `gastown-agent run <claude|codex> [options]`: the operator's command line (GASTOWN_AGENT_COMMANDS),
// e.g. `claude=node agent-kit/bin/gastown-agent.mjs run claude --bin .cache/claude-code/node_modules/.bin/claude`.
// Options live on the command line, not in env vars: the local runtime passes only PATH, HOME and the
// env contract to agents, and town owners cannot set GASTOWN_* variables.

export const LAUNCHER_USAGE = `usage: gastown-agent run <claude|codex> [options]

  --bin <path>                 the agent CLI (default: claude / codex from PATH)
  --model <name>               model to ask for
  --heartbeat-ms <ms>          gt_heartbeat period while the agent works (default 30000)
  --mayor-poll-ms <ms>         the mayor's waiting heartbeat period (default 2500)
  --idle-timeout-ms <ms>       the mayor exits 0 after this long without mail (default 1800000)
  --stop-grace-ms <ms>         SIGTERM → SIGKILL grace for the agent process (default 5000)
  --test-command <command>     the repository's test command, named in the instructions
  --allow-tool <pattern>       one more allowed tool (repeatable), e.g. 'Bash(pnpm test:*)'

Environment: the env contract of SPEC.md §4.4 (GASTOWN_API_URL, GASTOWN_AGENT_TOKEN, GASTOWN_AGENT_ROLE,
GASTOWN_GIT_URL, GASTOWN_GIT_TOKEN, GASTOWN_BRANCH, GASTOWN_TARGET_BRANCH, GASTOWN_PR_URL, GASTOWN_PROMPT);
GITHUB_API_URL / GITHUB_WEB_URL (town env vars) when the rig is not on github.com.`;

export interface LauncherOptions {
  agent: "claude" | "codex";
  bin: string;
  model?: string;
  heartbeatMs: number;
  mayorPollMs: number;
  idleTimeoutMs: number;
  stopGraceMs: number;
  testCommand?: string;
  extraAllowedTools: string[];
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const NUMERIC: Record<string, keyof LauncherOptions> = {
  "--heartbeat-ms": "heartbeatMs",
  "--mayor-poll-ms": "mayorPollMs",
  "--idle-timeout-ms": "idleTimeoutMs",
  "--stop-grace-ms": "stopGraceMs",
};

export function parseLauncherArgs(args: string[]): LauncherOptions {
  const [agent, ...rest] = args;
  if (agent !== "claude" && agent !== "codex") throw new UsageError(agent ? `unknown agent ${JSON.stringify(agent.slice(0, 40))}: claude or codex` : "which agent? claude or codex");
  const options: LauncherOptions = { agent, bin: agent, heartbeatMs: 30_000, mayorPollMs: 2_500, idleTimeoutMs: 30 * 60_000, stopGraceMs: 5_000, extraAllowedTools: [] };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const [name, inline] = flag.includes("=") ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)] : [flag, undefined];
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === "") throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name in NUMERIC) {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} must be a positive number of milliseconds (got ${JSON.stringify(raw.slice(0, 20))})`);
      (options as unknown as Record<string, number>)[NUMERIC[name]] = n;
    } else if (name === "--bin") options.bin = value();
    else if (name === "--model") options.model = value();
    else if (name === "--test-command") options.testCommand = value();
    else if (name === "--allow-tool") options.extraAllowedTools.push(value());
    else throw new UsageError(`unknown option ${JSON.stringify(name.slice(0, 40))}`);
  }
  return options;
}
