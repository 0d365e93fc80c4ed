import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

// The agent's git workspace (SPEC.md §4.4b): clone the rig, put the right branch in place, push it back.
//
// The GitHub token never reaches a file, a URL or a log line. Git asks for credentials through
// GIT_ASKPASS: a tiny script (no secret in it) that prints the token from an environment variable that
// only the launcher's own git processes get. Why not `-c http.extraHeader=…`: that puts the token in
// git's argv, readable by every user of the host in `ps`; and GIT_CONFIG_COUNT/KEY/VALUE would collide
// with an operator's own GIT_CONFIG_* (the e2e test uses its HOME's .gitconfig for `insteadOf`, real
// operators may use either). Every network git call also runs with `credential.helper=` (empty: no
// helper), so no configured helper can store the token in ~/.git-credentials, and with
// GIT_TERMINAL_PROMPT=0 so a refused token fails instead of hanging on a prompt. The clone URL is the
// rig's plain https URL; a URL with credentials in it is refused outright.

/** The variable the askpass script reads; set only in the env of the launcher's own git processes. */
const ASKPASS_TOKEN_VAR = "GASTOWN_ASKPASS_TOKEN";
/** The user name GitHub expects with an installation or personal token. */
const TOKEN_USER = "x-access-token";
/** Identity of commits the launcher makes itself (a refinery's merge commit). */
export const KIT_GIT_IDENTITY = { name: "Gastown agent", email: "agent@gastown.invalid" };

export type Log = (line: string) => void;

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class GitError extends Error {
  override readonly name = "GitError";
  constructor(
    message: string,
    readonly result: GitResult,
  ) {
    super(message);
  }
}

export interface GitContext {
  /** Directory git runs in (the repository, or its parent for the clone). */
  cwd: string;
  /** The launcher's env (HOME, PATH, maybe an operator's git config); the token is added only where needed. */
  env: NodeJS.ProcessEnv;
  token: string | null;
  /** Where the askpass script lives: a folder of the run, outside the repository. */
  runDir: string;
  log: Log;
}

/** Replaces the token (and its URL-encoded form) in a text about to be printed. */
export function redactToken(text: string, token: string | null): string {
  if (!token || token.length < 4) return text;
  return text.split(token).join("[redacted]").split(encodeURIComponent(token)).join("[redacted]");
}

/** Refuses git URLs that carry credentials (`https://user:pass@host/…`) or are not http(s)/file. */
export function assertPlainGitUrl(gitUrl: string): void {
  let url: URL;
  try {
    url = new URL(gitUrl);
  } catch {
    throw new Error("GASTOWN_GIT_URL is not a URL.");
  }
  if (!["https:", "http:", "file:"].includes(url.protocol)) throw new Error(`GASTOWN_GIT_URL must be an https URL (got ${url.protocol}).`);
  if (url.username || url.password) throw new Error("GASTOWN_GIT_URL must not carry credentials; the token comes from GASTOWN_GIT_TOKEN.");
}

/** Writes the askpass script (idempotent) and returns its path. It contains no secret. */
export function writeAskpass(runDir: string): string {
  mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, "git-askpass.sh");
  // git calls it with the prompt as $1: "Username for 'https://github.com': " or "Password for …".
  writeFileSync(file, `#!/bin/sh\ncase "$1" in\n  Username*) printf '%s\\n' '${TOKEN_USER}' ;;\n  *) printf '%s\\n' "$${ASKPASS_TOKEN_VAR}" ;;\nesac\n`, { mode: 0o700 });
  chmodSync(file, 0o700);
  return file;
}

/** The env of a git process: credentials only when `withToken` (clone, fetch, push). */
export function gitEnv(ctx: Pick<GitContext, "env" | "token" | "runDir">, withToken: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", [ASKPASS_TOKEN_VAR]: "" };
  // Never hand git the runtime's variable itself (a hook or a helper could print its env).
  delete env.GASTOWN_GIT_TOKEN;
  delete env.GASTOWN_AGENT_TOKEN;
  delete env[ASKPASS_TOKEN_VAR];
  delete env.GIT_ASKPASS;
  if (withToken && ctx.token) {
    env.GIT_ASKPASS = writeAskpass(ctx.runDir);
    env[ASKPASS_TOKEN_VAR] = ctx.token;
  }
  return env;
}

