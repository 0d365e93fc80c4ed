import { z } from "zod";

/**
 * The GitHub port (SPEC.md §4.5, DOMAIN.md §6.3–6.5).
 *
 * Every method takes the token per call (town secret, else the operator's GITHUB_TOKEN — the caller
 * resolves it) and never throws: `poll_pr` / `merge_pr` side effects turn a null / false into events,
 * and an exception would only lose that information. Rig and PR URLs must live on the configured web
 * host; anything else is refused so a token is never sent on behalf of a foreign URL.
 */

export type PrState = "open" | "closed" | "merged";

export interface PrStatus {
  state: PrState;
  headSha: string;
  /** GitHub's `mergeable_state` (clean, dirty, blocked, unstable, unknown, …) when it reported one. */
  mergeableState?: string;
}

/** DOMAIN.md §6.4, field for field. */
export interface PrFeedback {
  /** Some review thread is unresolved, or there are more than 100 threads (fail safe). */
  hasUnresolvedComments: boolean;
  /** Some check run completed with a conclusion other than success/skipped, or the combined status failed. */
  hasFailingChecks: boolean;
  /** GitHub reports more check runs (`total_count`) than the 100 we read. */
  hasUncheckedRuns: boolean;
  /** Every run and every legacy status is known and green (vacuously true when there are none). */
  allChecksPass: boolean;
  /** The review threads did not fit in one page of 100. */
  threadsTruncated: boolean;
}

export type MergeMethod = "squash" | "merge" | "rebase";
export const MERGE_METHODS: readonly MergeMethod[] = ["squash", "merge", "rebase"];

export type MergeResult = { merged: true; method: MergeMethod; sha?: string } | { merged: false; reason: string };

export type CreateBranchResult = { ok: true; created: boolean } | { ok: false; reason: string };

export interface TokenInput {
  /** GitHub token; null/empty means "none configured" and makes every call fail cleanly. */
  token: string | null | undefined;
}

export interface GitHub {
  /** The configured web host (`GITHUB_WEB_URL`), on which rig and PR URLs must live. */
  readonly webUrl: string;
  /** Owner/repo check before any merge (DOMAIN.md §6.5): both URLs parse and name the same repository. */
  samePrRepo(rigGitUrl: string, prUrl: string): boolean;
  /** PR state and head SHA; null on any failure (no token, non-2xx, bad JSON, schema mismatch, unknown URL). */
  getPrStatus(input: TokenInput & { prUrl: string }): Promise<PrStatus | null>;
  /** Review threads + check runs + combined status (DOMAIN.md §6.4); null only without a token or for an unknown URL. */
  checkPrFeedback(input: TokenInput & { prUrl: string }): Promise<PrFeedback | null>;
  /**
   * Merge, trying squash → merge → rebase and moving on only when GitHub says the method is not allowed.
   * `expectedHeadSha`, when given, makes GitHub refuse (409) if the head moved since the last check.
   */
  mergePr(input: TokenInput & { prUrl: string; expectedHeadSha?: string }): Promise<MergeResult>;
  /**
   * Create `branch` at the tip of `fromBranch` (the repository's default branch when omitted).
   * An existing branch (422) is success with `created: false`.
   */
  createBranch(input: TokenInput & { repoUrl: string; branch: string; fromBranch?: string }): Promise<CreateBranchResult>;
}

// ------------------------------------------------------------------------------------------ URLs

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface PrRef extends RepoRef {
  number: number;
}

/** Refused rig or PR URL; the message is meant for people (tRPC input errors, bead timelines). */
export class GitHubUrlError extends Error {
  readonly code = "invalid_github_url";
  constructor(message: string) {
    super(message);
    this.name = "GitHubUrlError";
  }
}

// GitHub owners: letters, digits, single hyphens; repos: letters, digits, '.', '_', '-' (not '.' / '..').
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Path segments of `url` below the configured web URL, or null when the URL is on another host,
 * another scheme, or carries credentials, a query or a fragment.
 */
function pathBelowWeb(url: string, webUrl: string): string[] | null {
  let parsed: URL;
  let web: URL;
  try {
    parsed = new URL(url.trim());
    web = new URL(webUrl);
  } catch {
    return null;
  }
  // Same scheme, host and port as the configured web URL: with the default web URL this also enforces
  // https (DOMAIN.md §11 item 23). Tests configure an http loopback web URL on purpose.
  if (parsed.origin !== web.origin) return null;
  if (parsed.username || parsed.password || parsed.search || parsed.hash) return null;
  const prefix = web.pathname.replace(/\/+$/, "");
  if (prefix && !parsed.pathname.startsWith(prefix + "/")) return null;
  const rest = parsed.pathname.slice(prefix.length).replace(/^\/+/, "").replace(/\/$/, "");
  if (rest === "") return null;
  return rest.split("/").map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return "\u0000"; // undecodable segment: never matches the name patterns
    }
  });
}

function repoRef(owner: string, rawRepo: string): RepoRef | null {
  const repo = rawRepo.endsWith(".git") ? rawRepo.slice(0, -4) : rawRepo;
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === "." || repo === "..") return null;
  return { owner, repo };
}

