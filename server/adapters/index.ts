import { isAbsolute, resolve } from "node:path";
import { loadAdapterConfig, type AdapterConfig } from "./config";
import { createHttpRuntime } from "./agent-runtime/http";
import { describeLocalCommand, type CommandDescription } from "./agent-runtime/describe";
import { LocalProcessRegistry, createLocalRuntime, resolveCommandArgv } from "./agent-runtime/local-process";
import type { AgentExitListener, AgentRuntime } from "./agent-runtime/types";
import { createOctokitGitHub } from "./github/octokit";
import type { GitHub } from "./github/types";
import { repoRefusal, resolveTownGitHubToken, type GitHubTokenResolution, type TownRef } from "./github/tenancy";

/**
 * Picks the real adapters from the operator configuration (SPEC.md §4.4, §4.5).
 *
 * One `Adapters` per app instance: it owns the process table of the `local` runtime, so every town's
 * local agents are observed and stopped through the same registry whichever named command started them.
 * A town stores only a runtime *name*; `createRuntime` refuses names the operator did not configure, so
 * nobody can make the server run a command or call a URL of their choosing.
 */

export type RuntimeKind = "local" | "http";

export interface RuntimeOption {
  name: string;
  kind: RuntimeKind;
}

/** A town names a runtime the operator does not (or no longer does) configure. */
export class UnknownRuntimeError extends Error {
  readonly code = "unknown_runtime";
  constructor(
    readonly runtimeName: string,
    configured: string[],
  ) {
    super(
      `agent runtime '${runtimeName}' is not configured on this server` +
        (configured.length ? ` (configured: ${configured.join(", ")})` : " (none configured)"),
    );
    this.name = "UnknownRuntimeError";
  }
}

export interface Adapters {
  readonly config: AdapterConfig;
  readonly github: GitHub;
  /** The names a town owner may pick (settings page); never commands, URLs or secrets. */
  runtimeOptions(): RuntimeOption[];
  /** Whether a name may be saved as a town's runtime. */
  isKnownRuntime(name: string): boolean;
  /** For a local command: which roles it serves and whether its programs are installed (Settings). */
  describeRuntime(name: string): CommandDescription | null;
  /**
   * The runtime for a town's selected name. No selection → the command named `default` if there is one,
   * else a runtime whose `start` answers "no agent runtime configured" (dispatch fails cleanly).
   * Throws UnknownRuntimeError for a name that is not configured.
   */
  createRuntime(name?: string | null): AgentRuntime;
  /**
   * Town secret `git_auth.github_token`, else the operator's GITHUB_TOKEN when GASTOWN_SHARED_GITHUB_TOKEN
   * allows this town (SPEC.md §3 decision 11, §5 Tenants); else no token, with the reason.
   */
  gitHubTokenFor(town: TownRef, townToken: unknown): GitHubTokenResolution;
  /** The token of `gitHubTokenFor`, or null. */
  resolveGitHubToken(town: TownRef, townToken: unknown): string | null;
  /** Why the server refuses to act on this repository (GASTOWN_ALLOWED_REPOS), or null. */
  repoRefusal(gitUrl: string | null | undefined): string | null;
  /** Where local agent exits go (the tick wiring enqueues `agent_completed`); may be set after creation. */
  setAgentExitListener(listener: AgentExitListener | null): void;
}

export interface CreateAdaptersOptions {
  /** Parsed operator configuration; loaded from process.env when omitted. */
  config?: AdapterConfig;
  /** Directory that relative work roots and command paths resolve against (default: process.cwd()). */
  appDir?: string;
  onAgentExit?: AgentExitListener;
  /** Diagnostics (never secrets). */
  log?: (message: string) => void;
  /** Replace the GitHub adapter (tests). */
  github?: GitHub;
}

