import { parseRepoUrl, type RepoRef } from "./types";

/**
 * Which town may act on GitHub with which credential, and on which repositories (SPEC.md §5 "Tenants").
 *
 * Pure: the operator's policy is parsed once by config.ts and passed in. Every place that needs a GitHub
 * token for a town (PR polls and merges in the tick, the agent's `GASTOWN_GIT_TOKEN` at dispatch, convoy
 * feature branches, the overview banner and the Settings notice) asks `resolveTownGitHubToken`, so a town
 * gets the operator's `GITHUB_TOKEN` only when `GASTOWN_SHARED_GITHUB_TOKEN` names it, and an empty or blank
 * town token means "none" everywhere.
 *
 * Formats:
 * - `GASTOWN_SHARED_GITHUB_TOKEN`: unset or `none` → the operator's token serves nobody; `all` → every town;
 *   otherwise comma-separated `owner:<email>` (towns whose owner has that email, case-insensitive) and
 *   `town:<town id>` entries, e.g. `owner:alice@acme.com,town:6f1c…`.
 * - `GASTOWN_ALLOWED_REPOS`: unset → any repository on GITHUB_WEB_URL's host; otherwise comma-separated
 *   `owner/repo` or `owner/*` (case-insensitive), e.g. `acme/*,other/one`.
 */

export interface SharedTokenPolicy {
  all: boolean;
  /** lower-cased owner emails */
  owners: string[];
  townIds: string[];
}

export const NOBODY: SharedTokenPolicy = { all: false, owners: [], townIds: [] };

/** What identifies a town for the shared-token policy. */
export interface TownRef {
  id: string;
  ownerEmail: string | null;
}

export type GitHubTokenResolution =
  | { token: string; source: "town" | "shared" }
  | { token: null; source: null; problem: "none_configured" | "shared_not_allowed"; message: string };

/** A repository pattern of GASTOWN_ALLOWED_REPOS: `owner/repo` or `owner/*`, lower-cased. */
export interface RepoPattern {
  owner: string;
  repo: string | "*";
}

/** Throws `Error` with a message naming the variable and the bad entry (these values are not secrets). */
export function parseSharedTokenPolicy(raw: string | undefined): SharedTokenPolicy {
  const entries = (raw ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  const policy: SharedTokenPolicy = { all: false, owners: [], townIds: [] };
  for (const entry of entries) {
    const lower = entry.toLowerCase();
    if (lower === "all") policy.all = true;
    else if (lower === "none") continue;
    else if (lower.startsWith("owner:") && /^[^\s@,]+@[^\s@,]+$/.test(entry.slice(6).trim())) policy.owners.push(entry.slice(6).trim().toLowerCase());
    else if (lower.startsWith("town:") && /^[A-Za-z0-9_-]+$/.test(entry.slice(5).trim())) policy.townIds.push(entry.slice(5).trim());
    else {
      throw new Error(`GASTOWN_SHARED_GITHUB_TOKEN: '${entry}' is not 'all', 'none', 'owner:<email>' or 'town:<id>'`);
    }
  }
  return policy;
}

export function parseAllowedRepos(raw: string | undefined): RepoPattern[] | null {
  const entries = (raw ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return null;
  return entries.map((entry) => {
    const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+|\*)$/.exec(entry);
    if (!m) throw new Error(`GASTOWN_ALLOWED_REPOS: '${entry}' is not 'owner/repo' or 'owner/*'`);
    return { owner: m[1].toLowerCase(), repo: m[2] === "*" ? "*" : m[2].toLowerCase() };
  });
}

/** Whether the operator lets this town use the shared GITHUB_TOKEN. */
export function sharedTokenAllowed(policy: SharedTokenPolicy, town: TownRef): boolean {
  if (policy.all) return true;
  if (policy.townIds.includes(town.id)) return true;
  return !!town.ownerEmail && policy.owners.includes(town.ownerEmail.toLowerCase());
}

/** A town token counts only as a non-blank string (the same rule everywhere). */
export function townTokenOf(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

/** The town's own token, else the operator's when the policy allows this town, else a plain reason. */
export function resolveTownGitHubToken(
  github: { token?: string; sharedToken?: SharedTokenPolicy },
  town: TownRef,
  townToken: unknown,
): GitHubTokenResolution {
  const own = townTokenOf(townToken);
  if (own) return { token: own, source: "town" };
  const shared = github.token && github.token.trim() !== "" ? github.token : null;
  if (shared && sharedTokenAllowed(github.sharedToken ?? NOBODY, town)) return { token: shared, source: "shared" };
  if (shared) {
    return {
      token: null,
      source: null,
      problem: "shared_not_allowed",
      message:
        "This town has no GitHub token, and the server's GITHUB_TOKEN is not shared with it (GASTOWN_SHARED_GITHUB_TOKEN). " +
        "Add a token in Settings: until then agents get no git token and pull requests cannot be polled or merged.",
    };
  }
  return {
    token: null,
    source: null,
    problem: "none_configured",
    message: "This town has no GitHub token. Add one in Settings: until then agents get no git token and pull requests cannot be polled or merged.",
  };
}

export function repoMatches(patterns: RepoPattern[], ref: RepoRef): boolean {
  const owner = ref.owner.toLowerCase();
  const repo = ref.repo.toLowerCase().replace(/\.git$/, "");
  return patterns.some((p) => p.owner === owner && (p.repo === "*" || p.repo === repo));
}

/**
 * Why the server refuses to act on this repository, or null when it may. No allow-list → null. An empty
 * URL (a rig without a repository) has nothing to act on → null. A URL off the web host is refused.
 */
export function repoRefusal(allowed: RepoPattern[] | null, webUrl: string, gitUrl: string | null | undefined): string | null {
  if (!allowed || !gitUrl || gitUrl.trim() === "") return null;
  const ref = parseRepoUrl(gitUrl.trim(), webUrl);
  if (!ref) return `the repository URL ${gitUrl} is not on ${webUrl}`;
  if (repoMatches(allowed, ref)) return null;
  return `the repository ${ref.owner}/${ref.repo} is not in this server's allowed repositories (GASTOWN_ALLOWED_REPOS)`;
}
