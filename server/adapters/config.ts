import { z } from "zod";
import { parseAllowedRepos, parseSharedTokenPolicy, type RepoPattern, type SharedTokenPolicy } from "./github/tenancy";

/**
 * Operator configuration of the adapters (SPEC.md §4.4, §4.5), parsed once from the environment.
 *
 * This is the only file under server/adapters that reads `process.env`; every adapter receives what it
 * needs as arguments, so tests can build them against local servers without touching the environment.
 *
 * Formats:
 * - `GITHUB_API_URL` (default `https://api.github.com`), `GITHUB_WEB_URL` (default `https://github.com`),
 *   `GITHUB_TOKEN` (optional fallback when a town has no token of its own, and only for the towns that
 *   `GASTOWN_SHARED_GITHUB_TOKEN` allows: `all`, or `owner:<email>,town:<id>,…`; default nobody).
 * - `GASTOWN_ALLOWED_REPOS`: optional allow-list of repositories, `owner/repo` or `owner/*`, comma-separated.
 * - `GASTOWN_AGENT_COMMANDS`: `name=command args,other=command args` — entries separated by commas (so a
 *   command cannot contain a comma), the command split into argv like a shell would split words (single
 *   and double quotes group, no expansion, no shell is ever run).
 * - `GASTOWN_AGENT_COMMAND`: one command, registered under the name `default`.
 * - `GASTOWN_RUNTIMES`: `name=https://host:port|secret,other=http://host|secret2` — named http runtimes;
 *   the secret is everything after the first `|` and may contain neither `,` nor `|`.
 * - `GASTOWN_AGENT_WORK_ROOT` (default `.data/agents`), `GASTOWN_AGENT_STOP_GRACE_MS` (default 10000),
 *   `GASTOWN_AGENT_LOG_MAX_BYTES` (default 1 MiB): the `local` runtime's working directories, SIGTERM →
 *   SIGKILL grace period and log cap.
 *
 * Runtime names share one namespace (a town stores just the name), so a name may appear only once.
 */

export const DEFAULT_GITHUB_API_URL = "https://api.github.com";
export const DEFAULT_GITHUB_WEB_URL = "https://github.com";
export const DEFAULT_AGENT_WORK_ROOT = ".data/agents";
export const DEFAULT_STOP_GRACE_MS = 10_000;
export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;

export const RUNTIME_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface HttpRuntimeConfig {
  url: string;
  secret: string;
}

export interface AdapterConfig {
  github: {
    /** REST base URL without a trailing slash. */
    apiUrl: string;
    /** Web host on which rig and PR URLs live, without a trailing slash. */
    webUrl: string;
    /** Operator-wide token, used when a town has none and the policy allows it (SPEC.md §3 decision 11, §5). */
    token?: string;
    /** Who may use `token` (GASTOWN_SHARED_GITHUB_TOKEN); absent = nobody. */
    sharedToken?: SharedTokenPolicy;
    /** GASTOWN_ALLOWED_REPOS; null or absent = any repository on the web host. */
    allowedRepos?: RepoPattern[] | null;
  };
  /** Named commands for the `local` runtime, already split into argv. */
  agentCommands: Record<string, string[]>;
  /** Named `http` runtimes. */
  httpRuntimes: Record<string, HttpRuntimeConfig>;
  local: {
    workRoot: string;
    stopGraceMs: number;
    logMaxBytes: number;
    /** The only host variables a local agent inherits (PATH, HOME); everything else comes from the contract. */
    baseEnv: Record<string, string>;
  };
}

/** A configuration mistake of the operator; the message names the variable, never a secret value. */
export class AdapterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdapterConfigError";
  }
}

/**
 * Split a command line into argv the way a POSIX shell splits words, without any expansion:
 * whitespace separates, '…' groups literally, "…" groups with \" and \\ escapes, \x outside quotes
 * escapes x. Throws on an unterminated quote.
 */
export function splitCommandLine(command: string): string[] {
  const args: string[] = [];
  let current = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (quote === "'") {
      if (ch === "'") quote = null;
      else current += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === "\\" && (command[i + 1] === '"' || command[i + 1] === "\\")) current += command[++i];
      else current += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) args.push(current);
      current = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "\\" && i + 1 < command.length) current += command[++i];
    else current += ch;
  }
  if (quote) throw new AdapterConfigError("unterminated quote in command");
  if (inWord) args.push(current);
  return args;
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

function httpUrl(variable: string, fallback: string) {
  return optionalString.transform((value, ctx) => {
    const raw = value ?? fallback;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: `${variable} is not a URL` });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({ code: "custom", message: `${variable} must be an http(s) URL` });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({ code: "custom", message: `${variable} must not carry credentials, a query or a fragment` });
      return z.NEVER;
    }
    return url.toString().replace(/\/+$/, "");
  });
}

function positiveInt(variable: string, fallback: number) {
  return optionalString.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) {
      ctx.addIssue({ code: "custom", message: `${variable} must be a positive integer` });
      return z.NEVER;
    }
    return n;
  });
}

/** `name=value,name=value` entries; the value is everything after the first `=`. */
function parseEntries(variable: string, raw: string): Array<{ name: string; value: string }> {
  const entries: Array<{ name: string; value: string }> = [];
  raw.split(",").forEach((part, index) => {
    const entry = part.trim();
    if (entry === "") return;
    const eq = entry.indexOf("=");
    const name = eq > 0 ? entry.slice(0, eq).trim() : "";
    if (!RUNTIME_NAME_PATTERN.test(name)) {
      throw new AdapterConfigError(
        `${variable}: entry ${index + 1} must look like name=value with a name of letters, digits, '_', '.', '-'`,
      );
    }
    entries.push({ name, value: entry.slice(eq + 1).trim() });
  });
  return entries;
}