export function createAdapters(options: CreateAdaptersOptions = {}): Adapters {
  const config = options.config ?? loadAdapterConfig();
  const appDir = options.appDir ?? process.cwd();
  const log = options.log;
  const registry = new LocalProcessRegistry();
  let exitListener: AgentExitListener | null = options.onAgentExit ?? null;
  const onExit: AgentExitListener = (agentId, exit) => exitListener?.(agentId, exit);
  const workRoot = isAbsolute(config.local.workRoot) ? config.local.workRoot : resolve(appDir, config.local.workRoot);

  const github =
    options.github ?? createOctokitGitHub({ apiUrl: config.github.apiUrl, webUrl: config.github.webUrl, ...(log ? { log } : {}) });

  const names = () => [...Object.keys(config.agentCommands), ...Object.keys(config.httpRuntimes)];
  const cache = new Map<string, AgentRuntime>();

  function localRuntime(name: string | null, argv: string[] | undefined): AgentRuntime {
    return createLocalRuntime({
      name,
      argv: argv ? resolveCommandArgv(argv, appDir) : undefined,
      workRoot,
      baseEnv: config.local.baseEnv,
      stopGraceMs: config.local.stopGraceMs,
      logMaxBytes: config.local.logMaxBytes,
      registry,
      onExit,
      ...(log ? { log } : {}),
    });
  }

  function build(name: string | null): AgentRuntime {
    if (name === null) {
      return config.agentCommands.default ? localRuntime("default", config.agentCommands.default) : localRuntime(null, undefined);
    }
    if (Object.hasOwn(config.agentCommands, name)) return localRuntime(name, config.agentCommands[name]);
    if (Object.hasOwn(config.httpRuntimes, name)) {
      const { url, secret } = config.httpRuntimes[name];
      return createHttpRuntime({ name, url, secret });
    }
    throw new UnknownRuntimeError(name, names());
  }

  return {
    config,
    github,
    runtimeOptions: () => [
      ...Object.keys(config.agentCommands).map((name) => ({ name, kind: "local" as const })),
      ...Object.keys(config.httpRuntimes).map((name) => ({ name, kind: "http" as const })),
    ],
    isKnownRuntime: (name) => Object.hasOwn(config.agentCommands, name) || Object.hasOwn(config.httpRuntimes, name),
    describeRuntime: (name) => (Object.hasOwn(config.agentCommands, name) ? describeLocalCommand(config.agentCommands[name], appDir) : null),
    createRuntime(name) {
      const key = name === undefined || name === null || name === "" ? null : name;
      const cacheKey = key ?? "\u0000none";
      let runtime = cache.get(cacheKey);
      if (!runtime) {
        runtime = build(key);
        cache.set(cacheKey, runtime);
      }
      return runtime;
    },
    gitHubTokenFor: (town, townToken) => resolveTownGitHubToken(config.github, town, townToken),
    resolveGitHubToken: (town, townToken) => resolveTownGitHubToken(config.github, town, townToken).token,
    repoRefusal: (gitUrl) => repoRefusal(config.github.allowedRepos ?? null, config.github.webUrl, gitUrl),
    setAgentExitListener(listener) {
      exitListener = listener;
    },
  };
}

export { loadAdapterConfig, AdapterConfigError } from "./config";
export type { AdapterConfig } from "./config";
export type { TownRef, GitHubTokenResolution } from "./github/tenancy";
export type { GitHub, PrFeedback, PrStatus, MergeResult, CreateBranchResult } from "./github/types";
export { samePrRepo, parsePrUrl, parseRepoUrl, parsePrUrlOrThrow, parseRepoUrlOrThrow, GitHubUrlError } from "./github/types";
export type { AgentRuntime, AgentStartSpec, AgentExit, AgentExitListener, StartResult, StopResult, RuntimeAgentStatus } from "./agent-runtime/types";
export { buildAgentEnv, validateTownEnvKey, validateTownEnvValue, filterTownEnv } from "./agent-runtime/types";
