import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A test GitHub on loopback that speaks the REST + GraphQL subset the GitHub adapter uses
 * (SPEC.md §4.5; DOMAIN.md §6.3–6.6), with scriptable pull requests and failure injection, and a log of
 * every call it received. Point `GITHUB_API_URL` at `apiUrl` and `GITHUB_WEB_URL` at `webUrl`.
 *
 * Shapes follow GitHub's: a merged PR reports `state: "closed", merged: true`; the combined status of a
 * commit without statuses is `pending` with `total_count: 0`; a disabled merge method is a 405 whose
 * message says it is "not allowed"; an existing ref is a 422.
 *
 * `ghe: true` serves the GitHub Enterprise layout: REST under `/api/v3`, GraphQL at `/api/graphql`.
 * Only ever binds 127.0.0.1.
 */

export type FakePrState = "open" | "closed" | "merged";
export type FakeMergeMethod = "squash" | "merge" | "rebase";
/** `"ok"` merges; anything else is the HTTP answer GitHub would give. */
export type FakeMergeOutcome = "ok" | { status: number; message: string };

export interface FakeThread {
  isResolved: boolean;
  body?: string;
}

export interface FakeCheckRun {
  name?: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: string | null;
}

export interface FakePr {
  owner: string;
  repo: string;
  number: number;
  state: FakePrState;
  headSha: string;
  headRef: string;
  baseRef: string;
  mergeableState: string | null;
  threads: FakeThread[];
  checkRuns: FakeCheckRun[];
  /** Reported `total_count` of check runs; defaults to the number of runs (set it higher to simulate > 100). */
  checkRunsTotalCount?: number;
  combinedStatus: { state: "success" | "pending" | "failure" | "error"; totalCount: number };
  /** Per-method answer of the merge endpoint; absent = allowed. */
  merge: Partial<Record<FakeMergeMethod, FakeMergeOutcome>>;
  /** Set when merged through the API. */
  mergedWith?: FakeMergeMethod;
}

export type FakeRoute =
  | "repos.get"
  | "pulls.get"
  | "pulls.merge"
  | "checks.list"
  | "status.get"
  | "git.getRef"
  | "git.createRef"
  | "graphql"
  | "unknown";

export type FakeFailure =
  /** Answer with this status and `{message}`; rate limits also send the x-ratelimit headers. */
  | { status: number; message?: string; headers?: Record<string, string> }
  /** Never answer (the socket stays open until the client gives up or the server closes). */
  | { hang: true }
  /** 200 with a JSON content type and a body that is not JSON. */
  | { malformedJson: true }
  /** Destroy the connection without an answer. */
  | { dropConnection: true };

export interface FakeCall {
  method: string;
  /** Path without the query string, as received (still percent-encoded). */
  path: string;
  query: Record<string, string>;
  body: unknown;
  route: FakeRoute;
  /** Whether the expected token was presented. The header itself is never recorded. */
  authorized: boolean;
}

export interface FakeGitHubOptions {
  /** Token the server requires (`Bearer <t>` or `token <t>`); null disables the check. */
  token?: string | null;
  /** Serve the GitHub Enterprise layout (/api/v3, /api/graphql). */
  ghe?: boolean;
}

export interface FakeGitHub {
  /** Origin of the server, `http://127.0.0.1:<port>`. */
  url: string;
  apiUrl: string;
  webUrl: string;
  graphqlUrl: string;
  token: string | null;
  calls: FakeCall[];
  callsTo(route: FakeRoute): FakeCall[];
  resetCalls(): void;
  addRepo(owner: string, repo: string, init?: { defaultBranch?: string; branches?: Record<string, string> }): void;
  /** Branch name → sha of a repository (live). */
  branches(owner: string, repo: string): Record<string, string>;
  addPr(init: Partial<FakePr> & { owner: string; repo: string }): { prUrl: string; pr: FakePr };
  prUrl(owner: string, repo: string, number: number): string;
  getPr(prUrl: string): FakePr;
  updatePr(prUrl: string, patch: Partial<Omit<FakePr, "owner" | "repo" | "number">>): FakePr;
  /** Replace the review threads: `count` threads, the first `resolved` of them resolved. */
  setThreads(prUrl: string, count: number, resolved?: number): void;
  /** Replace the check runs; `totalCount` may exceed the list (GitHub pages them). */
  setCheckRuns(prUrl: string, runs: FakeCheckRun[], totalCount?: number): void;
  setCombinedStatus(prUrl: string, state: FakePr["combinedStatus"]["state"], totalCount?: number): void;
  setMergeOutcome(prUrl: string, method: FakeMergeMethod, outcome: FakeMergeOutcome): void;
  /** Fail the next `times` calls of a route (default: every call until `clearFailures`). */
  failNext(route: FakeRoute, failure: FakeFailure, times?: number): void;
  clearFailures(): void;
  close(): Promise<void>;
}

