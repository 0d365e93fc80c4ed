/**
 * The AgentRuntime port (SPEC.md §4.4): how agents are started, stopped and observed.
 *
 * Adapters never throw across this port. `start` answers a refusal as `{started: false, reason}` so the
 * dispatch side effect can enqueue `dispatch_failed`; `stop` and `status` degrade the same way. What may
 * run is fixed by the operator (`GASTOWN_AGENT_COMMANDS` / `GASTOWN_RUNTIMES`); a town only picks a name.
 */

export type AgentRole = "mayor" | "polecat" | "refinery";

export interface AgentStartSpec {
  agentId: string;
  role: AgentRole;
  townId: string;
  /** Null for the mayor (town-level). */
  rigId: string | null;
  /** The hooked bead; null for an un-hooked mayor. */
  beadId: string | null;
  branch: string | null;
  targetBranch: string | null;
  /** The PR a refinery reviews (merge strategy `pr`). */
  prUrl?: string | null;
  gitUrl: string | null;
  prompt: string;
  /** Base URL of our app; agents call `${apiUrl}/api/agent/<tool>`. */
  apiUrl: string;
  agentToken: string;
  /** Resolved GitHub token (town secret, else GITHUB_TOKEN) for clone, push and PR creation. */
  gitToken: string | null;
  /** The town's env vars; keys were validated when saved and are filtered again here. */
  townEnv: Record<string, string>;
}

export type StartResult = { started: true; pid?: number; logPath?: string } | { started: false; reason: string };

export type StopResult = { stopped: true } | { stopped: false; reason: string };

export type RuntimeAgentStatus = { status: "running" | "exited" | "not_found"; exitCode?: number | null };

/** What the tick wiring turns into an `agent_completed` event. */
export interface AgentExit {
  status: "completed" | "failed";
  reason: string;
  exitCode: number | null;
  signal: string | null;
  /** Set when the process ended because `stop` was called (with the stop reason). */
  stoppedWith?: string;
}

export type AgentExitListener = (agentId: string, exit: AgentExit) => void | Promise<void>;

export interface AgentRuntime {
  /** `local` or `http`, and the operator's name for it. */
  readonly kind: "local" | "http" | "none";
  readonly name: string | null;
  start(spec: AgentStartSpec): Promise<StartResult>;
  stop(agentId: string, reason: string): Promise<StopResult>;
  /**
   * Status per agent. An agent whose status could not be read (runtime unreachable) is left out of the
   * map, so the caller never mistakes an outage for `not_found`.
   */
  status(agentIds: string[]): Promise<Map<string, RuntimeAgentStatus>>;
  /** The tail of the agent's log (at most maxBytes), or null when this runtime keeps none for it. */
  readLog(agentId: string, maxBytes: number): Promise<string | null>;
}

// ------------------------------------------------------------------------------------------ env contract

export type EnvKeyCheck = { ok: true } | { ok: false; reason: string };