/** Runs git without a shell; logs the command and (redacted) failures. Throws GitError on a non-zero exit. */
export async function git(ctx: GitContext, args: string[], opts: { network?: boolean; allowFail?: boolean; quiet?: boolean } = {}): Promise<GitResult> {
  // `credential.helper=` empties the helper list for this call: nothing may store the token.
  const fullArgs = opts.network ? ["-c", "credential.helper=", ...args] : args;
  if (!opts.quiet) ctx.log(redactToken(`$ git ${args.join(" ")}`, ctx.token));
  const result = await new Promise<GitResult>((resolve) => {
    const child = spawn("git", fullArgs, { cwd: ctx.cwd, env: gitEnv(ctx, !!opts.network), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
  if (result.code !== 0 && !opts.allowFail) {
    const detail = redactToken(result.stderr.trim() || result.stdout.trim(), ctx.token).split("\n").slice(-6).join("\n");
    ctx.log(detail);
    throw new GitError(`git ${args[0]} failed (exit ${result.code}): ${detail.split("\n").at(-1) ?? ""}`, { ...result, stderr: redactToken(result.stderr, ctx.token), stdout: redactToken(result.stdout, ctx.token) });
  }
  return result;
}

export interface WorkspaceSpec {
  /** The agent's working directory (kept across dispatches); the checkout goes to `<workDir>/repo`. */
  workDir: string;
  gitUrl: string;
  token: string | null;
  env: NodeJS.ProcessEnv;
  log: Log;
  /**
   * - `work`: a polecat's branch: continue it when the remote has it (a redispatch, a rework, a PR fixup),
   *   else create it from the target.
   * - `review`: a refinery's: the MR's branch as the remote has it (it must exist), and the target fetched.
   */
  mode: "work" | "review";
  branch: string;
  targetBranch: string;
}

export interface Workspace {
  repoDir: string;
  runDir: string;
  branch: string;
  targetBranch: string;
  /** The commit the agent's work starts from (new commits = commits after it). */
  baseSha: string;
  /** Whether the branch already existed on the remote. */
  continued: boolean;
  ctx: GitContext;
}

const REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._\/-]+$/;

/** Branch names come from the server; still, nothing that git could read as an option or a range. */
export function assertBranchName(name: string): void {
  if (!REF_PATTERN.test(name) || name.endsWith(".lock") || name.endsWith("/") || name.endsWith(".")) throw new Error(`Refusing the branch name ${JSON.stringify(name.slice(0, 100))}.`);
}

async function remoteHasBranch(ctx: GitContext, branch: string): Promise<boolean> {
  const r = await git(ctx, ["rev-parse", "--verify", "--quiet", `refs/remotes/origin/${branch}`], { allowFail: true, quiet: true });
  return r.code === 0;
}

/**
 * Clones (or refreshes a kept clone of) the rig into `<workDir>/repo` and checks out the branch to work
 * on. Leftovers of an earlier run in the same directory (uncommitted files, a stale local branch) are
 * dropped: the remote is the truth.
 */
export async function prepareWorkspace(spec: WorkspaceSpec): Promise<Workspace> {
  assertPlainGitUrl(spec.gitUrl);
  assertBranchName(spec.branch);
  assertBranchName(spec.targetBranch);
  const repoDir = path.join(spec.workDir, "repo");
  const runDir = path.join(spec.workDir, ".gastown");
  mkdirSync(runDir, { recursive: true });
  const parent: GitContext = { cwd: spec.workDir, env: spec.env, token: spec.token, runDir, log: spec.log };
  const ctx: GitContext = { ...parent, cwd: repoDir };

  if (existsSync(path.join(repoDir, ".git"))) {
    // Same agent, same directory, a later dispatch: reuse the objects, but take the URL afresh.
    await git(ctx, ["remote", "set-url", "origin", spec.gitUrl]);
    await git(ctx, ["fetch", "--prune", "origin"], { network: true });
  } else {
    await git(parent, ["clone", "--no-checkout", spec.gitUrl, "repo"], { network: true });
  }

  const targetExists = await remoteHasBranch(ctx, spec.targetBranch);
  const continued = await remoteHasBranch(ctx, spec.branch);
  if (spec.mode === "review" && !continued) throw new Error(`The branch ${spec.branch} to review does not exist on the remote.`);
  if (!continued && !targetExists) throw new Error(`The target branch ${spec.targetBranch} does not exist on the remote.`);

  const start = continued ? `origin/${spec.branch}` : `origin/${spec.targetBranch}`;
  await git(ctx, ["checkout", "--force", "-B", spec.branch, start]);
  await git(ctx, ["reset", "--hard", start], { quiet: true });
  await git(ctx, ["clean", "-fdx", "--quiet"], { quiet: true });
  const baseSha = (await git(ctx, ["rev-parse", "HEAD"], { quiet: true })).stdout.trim();
  spec.log(`workspace ready: ${spec.branch} ${continued ? "continued from the remote" : `created from ${spec.targetBranch}`} at ${baseSha.slice(0, 12)}`);
  return { repoDir, runDir, branch: spec.branch, targetBranch: spec.targetBranch, baseSha, continued, ctx };
}

/** Commits on HEAD after `since` (the agent's work). */
export async function commitsSince(ws: Workspace, since = ws.baseSha): Promise<string[]> {
  const r = await git(ws.ctx, ["rev-list", `${since}..HEAD`], { quiet: true });
  return r.stdout.split("\n").filter(Boolean);
}

/** Whether the working tree has changes the agent did not commit. */
export async function hasUncommittedChanges(ws: Workspace): Promise<boolean> {
  const r = await git(ws.ctx, ["status", "--porcelain"], { quiet: true });
  return r.stdout.trim() !== "";
}

/** Pushes HEAD to the branch on the remote (never forced: a continued branch was checked out from it). */
export async function pushBranch(ws: Workspace, branch = ws.branch): Promise<void> {
  assertBranchName(branch);
  await git(ws.ctx, ["push", "origin", `HEAD:refs/heads/${branch}`], { network: true });
}

/** The diff of the branch against its target, for a reviewer (three dots: only the branch's own changes). */
export async function diffAgainstTarget(ws: Workspace): Promise<string> {
  return (await git(ws.ctx, ["diff", `origin/${ws.targetBranch}...HEAD`], { quiet: true })).stdout;
}

/**
 * A refinery's direct-strategy landing: merge the reviewed branch into the target with --no-ff and push
 * the target. Throws on a conflict (the merge is aborted first, so the checkout stays clean).
 */
export async function mergeIntoTarget(ws: Workspace, message: string): Promise<string> {
  await git(ws.ctx, ["fetch", "origin"], { network: true });
  await git(ws.ctx, ["checkout", "--force", "-B", ws.targetBranch, `origin/${ws.targetBranch}`]);
  const merged = await git(
    ws.ctx,
    ["-c", `user.name=${KIT_GIT_IDENTITY.name}`, "-c", `user.email=${KIT_GIT_IDENTITY.email}`, "merge", "--no-ff", "-m", message, `origin/${ws.branch}`],
    { allowFail: true },
  );
  if (merged.code !== 0) {
    await git(ws.ctx, ["merge", "--abort"], { allowFail: true, quiet: true });
    throw new GitError(`merging ${ws.branch} into ${ws.targetBranch} failed (conflict?)`, merged);
  }
  await git(ws.ctx, ["push", "origin", `HEAD:refs/heads/${ws.targetBranch}`], { network: true });
  return (await git(ws.ctx, ["rev-parse", "HEAD"], { quiet: true })).stdout.trim();
}