/** GitHub's 405 for a disabled merge method. */
export function methodNotAllowed(method: FakeMergeMethod): FakeMergeOutcome {
  const label = { squash: "Squash merges", merge: "Merge commits", rebase: "Rebase merges" }[method];
  return { status: 405, message: `${label} are not allowed on this repository.` };
}

/** GitHub's primary rate limit answer (403) or secondary one (429). */
export function rateLimited(status: 403 | 429 = 403): FakeFailure {
  return {
    status,
    message: status === 403 ? "API rate limit exceeded for user ID 1." : "You have exceeded a secondary rate limit.",
    headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600), "retry-after": "60" },
  };
}

export function completedRun(conclusion: string, name = "ci"): FakeCheckRun {
  return { name, status: "completed", conclusion };
}

interface RepoState {
  defaultBranch: string;
  branches: Record<string, string>;
}

const key = (owner: string, repo: string) => `${owner.toLowerCase()}/${repo.toLowerCase()}`;

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const token = options.token === undefined ? "fake-github-token" : options.token;
  const restPrefix = options.ghe ? "/api/v3" : "";
  const graphqlPath = options.ghe ? "/api/graphql" : "/graphql";

  const repos = new Map<string, RepoState>();
  const prs = new Map<string, FakePr>(); // "owner/repo#n"
  const calls: FakeCall[] = [];
  const failures: Array<{ route: FakeRoute; failure: FakeFailure; remaining: number }> = [];
  let nextPrNumber = 1;
  let shaCounter = 0;
  const newSha = () => (++shaCounter).toString(16).padStart(40, "0");

  const prKey = (owner: string, repo: string, number: number) => `${key(owner, repo)}#${number}`;

  function ensureRepo(owner: string, repo: string): RepoState {
    let state = repos.get(key(owner, repo));
    if (!state) {
      state = { defaultBranch: "main", branches: { main: newSha() } };
      repos.set(key(owner, repo), state);
    }
    return state;
  }

  function findPr(owner: string, repo: string, number: number): FakePr | undefined {
    return prs.get(prKey(owner, repo, number));
  }

  function prFromUrl(prUrl: string): FakePr {
    const match = new URL(prUrl).pathname.match(/^\/([^/]+)\/([^/]+)\/pull\/(\d+)$/);
    const pr = match ? findPr(match[1], match[2], Number(match[3])) : undefined;
    if (!pr) throw new Error(`fake GitHub: no such pull request ${prUrl}`);
    return pr;
  }

  function classify(method: string, path: string): { route: FakeRoute; params: string[] } {
    if (method === "POST" && path === graphqlPath) return { route: "graphql", params: [] };
    if (!path.startsWith(restPrefix + "/repos/")) return { route: "unknown", params: [] };
    const rest = path.slice(restPrefix.length);
    const table: Array<[string, RegExp, FakeRoute]> = [
      ["GET", /^\/repos\/([^/]+)\/([^/]+)$/, "repos.get"],
      ["GET", /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/, "pulls.get"],
      ["PUT", /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/merge$/, "pulls.merge"],
      ["GET", /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/check-runs$/, "checks.list"],
      ["GET", /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/status$/, "status.get"],
      ["GET", /^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/heads\/(.+)$/, "git.getRef"],
      ["POST", /^\/repos\/([^/]+)\/([^/]+)\/git\/refs$/, "git.createRef"],
    ];
    for (const [m, re, route] of table) {
      const match = method === m ? rest.match(re) : null;
      if (match) return { route, params: match.slice(1).map((p) => decodeURIComponent(p)) };
    }
    return { route: "unknown", params: [] };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  }

  const notFound = (res: ServerResponse) =>
    send(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });

  function pullJson(pr: FakePr) {
    const merged = pr.state === "merged";
    return {
      number: pr.number,
      state: merged ? "closed" : pr.state,
      merged,
      merged_at: merged ? "2024-01-01T00:00:00Z" : null,
      head: { sha: pr.headSha, ref: pr.headRef },
      base: { ref: pr.baseRef },
      mergeable_state: pr.mergeableState,
      html_url: `${origin}/${pr.owner}/${pr.repo}/pull/${pr.number}`,
    };
  }

  function handleGraphql(body: unknown, res: ServerResponse) {
    const { query, variables } = (body ?? {}) as { query?: string; variables?: Record<string, unknown> };
    if (typeof query !== "string" || !query.includes("reviewThreads")) {
      return send(res, 200, { errors: [{ message: "fake GitHub only answers reviewThreads queries" }] });
    }
    const first = Number(query.match(/reviewThreads\(first:\s*(\d+)/)?.[1] ?? 100);
    const pr = findPr(String(variables?.owner), String(variables?.repo), Number(variables?.number));
    if (!pr) {
      return send(res, 200, {
        data: { repository: null },
        errors: [{ type: "NOT_FOUND", message: "Could not resolve to a Repository or PullRequest." }],
      });
    }
    send(res, 200, {
      data: {
        repository: {
          pullRequest: {
            reviewThreads: {
              pageInfo: { hasNextPage: pr.threads.length > first },
              nodes: pr.threads.slice(0, first).map((t) => ({
                isResolved: t.isResolved,
                comments: { nodes: [{ body: t.body ?? "Please change this." }] },
              })),
            },
          },
        },
      },
    });
  }

  function handleRest(route: FakeRoute, params: string[], query: Record<string, string>, body: unknown, res: ServerResponse) {
    const [owner, repo, third] = params;
    const repoState = repos.get(key(owner ?? "", repo ?? ""));
    if (!repoState) return notFound(res);
    switch (route) {
      case "repos.get":
        return send(res, 200, { name: repo, full_name: `${owner}/${repo}`, default_branch: repoState.defaultBranch });
      case "pulls.get": {
        const pr = findPr(owner, repo, Number(third));
        return pr ? send(res, 200, pullJson(pr)) : notFound(res);
      }
      case "checks.list": {
        const pr = [...prs.values()].find((p) => key(p.owner, p.repo) === key(owner, repo) && p.headSha === third);
        const perPage = Math.min(Math.max(Number(query.per_page ?? 30) || 30, 1), 100);
        const runs = pr?.checkRuns ?? [];
        return send(res, 200, {
          total_count: pr?.checkRunsTotalCount ?? runs.length,
          check_runs: runs.slice(0, perPage).map((r, i) => ({
            id: i + 1,
            name: r.name ?? `check-${i + 1}`,
            status: r.status,
            conclusion: r.status === "completed" ? (r.conclusion ?? null) : null,
          })),
        });
      }
      case "status.get": {
        const pr = [...prs.values()].find((p) => key(p.owner, p.repo) === key(owner, repo) && p.headSha === third);
        const combined = pr?.combinedStatus ?? { state: "pending", totalCount: 0 };
        return send(res, 200, { state: combined.state, total_count: combined.totalCount, sha: third, statuses: [] });
      }
      case "pulls.merge": {
        const pr = findPr(owner, repo, Number(third));
        if (!pr) return notFound(res);
        const { merge_method: method = "merge", sha } = (body ?? {}) as { merge_method?: FakeMergeMethod; sha?: string };
        if (!["squash", "merge", "rebase"].includes(method)) {
          return send(res, 422, { message: "Validation Failed" });
        }
        const outcome = pr.merge[method] ?? "ok";
        if (outcome !== "ok") return send(res, outcome.status, { message: outcome.message });
        if (pr.state !== "open") return send(res, 405, { message: "Pull Request is not mergeable" });
        if (sha && sha !== pr.headSha) {
          return send(res, 409, { message: "Head branch was modified. Review and try the merge again." });
        }
        pr.state = "merged";
        pr.mergedWith = method;
        const mergeSha = newSha();
        repoState.branches[pr.baseRef] = mergeSha;
        return send(res, 200, { sha: mergeSha, merged: true, message: "Pull Request successfully merged" });
      }
      case "git.getRef": {
        const sha = repoState.branches[third];
        return sha ? send(res, 200, { ref: `refs/heads/${third}`, object: { sha, type: "commit" } }) : notFound(res);
      }
      case "git.createRef": {
        const { ref, sha } = (body ?? {}) as { ref?: string; sha?: string };
        if (typeof ref !== "string" || !ref.startsWith("refs/heads/") || typeof sha !== "string") {
          return send(res, 422, { message: "Validation Failed" });
        }
        const branch = ref.slice("refs/heads/".length);
        if (repoState.branches[branch]) return send(res, 422, { message: "Reference already exists" });
        repoState.branches[branch] = sha;
        return send(res, 201, { ref, object: { sha, type: "commit" } });
      }
      default:
        return notFound(res);
    }
  }

  function isAuthorized(req: IncomingMessage): boolean {
    if (token === null) return true;
    const header = req.headers.authorization ?? "";
    return header === `Bearer ${token}` || header === `bearer ${token}` || header === `token ${token}`;
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = raw === "" ? undefined : raw;
      try {
        if (raw) body = JSON.parse(raw);
      } catch {
        // keep the raw text
      }
      const url = new URL(req.url ?? "/", origin);
      const method = req.method ?? "GET";
      const { route, params } = classify(method, url.pathname);
      const authorized = isAuthorized(req);
      calls.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, route, authorized });

      const injected = failures.find((f) => f.route === route && f.remaining > 0);
      if (injected) {
        injected.remaining--;
        const failure = injected.failure;
        if ("hang" in failure) return; // never answer
        if ("dropConnection" in failure) return void req.socket.destroy();
        if ("malformedJson" in failure) {
          res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
          return void res.end('{"this is": not json');
        }
        return send(res, failure.status, { message: failure.message ?? "Server Error" }, failure.headers);
      }
      if (!authorized) {
        return send(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      }
      if (route === "graphql") return handleGraphql(body, res);
      if (route === "unknown") return notFound(res);
      return handleRest(route, params, Object.fromEntries(url.searchParams), body, res);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  const fake: FakeGitHub = {
    url: origin,
    apiUrl: origin + restPrefix,
    webUrl: origin,
    graphqlUrl: origin + graphqlPath,
    token,
    calls,
    callsTo: (route) => calls.filter((c) => c.route === route),
    resetCalls: () => void calls.splice(0, calls.length),
    addRepo(owner, repo, init = {}) {
      const state = ensureRepo(owner, repo);
      if (init.defaultBranch) {
        state.defaultBranch = init.defaultBranch;
        state.branches[init.defaultBranch] ??= newSha();
      }
      Object.assign(state.branches, init.branches ?? {});
    },
    branches: (owner, repo) => ensureRepo(owner, repo).branches,
    addPr(init) {
      const repoState = ensureRepo(init.owner, init.repo);
      const number = init.number ?? nextPrNumber++;
      nextPrNumber = Math.max(nextPrNumber, number + 1);
      const pr: FakePr = {
        state: "open",
        headSha: newSha(),
        headRef: `gt/polecat/branch-${number}`,
        baseRef: repoState.defaultBranch,
        mergeableState: "clean",
        threads: [],
        checkRuns: [],
        combinedStatus: { state: "pending", totalCount: 0 },
        merge: {},
        ...init,
        number,
      };
      prs.set(prKey(pr.owner, pr.repo, number), pr);
      return { prUrl: fake.prUrl(pr.owner, pr.repo, number), pr };
    },
    prUrl: (owner, repo, number) => `${origin}/${owner}/${repo}/pull/${number}`,
    getPr: prFromUrl,
    updatePr(prUrl, patch) {
      return Object.assign(prFromUrl(prUrl), patch);
    },
    setThreads(prUrl, count, resolved = 0) {
      prFromUrl(prUrl).threads = Array.from({ length: count }, (_, i) => ({ isResolved: i < resolved, body: `thread ${i + 1}` }));
    },
    setCheckRuns(prUrl, runs, totalCount) {
      const pr = prFromUrl(prUrl);
      pr.checkRuns = runs;
      pr.checkRunsTotalCount = totalCount;
    },
    setCombinedStatus(prUrl, state, totalCount = 1) {
      prFromUrl(prUrl).combinedStatus = { state, totalCount };
    },
    setMergeOutcome(prUrl, method, outcome) {
      prFromUrl(prUrl).merge[method] = outcome;
    },
    failNext(route, failure, times = Number.POSITIVE_INFINITY) {
      failures.push({ route, failure, remaining: times });
    },
    clearFailures: () => void failures.splice(0, failures.length),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
