import { Octokit } from "@octokit/rest";
import {
  CheckRunsSchema,
  CombinedStatusSchema,
  ErrorBodySchema,
  GitRefSchema,
  MERGE_METHODS,
  MergeResponseSchema,
  PullSchema,
  RepoSchema,
  ReviewThreadsSchema,
  graphqlUrlFor,
  isMethodNotAllowedMessage,
  parsePrUrl,
  parseRepoUrl,
  samePrRepo,
  type CreateBranchResult,
  type GitHub,
  type MergeResult,
  type PrFeedback,
  type PrRef,
  type PrStatus,
  type RepoRef,
} from "./types";

/**
 * The real GitHub adapter, on @octokit/rest against `GITHUB_API_URL` (SPEC.md §4.5).
 *
 * - Every request has its own timeout (AbortSignal), 10 s by default, so a hanging GitHub cannot hold a tick.
 * - No retry or throttling plugin is installed: a retried merge PUT after a timeout could merge twice or
 *   merge with a second method; a failed call is reported and the next poll looks again.
 * - The token only ever travels in the Authorization header. Octokit's own request logging is silenced
 *   (its error log line would go to console.error), and our diagnostics carry operation, status and
 *   reason only. Error objects are never rethrown: @octokit/graphql keeps the unredacted request headers
 *   on its errors.
 */

export const GITHUB_TIMEOUT_MS = 10_000;
const THREADS_PAGE = 100;
const CHECK_RUNS_PAGE = 100;