function parseCommands(commands: string | undefined, single: string | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const add = (variable: string, name: string, command: string) => {
    if (result[name]) throw new AdapterConfigError(`${variable}: the runtime name '${name}' is defined twice`);
    let argv: string[];
    try {
      argv = splitCommandLine(command);
    } catch {
      throw new AdapterConfigError(`${variable}: the command of '${name}' has an unterminated quote`);
    }
    if (argv.length === 0) throw new AdapterConfigError(`${variable}: the command of '${name}' is empty`);
    result[name] = argv;
  };
  if (commands) for (const { name, value } of parseEntries("GASTOWN_AGENT_COMMANDS", commands)) add("GASTOWN_AGENT_COMMANDS", name, value);
  if (single) add("GASTOWN_AGENT_COMMAND", "default", single);
  return result;
}

function parseRuntimes(raw: string | undefined): Record<string, HttpRuntimeConfig> {
  const result: Record<string, HttpRuntimeConfig> = {};
  if (!raw) return result;
  for (const { name, value } of parseEntries("GASTOWN_RUNTIMES", raw)) {
    if (result[name]) throw new AdapterConfigError(`GASTOWN_RUNTIMES: the runtime name '${name}' is defined twice`);
    const bar = value.indexOf("|");
    const rawUrl = bar >= 0 ? value.slice(0, bar).trim() : value;
    const secret = bar >= 0 ? value.slice(bar + 1).trim() : "";
    // Messages below name the runtime but never echo the value: it contains the secret.
    if (!secret) throw new AdapterConfigError(`GASTOWN_RUNTIMES: runtime '${name}' needs a secret (name=url|secret)`);
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new AdapterConfigError(`GASTOWN_RUNTIMES: runtime '${name}' has an invalid URL`);
    }
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
      throw new AdapterConfigError(
        `GASTOWN_RUNTIMES: runtime '${name}' needs a plain http(s) URL (no credentials, query or fragment)`,
      );
    }
    result[name] = { url: url.toString().replace(/\/+$/, ""), secret };
  }
  return result;
}

const EnvSchema = z.object({
  GITHUB_API_URL: httpUrl("GITHUB_API_URL", DEFAULT_GITHUB_API_URL),
  GITHUB_WEB_URL: httpUrl("GITHUB_WEB_URL", DEFAULT_GITHUB_WEB_URL),
  GITHUB_TOKEN: optionalString,
  GASTOWN_SHARED_GITHUB_TOKEN: optionalString,
  GASTOWN_ALLOWED_REPOS: optionalString,
  GASTOWN_AGENT_COMMANDS: optionalString,
  GASTOWN_AGENT_COMMAND: optionalString,
  GASTOWN_RUNTIMES: optionalString,
  GASTOWN_AGENT_WORK_ROOT: optionalString,
  GASTOWN_AGENT_STOP_GRACE_MS: positiveInt("GASTOWN_AGENT_STOP_GRACE_MS", DEFAULT_STOP_GRACE_MS),
  GASTOWN_AGENT_LOG_MAX_BYTES: positiveInt("GASTOWN_AGENT_LOG_MAX_BYTES", DEFAULT_LOG_MAX_BYTES),
  PATH: optionalString,
  HOME: optionalString,
});

/** Parse the operator configuration; throws AdapterConfigError listing every problem (never a secret). */
export function loadAdapterConfig(env: Record<string, string | undefined> = process.env): AdapterConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new AdapterConfigError(parsed.error.issues.map((issue) => issue.message).join("; "));
  }
  const e = parsed.data;
  const agentCommands = parseCommands(e.GASTOWN_AGENT_COMMANDS, e.GASTOWN_AGENT_COMMAND);
  const httpRuntimes = parseRuntimes(e.GASTOWN_RUNTIMES);
  for (const name of Object.keys(httpRuntimes)) {
    if (agentCommands[name]) {
      throw new AdapterConfigError(`the runtime name '${name}' is both an agent command and an http runtime`);
    }
  }
  let sharedToken: SharedTokenPolicy;
  let allowedRepos: RepoPattern[] | null;
  try {
    sharedToken = parseSharedTokenPolicy(e.GASTOWN_SHARED_GITHUB_TOKEN);
    allowedRepos = parseAllowedRepos(e.GASTOWN_ALLOWED_REPOS);
  } catch (err) {
    throw new AdapterConfigError(err instanceof Error ? err.message : String(err));
  }
  const baseEnv: Record<string, string> = {};
  if (e.PATH) baseEnv.PATH = e.PATH;
  if (e.HOME) baseEnv.HOME = e.HOME;
  return {
    github: {
      apiUrl: e.GITHUB_API_URL,
      webUrl: e.GITHUB_WEB_URL,
      ...(e.GITHUB_TOKEN ? { token: e.GITHUB_TOKEN } : {}),
      sharedToken,
      allowedRepos,
    },
    agentCommands,
    httpRuntimes,
    local: {
      workRoot: e.GASTOWN_AGENT_WORK_ROOT ?? DEFAULT_AGENT_WORK_ROOT,
      stopGraceMs: e.GASTOWN_AGENT_STOP_GRACE_MS,
      logMaxBytes: e.GASTOWN_AGENT_LOG_MAX_BYTES,
      baseEnv,
    },
  };
}