/** `<web>/<owner>/<repo>` or `<web>/<owner>/<repo>.git` (a trailing slash is tolerated), else null. */
export function parseRepoUrl(url: string, webUrl: string): RepoRef | null {
  const segments = pathBelowWeb(url, webUrl);
  if (!segments || segments.length !== 2) return null;
  return repoRef(segments[0], segments[1]);
}

/** `<web>/<owner>/<repo>/pull/<n>` only — e.g. the `/pull/new/<branch>` link of `git push` is refused. */
export function parsePrUrl(url: string, webUrl: string): PrRef | null {
  const segments = pathBelowWeb(url, webUrl);
  if (!segments || segments.length !== 4 || segments[2] !== "pull") return null;
  if (segments[1].endsWith(".git")) return null;
  const ref = repoRef(segments[0], segments[1]);
  if (!ref || !/^[1-9][0-9]{0,9}$/.test(segments[3])) return null;
  const number = Number(segments[3]);
  if (!Number.isSafeInteger(number) || number > 2_147_483_647) return null;
  return { ...ref, number };
}

export function parseRepoUrlOrThrow(url: string, webUrl: string): RepoRef {
  const ref = parseRepoUrl(url, webUrl);
  if (!ref) throw new GitHubUrlError(`A repository URL must look like ${webUrl}/<owner>/<repo> (optionally ending in .git)`);
  return ref;
}

export function parsePrUrlOrThrow(url: string, webUrl: string): PrRef {
  const ref = parsePrUrl(url, webUrl);
  if (!ref) throw new GitHubUrlError(`A pull request URL must look like ${webUrl}/<owner>/<repo>/pull/<number>`);
  return ref;
}

/** Canonical PR URL on the web host (what we store and show). */
export function formatPrUrl(ref: PrRef, webUrl: string): string {
  return `${webUrl.replace(/\/+$/, "")}/${ref.owner}/${ref.repo}/pull/${ref.number}`;
}

/**
 * The owner/repo check of merge_pr (DOMAIN.md §6.5): true only when both URLs parse on the web host and
 * name the same repository. GitHub names are case-insensitive.
 */
export function samePrRepo(rigGitUrl: string, prUrl: string, webUrl: string): boolean {
  const rig = parseRepoUrl(rigGitUrl, webUrl);
  const pr = parsePrUrl(prUrl, webUrl);
  if (!rig || !pr) return false;
  return rig.owner.toLowerCase() === pr.owner.toLowerCase() && rig.repo.toLowerCase() === pr.repo.toLowerCase();
}

/**
 * GraphQL endpoint for a REST base URL (SPEC.md §4.5): `$GITHUB_API_URL/graphql`, except GitHub
 * Enterprise Server, whose REST API lives at `https://<host>/api/v3` and GraphQL at `https://<host>/api/graphql`.
 */
export function graphqlUrlFor(apiUrl: string): string {
  const base = apiUrl.replace(/\/+$/, "");
  if (/\/api\/v3$/.test(base)) return base.replace(/\/api\/v3$/, "/api/graphql");
  return `${base}/graphql`;
}

// ------------------------------------------------------------------------------------------ response schemas

/** GET /repos/{o}/{r}/pulls/{n} — only the fields we read. */
export const PullSchema = z.object({
  state: z.enum(["open", "closed"]),
  merged: z.boolean().nullish(),
  merged_at: z.string().nullish(),
  head: z.object({ sha: z.string().min(1) }),
  mergeable_state: z.string().nullish(),
});

/** GraphQL review threads (first: 100, up to 5 comments each). */
export const ReviewThreadsSchema = z.object({
  repository: z.object({
    pullRequest: z.object({
      reviewThreads: z.object({
        pageInfo: z.object({ hasNextPage: z.boolean() }),
        nodes: z.array(
          z.object({
            isResolved: z.boolean(),
            comments: z
              .object({ nodes: z.array(z.object({ body: z.string().nullish() }).nullable()) })
              .nullish(),
          }).nullable(),
        ),
      }),
    }),
  }),
});

/** GET /repos/{o}/{r}/commits/{sha}/check-runs?per_page=100 */
export const CheckRunsSchema = z.object({
  total_count: z.number().int().nonnegative(),
  check_runs: z.array(
    z.object({
      status: z.string(),
      conclusion: z.string().nullish(),
    }),
  ),
});

/** GET /repos/{o}/{r}/commits/{sha}/status (combined legacy statuses). */
export const CombinedStatusSchema = z.object({
  state: z.string(),
  total_count: z.number().int().nonnegative(),
});

/** PUT /repos/{o}/{r}/pulls/{n}/merge success body. */
export const MergeResponseSchema = z.object({
  merged: z.boolean(),
  sha: z.string().nullish(),
});

/** GET /repos/{o}/{r}/git/ref/heads/{branch} */
export const GitRefSchema = z.object({ object: z.object({ sha: z.string().min(1) }) });

/** GET /repos/{o}/{r} — default branch only. */
export const RepoSchema = z.object({ default_branch: z.string().min(1) });

/** Error bodies: `{message}`; used to tell "method not allowed" 405s from the others. */
export const ErrorBodySchema = z.object({ message: z.string() });

/** GitHub's wording for a disabled merge method: "Squash merges are not allowed on this repository." */
export function isMethodNotAllowedMessage(message: string): boolean {
  return /not allowed/i.test(message);
}
