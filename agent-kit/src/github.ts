import { Octokit } from "@octokit/rest";
import { z } from "zod";

// What a launcher does on GitHub (DOMAIN.md §6.2): a polecat opens the pull request of its branch; a
// refinery comments on a PR that passed review (never an approval: bots cannot approve their own PRs) or
// submits a REQUEST_CHANGES review with inline comments (inline threads are what the poller detects).
// Octokit against GITHUB_API_URL; PR URLs are formed on the web host of the rig (SPEC.md §4.5). The
// token travels only in the Authorization header; errors are reduced to status + GitHub's message.

export const GITHUB_TIMEOUT_MS = 20_000;

export interface RepoRef {
  owner: string;
  repo: string;
}
export interface PrRef extends RepoRef {
  number: number;
}

export interface GitHubTarget {
  /** REST base (`GITHUB_API_URL`, else derived from the web host). */
  apiUrl: string;
  /** Web origin of rig and PR URLs (`GITHUB_WEB_URL`, else the rig URL's origin). */
  webUrl: string;
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** `<web>/<owner>/<repo>(.git)` → owner/repo; null for anything else. */
export function parseRepoUrl(url: string): RepoRef | null {
  try {
    const u = new URL(url);
    const [owner, rawRepo, ...rest] = u.pathname.replace(/^\/+|\/+$/g, "").split("/");
    const repo = rawRepo?.replace(/\.git$/, "");
    if (rest.length || !owner || !repo || !SEGMENT.test(owner) || !SEGMENT.test(repo)) return null;
    return { owner, repo };
  } catch {
    return null;
  }
}

/** `<web>/<owner>/<repo>/pull/<n>` → the PR; null for anything else. */
export function parsePrUrl(url: string): PrRef | null {
  try {
    const m = new URL(url).pathname.match(/^\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/pull\/([1-9][0-9]{0,9})\/?$/);
    return m ? { owner: m[1], repo: m[2], number: Number(m[3]) } : null;
  } catch {
    return null;
  }
}

export function formatPrUrl(webUrl: string, pr: PrRef): string {
  return `${webUrl.replace(/\/+$/, "")}/${pr.owner}/${pr.repo}/pull/${pr.number}`;
}

/**
 * Where to talk to GitHub for a rig: env GITHUB_API_URL / GITHUB_WEB_URL when set (a town env var or the
 * operator's), else github.com's API for github.com rigs and `<host>/api/v3` (GitHub Enterprise) for others.
 */
export function githubTargetFor(gitUrl: string, env: Record<string, string | undefined>): GitHubTarget {
  const origin = new URL(gitUrl).origin;
  const webUrl = (env.GITHUB_WEB_URL || origin).replace(/\/+$/, "");
  const apiUrl = (env.GITHUB_API_URL || (new URL(webUrl).host === "github.com" ? "https://api.github.com" : `${webUrl}/api/v3`)).replace(/\/+$/, "");
  return { apiUrl, webUrl };
}

export class GitHubError extends Error {
  override readonly name = "GitHubError";
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

function failure(operation: string, error: unknown): GitHubError {
  const e = error as { status?: unknown; response?: { data?: { message?: unknown; errors?: unknown } }; message?: unknown };
  const status = typeof e?.status === "number" ? e.status : null;
  const data = e?.response?.data;
  const detail = typeof data?.message === "string" ? data.message : typeof e?.message === "string" ? e.message.split("\n")[0] : "request failed";
  const errors = Array.isArray(data?.errors) ? ` (${JSON.stringify(data.errors).slice(0, 300)})` : "";
  return new GitHubError(`GitHub ${operation} failed${status ? ` (${status})` : ""}: ${detail}${errors}`, status);
}

const PullSchema = z.object({ number: z.number().int().positive(), head: z.object({ sha: z.string(), ref: z.string() }), base: z.object({ ref: z.string() }), state: z.string() });

export interface InlineComment {
  path: string;
  line: number;
  body: string;
}

export interface PrClient {
  target: GitHubTarget;
  /** Opens the PR of `head` against `base`, or returns the open one that already exists. */
  openPullRequest(repo: RepoRef, input: { head: string; base: string; title: string; body: string }): Promise<{ url: string; number: number; created: boolean }>;
  getPullRequest(pr: PrRef): Promise<z.infer<typeof PullSchema>>;
  /** A plain comment on the PR's conversation (the refinery's pass). */
  comment(pr: PrRef, body: string): Promise<void>;
  /** A REQUEST_CHANGES review with inline comments on the PR's head commit. */
  requestChanges(pr: PrRef, input: { body: string; comments: InlineComment[] }): Promise<void>;
}

export function createPrClient(options: { target: GitHubTarget; token: string; fetch?: typeof fetch }): PrClient {
  const { target, token } = options;
  const octokit = new Octokit({
    auth: token,
    baseUrl: target.apiUrl,
    userAgent: "gastown-agent-kit",
    log: { debug() {}, info() {}, warn() {}, error() {} },
    request: { fetch: options.fetch ?? globalThis.fetch },
  });
  const signal = () => ({ request: { signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS) } });

  async function findOpen(repo: RepoRef, head: string, base: string) {
    const { data } = await octokit.pulls.list({ ...repo, head: `${repo.owner}:${head}`, base, state: "open", per_page: 10, ...signal() });
    return data.find((p) => p.head.ref === head) ?? null;
  }

  return {
    target,
    async openPullRequest(repo, input) {
      try {
        const { data } = await octokit.pulls.create({ ...repo, head: input.head, base: input.base, title: input.title, body: input.body, ...signal() });
        return { url: formatPrUrl(target.webUrl, { ...repo, number: data.number }), number: data.number, created: true };
      } catch (error) {
        // 422 "A pull request already exists": a redispatch or a rework of the same branch. Reuse it.
        if ((error as { status?: number }).status === 422) {
          const existing = await findOpen(repo, input.head, input.base).catch(() => null);
          if (existing) return { url: formatPrUrl(target.webUrl, { ...repo, number: existing.number }), number: existing.number, created: false };
        }
        throw failure("create pull request", error);
      }
    },
    async getPullRequest(pr) {
      try {
        const { data } = await octokit.pulls.get({ owner: pr.owner, repo: pr.repo, pull_number: pr.number, ...signal() });
        return PullSchema.parse(data);
      } catch (error) {
        throw failure("get pull request", error);
      }
    },
    async comment(pr, body) {
      try {
        await octokit.issues.createComment({ owner: pr.owner, repo: pr.repo, issue_number: pr.number, body, ...signal() });
      } catch (error) {
        throw failure("comment", error);
      }
    },
    async requestChanges(pr, input) {
      try {
        const { data } = await octokit.pulls.get({ owner: pr.owner, repo: pr.repo, pull_number: pr.number, ...signal() });
        await octokit.pulls.createReview({
          owner: pr.owner,
          repo: pr.repo,
          pull_number: pr.number,
          commit_id: data.head.sha,
          event: "REQUEST_CHANGES",
          body: input.body,
          comments: input.comments.map((c) => ({ path: c.path, line: c.line, side: "RIGHT" as const, body: c.body })),
          ...signal(),
        });
      } catch (error) {
        throw failure("request changes", error);
      }
    },
  };
}