export interface OctokitGitHubOptions {
  /** REST base URL (`GITHUB_API_URL`). */
  apiUrl: string;
  /** Web host of rig and PR URLs (`GITHUB_WEB_URL`). */
  webUrl: string;
  /** Per-request timeout in ms (default 10 s). */
  timeoutMs?: number;
  /** Diagnostics sink (operation, status, reason; never a token). Silent by default. */
  log?: (message: string) => void;
  /** fetch implementation (tests may wrap it); defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
}

const QUIET_OCTOKIT_LOG = { debug() {}, info() {}, warn() {}, error() {} };

const REVIEW_THREADS_QUERY = `query GastownReviewThreads($owner: String!, $repo: String!, $number: Int!) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      reviewThreads(first: ${THREADS_PAGE}) {
        pageInfo { hasNextPage }
        nodes {
          isResolved
          comments(first: 5) { nodes { body } }
        }
      }
    }
  }
}`;

interface HttpFailure {
  status?: number;
  message?: string;
  timedOut: boolean;
}

/** Status and GitHub's own message of a failed Octokit call, without touching its request options. */
function failureOf(error: unknown): HttpFailure {
  const e = error as { name?: unknown; status?: unknown; response?: { data?: unknown }; cause?: { name?: unknown } };
  const timedOut = e?.name === "TimeoutError" || e?.name === "AbortError" || e?.cause?.name === "TimeoutError";
  const status = typeof e?.status === "number" && e.status >= 100 && !timedOut ? e.status : undefined;
  const body = ErrorBodySchema.safeParse(e?.response?.data);
  return { status, message: body.success ? body.data.message : undefined, timedOut };
}

/** Remove the token from text that reaches logs or events, however it got there. */
function redact(text: string, token: string): string {
  return token.length >= 4 ? text.split(token).join("[REDACTED]") : text;
}

function describe(failure: HttpFailure): string {
  if (failure.timedOut) return "timed out";
  if (failure.status === undefined) return "network error";
  return `HTTP ${failure.status}`;
}

export function createOctokitGitHub(options: OctokitGitHubOptions): GitHub {
  const apiUrl = options.apiUrl.replace(/\/+$/, "");
  const webUrl = options.webUrl.replace(/\/+$/, "");
  const graphqlUrl = graphqlUrlFor(apiUrl);
  const timeoutMs = options.timeoutMs ?? GITHUB_TIMEOUT_MS;
  const log = options.log ?? (() => {});

  const clientFor = (token: string) =>
    new Octokit({
      auth: token,
      baseUrl: apiUrl,
      userAgent: "gastown-control",
      log: QUIET_OCTOKIT_LOG,
      request: options.fetch ? { fetch: options.fetch } : {},
    });

  /** Per-call request options: a fresh timeout signal each time. */
  const perCall = () => ({ request: { signal: AbortSignal.timeout(timeoutMs) } });

  const note = (token: string, operation: string, failure: HttpFailure) =>
    log(redact(`github ${operation}: ${describe(failure)}`, token));

  async function fetchPull(client: Octokit, ref: PrRef) {
    const res = await client.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      owner: ref.owner,
      repo: ref.repo,
      pull_number: ref.number,
      ...perCall(),
    });
    return PullSchema.parse(res.data);
  }

  /** Review threads, or null when they could not be read. */
  async function readThreads(client: Octokit, token: string, ref: PrRef) {
    try {
      const data = await client.graphql<unknown>({
        query: REVIEW_THREADS_QUERY,
        url: graphqlUrl,
        owner: ref.owner,
        repo: ref.repo,
        number: ref.number,
        ...perCall(),
      });
      const parsed = ReviewThreadsSchema.safeParse(data);
      if (!parsed.success) {
        log(`github review threads: invalid response`);
        return null;
      }
      const threads = parsed.data.repository.pullRequest.reviewThreads;
      return {
        truncated: threads.pageInfo.hasNextPage,
        // A null node is a thread we cannot see: count it as unresolved (fail safe).
        unresolved: threads.nodes.filter((t) => t === null || !t.isResolved).length,
      };
    } catch (error) {
      note(token, "review threads", failureOf(error));
      return null;
    }
  }

  /** Check runs + combined status of the PR head, or null when any needed call failed. */
  async function readChecks(client: Octokit, token: string, ref: PrRef) {
    try {
      const pull = await fetchPull(client, ref);
      const runsRes = await client.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
        owner: ref.owner,
        repo: ref.repo,
        ref: pull.head.sha,
        per_page: CHECK_RUNS_PAGE,
        ...perCall(),
      });
      const runs = CheckRunsSchema.parse(runsRes.data);
      const hasUncheckedRuns = runs.total_count > runs.check_runs.length;
      const isGreen = (r: { status: string; conclusion?: string | null }) =>
        r.status === "completed" && (r.conclusion === "success" || r.conclusion === "skipped");
      let hasFailingChecks = runs.check_runs.some(
        (r) => r.status === "completed" && r.conclusion !== "success" && r.conclusion !== "skipped",
      );
      let allChecksPass = !hasUncheckedRuns && runs.check_runs.every(isGreen);
      // Legacy commit statuses only matter when the check runs alone would let the PR through.
      if (allChecksPass) {
        const statusRes = await client.request("GET /repos/{owner}/{repo}/commits/{ref}/status", {
          owner: ref.owner,
          repo: ref.repo,
          ref: pull.head.sha,
          ...perCall(),
        });
        const combined = CombinedStatusSchema.parse(statusRes.data);
        if (combined.total_count > 0 && combined.state !== "success") allChecksPass = false;
        if (combined.total_count > 0 && (combined.state === "failure" || combined.state === "error")) hasFailingChecks = true;
      }
      return { hasFailingChecks, hasUncheckedRuns, allChecksPass };
    } catch (error) {
      note(token, "check runs", error instanceof Error && error.name === "ZodError" ? { timedOut: false, message: "invalid response" } : failureOf(error));
      return null;
    }
  }

  return {
    webUrl,

    samePrRepo: (rigGitUrl, prUrl) => samePrRepo(rigGitUrl, prUrl, webUrl),

    async getPrStatus({ token, prUrl }): Promise<PrStatus | null> {
      const ref = parsePrUrl(prUrl, webUrl);
      if (!ref || !token) return null;
      try {
        const pull = await fetchPull(clientFor(token), ref);
        const merged = pull.merged === true || (pull.merged_at !== null && pull.merged_at !== undefined);
        return {
          state: merged ? "merged" : pull.state,
          headSha: pull.head.sha,
          ...(pull.mergeable_state ? { mergeableState: pull.mergeable_state } : {}),
        };
      } catch (error) {
        note(token, "pull status", failureOf(error));
        return null;
      }
    },

    async checkPrFeedback({ token, prUrl }): Promise<PrFeedback | null> {
      const ref = parsePrUrl(prUrl, webUrl);
      if (!ref || !token) return null;
      try {
        const client = clientFor(token);
        const [threads, checks] = await Promise.all([readThreads(client, token, ref), readChecks(client, token, ref)]);
        // Sub-call failures fall back to the DOMAIN.md §6.4 defaults: no comments, no failing checks, not
        // all pass. "Not all pass" also covers unreadable threads: a PR whose review state is unknown must
        // not look green to the auto-merge timer, and reporting "unresolved comments" instead would create
        // a feedback bead out of a GitHub outage.
        return {
          hasUnresolvedComments: threads ? threads.truncated || threads.unresolved > 0 : false,
          hasFailingChecks: checks?.hasFailingChecks ?? false,
          hasUncheckedRuns: checks?.hasUncheckedRuns ?? false,
          allChecksPass: threads !== null && (checks?.allChecksPass ?? false),
          threadsTruncated: threads?.truncated ?? false,
        };
      } catch {
        // Unreachable in practice (both sub-calls catch), kept so the port never throws.
        return null;
      }
    },

    async mergePr({ token, prUrl, expectedHeadSha }): Promise<MergeResult> {
      const ref = parsePrUrl(prUrl, webUrl);
      if (!ref) return { merged: false, reason: "unrecognized pull request URL" };
      if (!token) return { merged: false, reason: "no GitHub token configured" };
      const client = clientFor(token);
      const refused: string[] = [];
      for (const method of MERGE_METHODS) {
        try {
          const res = await client.request("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge", {
            owner: ref.owner,
            repo: ref.repo,
            pull_number: ref.number,
            merge_method: method,
            ...(expectedHeadSha ? { sha: expectedHeadSha } : {}),
            ...perCall(),
          });
          const body = MergeResponseSchema.safeParse(res.data);
          if (!body.success) return { merged: false, reason: "invalid response from the merge call" };
          if (!body.data.merged) return { merged: false, reason: `GitHub did not merge (${method})` };
          return { merged: true, method, ...(body.data.sha ? { sha: body.data.sha } : {}) };
        } catch (error) {
          const failure = failureOf(error);
          // Only a disabled merge method moves on; a timeout never does (the merge may have happened).
          if (failure.status === 405 && failure.message && isMethodNotAllowedMessage(failure.message)) {
            refused.push(method);
            continue;
          }
          note(token, `merge (${method})`, failure);
          const detail = failure.message ? `: ${failure.message.slice(0, 200)}` : "";
          return { merged: false, reason: redact(`merge ${describe(failure)}${detail}`, token) };
        }
      }
      return { merged: false, reason: `no merge method is allowed on this repository (${refused.join(", ")})` };
    },

    async createBranch({ token, repoUrl, branch, fromBranch }): Promise<CreateBranchResult> {
      const ref: RepoRef | null = parseRepoUrl(repoUrl, webUrl);
      if (!ref) return { ok: false, reason: "unrecognized repository URL" };
      if (!token) return { ok: false, reason: "no GitHub token configured" };
      if (!isValidBranchName(branch) || (fromBranch !== undefined && !isValidBranchName(fromBranch))) {
        return { ok: false, reason: "invalid branch name" };
      }
      const client = clientFor(token);
      const repoPath = `/repos/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}`;
      let step = "repository";
      try {
        let base = fromBranch;
        if (!base) {
          const repoRes = await client.request(`GET ${repoPath}`, perCall());
          base = RepoSchema.parse(repoRes.data).default_branch;
        }
        step = "base branch";
        // Literal path: slashes inside branch names must stay path separators (heads/convoy/x/head).
        const baseRes = await client.request(`GET ${repoPath}/git/ref/heads/${encodeBranchPath(base)}`, perCall());
        const sha = GitRefSchema.parse(baseRes.data).object.sha;
        step = "create ref";
        await client.request(`POST ${repoPath}/git/refs`, { ref: `refs/heads/${branch}`, sha, ...perCall() });
        return { ok: true, created: true };
      } catch (error) {
        const failure = failureOf(error);
        if (step === "create ref" && failure.status === 422) return { ok: true, created: false };
        const reason = error instanceof Error && error.name === "ZodError" ? "invalid response" : describe(failure);
        log(`github create branch (${step}): ${reason}`);
        return { ok: false, reason: redact(`${step}: ${reason}`, token) };
      }
    },
  };
}

function encodeBranchPath(branch: string): string {
  return branch.split("/").map(encodeURIComponent).join("/");
}

/** The parts of `git check-ref-format` that matter for names we generate or receive. */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name.startsWith("/") || name.endsWith("/") || name.startsWith("-") || name.endsWith(".") || name.endsWith(".lock")) {
    return false;
  }
  if (name.includes("..") || name.includes("//") || name.includes("@{") || name === "@") return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return !name.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"));
}