const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Keys that change how the agent's command, its interpreter, the dynamic loader or git behave, rather
 * than being data for the agent: a town owner must not be able to run code around the operator's
 * command (or redirect the agent's git credentials) through them.
 */
const REFUSED_KEYS: Record<string, string> = {
  PATH: "PATH is set by the operator",
  HOME: "HOME is set by the operator",
  NODE_OPTIONS: "NODE_OPTIONS can load code into the agent process",
  NODE_PATH: "NODE_PATH can substitute modules of the agent process",
  NODE_EXTRA_CA_CERTS: "NODE_EXTRA_CA_CERTS changes which TLS certificates are trusted",
  NODE_TLS_REJECT_UNAUTHORIZED: "NODE_TLS_REJECT_UNAUTHORIZED disables TLS verification",
  NODE_REPL_EXTERNAL_MODULE: "NODE_REPL_EXTERNAL_MODULE can load code into the agent process",
  BASH_ENV: "BASH_ENV runs a script in every non-interactive bash",
  ENV: "ENV runs a script in every sh",
  SHELLOPTS: "SHELLOPTS changes how shells behave",
  BASHOPTS: "BASHOPTS changes how shells behave",
  PS4: "PS4 is expanded (and can run commands) in traced shells",
  PROMPT_COMMAND: "PROMPT_COMMAND runs a command in shells",
  IFS: "IFS changes how shells split words",
  GLIBC_TUNABLES: "GLIBC_TUNABLES changes the C library's behaviour",
  PYTHONSTARTUP: "PYTHONSTARTUP runs a script in Python",
  PYTHONPATH: "PYTHONPATH can substitute Python modules",
  PYTHONHOME: "PYTHONHOME can substitute the Python library",
  PERL5OPT: "PERL5OPT can load code into Perl",
  PERL5LIB: "PERL5LIB can substitute Perl modules",
  PERLLIB: "PERLLIB can substitute Perl modules",
  RUBYOPT: "RUBYOPT can load code into Ruby",
  RUBYLIB: "RUBYLIB can substitute Ruby libraries",
  JAVA_TOOL_OPTIONS: "JAVA_TOOL_OPTIONS can load agents into the JVM",
  _JAVA_OPTIONS: "_JAVA_OPTIONS can load agents into the JVM",
  JDK_JAVA_OPTIONS: "JDK_JAVA_OPTIONS can load agents into the JVM",
  GIT_SSH: "GIT_SSH runs a program for git",
  GIT_SSH_COMMAND: "GIT_SSH_COMMAND runs a program for git",
  GIT_ASKPASS: "GIT_ASKPASS runs a program for git (and sees credentials)",
  SSH_ASKPASS: "SSH_ASKPASS runs a program (and sees credentials)",
  GIT_EXEC_PATH: "GIT_EXEC_PATH substitutes git's own programs",
  GIT_PROXY_COMMAND: "GIT_PROXY_COMMAND runs a program for git",
  GIT_TEMPLATE_DIR: "GIT_TEMPLATE_DIR can install git hooks",
  GIT_CONFIG: "GIT_CONFIG replaces git's configuration",
  GIT_CONFIG_GLOBAL: "GIT_CONFIG_GLOBAL replaces git's configuration",
  GIT_CONFIG_SYSTEM: "GIT_CONFIG_SYSTEM replaces git's configuration",
  GIT_CONFIG_PARAMETERS: "GIT_CONFIG_PARAMETERS injects git configuration",
};

const REFUSED_PREFIXES: Array<[string, string]> = [
  ["GASTOWN_", "GASTOWN_* variables are the agent contract and set by the runtime"],
  ["LD_", "LD_* variables control the dynamic loader"],
  ["DYLD_", "DYLD_* variables control the dynamic loader"],
  ["BASH_FUNC_", "BASH_FUNC_* variables define shell functions"],
  ["GIT_CONFIG_", "GIT_CONFIG_* variables inject git configuration"],
];

/** Why a town env var key may not be saved (SPEC.md §4.4), or ok. Case-insensitive on purpose. */
export function validateTownEnvKey(key: string): EnvKeyCheck {
  if (!ENV_KEY_PATTERN.test(key)) {
    return { ok: false, reason: "env var names use letters, digits and '_' and do not start with a digit" };
  }
  if (key.length > 128) return { ok: false, reason: "env var names are at most 128 characters" };
  const upper = key.toUpperCase();
  if (REFUSED_KEYS[upper]) return { ok: false, reason: `${key} is not allowed: ${REFUSED_KEYS[upper]}` };
  for (const [prefix, why] of REFUSED_PREFIXES) {
    if (upper.startsWith(prefix)) return { ok: false, reason: `${key} is not allowed: ${why}` };
  }
  return { ok: true };
}

/** Values must survive being passed to a process: no NUL byte, at most 32 KiB. */
export function validateTownEnvValue(value: string): EnvKeyCheck {
  if (value.includes("\u0000")) return { ok: false, reason: "env var values cannot contain a NUL character" };
  if (Buffer.byteLength(value, "utf8") > 32 * 1024) return { ok: false, reason: "env var values are at most 32 KiB" };
  return { ok: true };
}

/** The town env vars that may reach an agent, and the ones dropped (keys only, values are secrets). */
export function filterTownEnv(townEnv: Record<string, string>): { env: Record<string, string>; refused: Array<{ key: string; reason: string }> } {
  const env: Record<string, string> = {};
  const refused: Array<{ key: string; reason: string }> = [];
  for (const [key, value] of Object.entries(townEnv)) {
    const check = validateTownEnvKey(key);
    const valueCheck = typeof value === "string" ? validateTownEnvValue(value) : ({ ok: false, reason: "not a string" } as const);
    if (!check.ok) refused.push({ key, reason: check.reason });
    else if (!valueCheck.ok) refused.push({ key, reason: valueCheck.reason });
    else env[key] = value;
  }
  return { env, refused };
}

/**
 * The env contract of an agent (SPEC.md §4.4): the town's env vars (filtered) overlaid by the GASTOWN_*
 * variables, so a town can never shadow the contract. Variables without a value (the mayor has no rig,
 * bead or branch; only refinery reviews carry a PR URL) are left out rather than set empty.
 */
export function buildAgentEnv(spec: AgentStartSpec): Record<string, string> {
  const contract: Record<string, string | null | undefined> = {
    GASTOWN_API_URL: spec.apiUrl,
    GASTOWN_AGENT_TOKEN: spec.agentToken,
    GASTOWN_AGENT_ID: spec.agentId,
    GASTOWN_AGENT_ROLE: spec.role,
    GASTOWN_TOWN_ID: spec.townId,
    GASTOWN_RIG_ID: spec.rigId,
    GASTOWN_BEAD_ID: spec.beadId,
    GASTOWN_BRANCH: spec.branch,
    GASTOWN_TARGET_BRANCH: spec.targetBranch,
    GASTOWN_PR_URL: spec.prUrl,
    GASTOWN_GIT_URL: spec.gitUrl,
    GASTOWN_GIT_TOKEN: spec.gitToken,
    GASTOWN_PROMPT: spec.prompt,
  };
  const env: Record<string, string> = { ...filterTownEnv(spec.townEnv).env };
  for (const [key, value] of Object.entries(contract)) {
    if (value !== null && value !== undefined && value !== "") env[key] = value;
  }
  return env;
}

/** Agent ids become directory and file names and URL path segments: keep them boring. */
export function isSafeAgentId(agentId: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(agentId);
}
