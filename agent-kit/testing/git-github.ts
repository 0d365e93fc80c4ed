import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFakeGitHub, type FakeCheckRun, type FakeGitHub } from "../../server/testing/fake-github/server";

// A loopback GitHub whose repositories are REAL git repositories, for the agent kit's end-to-end tests.
//
// It wraps the project's fake GitHub (server/testing/fake-github: PR status, check runs, combined status,
// review threads over GraphQL, merge outcomes) and adds what the launchers and a real clone need:
// - git's smart HTTP protocol (`git http-backend`) at `<web>/<owner>/<repo>(.git)`, behind HTTP Basic auth
//   (`x-access-token` + the token), so a launcher's clone and push really authenticate through its
//   GIT_ASKPASS — nothing is mapped with `insteadOf`;
// - POST /repos/{o}/{r}/pulls (create, 422 when one is open for the head), GET …/pulls?head= (list),
//   POST …/issues/{n}/comments, POST …/pulls/{n}/reviews (a REQUEST_CHANGES review's inline comments
//   become unresolved review threads, which the poller reads through GraphQL);
// - PUT …/pulls/{n}/merge really merges the head branch into the base in the bare repository (after the
//   fake's own checks: 405/409 outcomes, head sha), and the PR's head sha always follows the branch.
// Web and API share one origin (the fake's non-GHE layout): GITHUB_WEB_URL = GITHUB_API_URL = `url`.

export interface RecordedComment {
  owner: string;
  repo: string;
  number: number;
  body: string;
}
export interface RecordedReview extends RecordedComment {
  event: string;
  comments: Array<{ path: string; line?: number; body: string }>;
}

export interface GitGitHub {
  url: string;
  apiUrl: string;
  webUrl: string;
  token: string;
  fake: FakeGitHub;
  comments: RecordedComment[];
  reviews: RecordedReview[];
  /** Creates `<owner>/<repo>` as a bare repository with one commit on `main`; returns the rig URL. */
  addRepo(owner: string, repo: string, files?: Record<string, string>): string;
  bareDir(owner: string, repo: string): string;
  /** `git show <ref>:<file>` in the bare repository, or null when absent. */
  readFile(owner: string, repo: string, ref: string, file: string): string | null;
  /** Branch → sha of the bare repository. */
  branches(owner: string, repo: string): Record<string, string>;
  /** The PR number of an open or merged PR for a head branch, or null. */
  prFor(owner: string, repo: string, head: string): { number: number; url: string } | null;
  close(): Promise<void>;
}

const IDENTITY = ["-c", "user.name=Fake GitHub", "-c", "user.email=github@fake.invalid"];

function gitIn(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
}

export interface GitGitHubOptions {
  token?: string;
  /** Check runs a new PR starts with (e.g. one `in_progress`, as if CI were running). Default: none. */
  newPrCheckRuns?: FakeCheckRun[];
}

export async function startGitGitHub(options: GitGitHubOptions = {}): Promise<GitGitHub> {
  const token = options.token ?? "ghp_gitgithub_e2e_token_0123456789";
  const fake = await startFakeGitHub({ token });
  const root = mkdtempSync(path.join(tmpdir(), "gt-git-github-"));
  const comments: RecordedComment[] = [];
  const reviews: RecordedReview[] = [];
  const prs: Array<{ owner: string; repo: string; number: number; head: string; base: string }> = [];
  let origin = "";

  const bareDir = (owner: string, repo: string) => path.join(root, owner, `${repo.replace(/\.git$/, "")}.git`);
  const branches = (owner: string, repo: string): Record<string, string> => {
    const out = gitIn(bareDir(owner, repo), ["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads"]);
    return Object.fromEntries(out.split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string]));
  };
  const prUrl = (owner: string, repo: string, number: number) => `${origin}/${owner}/${repo}/pull/${number}`;

  /** The PRs' head shas follow their branches (a rework pushes more commits). */
  function syncHeads(owner: string, repo: string) {
    const heads = branches(owner, repo);
    for (const pr of prs.filter((p) => p.owner === owner && p.repo === repo)) {
      const fakePr = fake.getPr(prUrl(owner, repo, pr.number).replace(origin, fake.url));
      if (heads[pr.head] && fakePr.state === "open") fakePr.headSha = heads[pr.head];
    }
  }

  function authorized(req: IncomingMessage, basic: boolean): boolean {
    const header = req.headers.authorization ?? "";
    if (!basic) return header === `Bearer ${token}` || header === `token ${token}` || header === `bearer ${token}`;
    if (!header.startsWith("Basic ")) return false;
    const [user, pass] = Buffer.from(header.slice(6), "base64").toString("utf8").split(":");
    return user === "x-access-token" && pass === token;
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };

  /** git smart HTTP through `git http-backend` (CGI). */
  function serveGit(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) {
    if (!authorized(req, true)) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="fake github"', "content-type": "text/plain" });
      return void res.end("Authentication required");
    }
    // `/owner/repo/info/refs` and `/owner/repo.git/info/refs` both name `owner/repo.git`.
    const pathInfo = url.pathname.replace(/^\/([^/]+)\/([^/.]+)(?:\.git)?\//, "/$1/$2.git/");
    const child = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: pathInfo,
        REQUEST_METHOD: req.method ?? "GET",
        QUERY_STRING: url.search.replace(/^\?/, ""),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        CONTENT_LENGTH: String(body.length),
        REMOTE_USER: "x-access-token",
        REMOTE_ADDR: "127.0.0.1",
        GIT_CONFIG_NOSYSTEM: "1",
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stdin.end(body);
    child.on("close", () => {
      const raw = Buffer.concat(out);
      const split = raw.indexOf("\r\n\r\n");
      const headerText = raw.subarray(0, split).toString("utf8");
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of headerText.split("\r\n")) {
        const i = line.indexOf(":");
        if (i < 0) continue;
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        if (name === "status") status = Number(value.split(" ")[0]) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(raw.subarray(split + 4));
    });
  }

  function realMerge(owner: string, repo: string, head: string, base: string, method: string, number: number): boolean {
    const work = mkdtempSync(path.join(tmpdir(), "gt-merge-"));
    try {
      gitIn(work, ["clone", "-q", bareDir(owner, repo), "w"]);
      const w = path.join(work, "w");
      gitIn(w, ["checkout", "-q", base]);
      if (method === "squash") {
        gitIn(w, ["merge", "--squash", `origin/${head}`]);
        gitIn(w, [...IDENTITY, "commit", "-q", "-m", `Squashed PR #${number} (${head})`]);
      } else {
        gitIn(w, [...IDENTITY, "merge", "--no-ff", "-m", `Merge pull request #${number} from ${head}`, `origin/${head}`]);
      }
      gitIn(w, ["push", "-q", "origin", base]);
      return true;
    } catch {
      return false;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async function forward(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    const answer = await fetch(`${fake.url}${url.pathname}${url.search}`, { method: req.method, headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body) });
    const text = Buffer.from(await answer.arrayBuffer());
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(text);
    return { status: answer.status, text: text.toString("utf8") };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";
    if (/\/(info\/refs|git-upload-pack|git-receive-pack)$/.test(url.pathname)) return serveGit(req, res, url, body);
    const m = url.pathname.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/);
    if (!m) return forward(req, res, url, body);
    const [, owner, repo, rest = ""] = m;
    const json = () => {
      try {
        return JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    const known = prs.some((p) => p.owner === owner && p.repo === repo) || safeBranches(owner, repo);
    if (known) syncHeads(owner, repo);

    if (method === "POST" && rest === "/pulls") {
      if (!authorized(req, false)) return send(res, 401, { message: "Bad credentials" });
      const { head, base, title } = json() as { head?: string; base?: string; title?: string };
      const heads = branches(owner, repo);
      if (!head || !base || !title || !heads[head] || !heads[base]) return send(res, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "invalid" }] });
      const open = prs.find((p) => p.owner === owner && p.repo === repo && p.head === head && fake.getPr(prUrl(owner, repo, p.number).replace(origin, fake.url)).state === "open");
      if (open) return send(res, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${owner}:${head}.` }] });
      const { pr } = fake.addPr({ owner, repo, headRef: head, baseRef: base, headSha: heads[head], checkRuns: [...(options.newPrCheckRuns ?? [])] });
      prs.push({ owner, repo, number: pr.number, head, base });
      return send(res, 201, { number: pr.number, state: "open", title, html_url: prUrl(owner, repo, pr.number), head: { ref: head, sha: heads[head] }, base: { ref: base } });
    }
    if (method === "GET" && rest === "/pulls") {
      if (!authorized(req, false)) return send(res, 401, { message: "Bad credentials" });
      const head = url.searchParams.get("head")?.split(":").pop();
      const list = prs
        .filter((p) => p.owner === owner && p.repo === repo && (!head || p.head === head))
        .map((p) => ({ p, f: fake.getPr(prUrl(owner, repo, p.number).replace(origin, fake.url)) }))
        .filter(({ f }) => (url.searchParams.get("state") ?? "open") === "all" || f.state === "open")
        .map(({ p, f }) => ({ number: p.number, state: f.state === "merged" ? "closed" : f.state, html_url: prUrl(owner, repo, p.number), head: { ref: p.head, sha: f.headSha }, base: { ref: p.base } }));
      return send(res, 200, list);
    }
    const comment = method === "POST" ? rest.match(/^\/issues\/(\d+)\/comments$/) : null;
    if (comment) {
      if (!authorized(req, false)) return send(res, 401, { message: "Bad credentials" });
      const text = String(json().body ?? "");
      comments.push({ owner, repo, number: Number(comment[1]), body: text });
      return send(res, 201, { id: comments.length, body: text, html_url: `${prUrl(owner, repo, Number(comment[1]))}#issuecomment-${comments.length}` });
    }
    const review = method === "POST" ? rest.match(/^\/pulls\/(\d+)\/reviews$/) : null;
    if (review) {
      if (!authorized(req, false)) return send(res, 401, { message: "Bad credentials" });
      const number = Number(review[1]);
      const input = json() as { event?: string; body?: string; comments?: Array<{ path: string; line?: number; body: string }> };
      reviews.push({ owner, repo, number, event: String(input.event ?? "COMMENT"), body: String(input.body ?? ""), comments: input.comments ?? [] });
      const fakePr = fake.getPr(prUrl(owner, repo, number).replace(origin, fake.url));
      for (const c of input.comments ?? []) fakePr.threads.push({ isResolved: false, body: c.body });
      return send(res, 200, { id: reviews.length, state: input.event === "REQUEST_CHANGES" ? "CHANGES_REQUESTED" : "COMMENTED" });
    }
    const merge = method === "PUT" ? rest.match(/^\/pulls\/(\d+)\/merge$/) : null;
    if (merge) {
      const number = Number(merge[1]);
      const pr = prs.find((p) => p.owner === owner && p.repo === repo && p.number === number);
      const answer = await forwardQuiet(req, url, body);
      if (answer.status === 200 && pr) {
        const method = String(json().merge_method ?? "merge");
        if (!realMerge(owner, repo, pr.head, pr.base, method, number)) {
          fake.updatePr(prUrl(owner, repo, number).replace(origin, fake.url), { state: "open", mergedWith: undefined });
          return send(res, 405, { message: "Pull Request is not mergeable" });
        }
      }
      res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" });
      return void res.end(answer.text);
    }
    return forward(req, res, url, body);
  }

  function safeBranches(owner: string, repo: string): boolean {
    try {
      branches(owner, repo);
      return true;
    } catch {
      return false;
    }
  }

  async function forwardQuiet(req: IncomingMessage, url: URL, body: Buffer) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    const answer = await fetch(`${fake.url}${url.pathname}${url.search}`, { method: req.method, headers, body: new Uint8Array(body) });
    return { status: answer.status, text: await answer.text() };
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks)).catch((error) => {
        if (!res.headersSent) send(res, 500, { message: `git-github: ${error instanceof Error ? error.message : String(error)}` });
        else res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    apiUrl: origin,
    webUrl: origin,
    token,
    fake,
    comments,
    reviews,
    addRepo(owner, repo, files = { "README.md": `# ${repo}\n` }) {
      const bare = bareDir(owner, repo);
      mkdirSync(bare, { recursive: true });
      gitIn(bare, ["init", "-q", "--bare", "-b", "main"]);
      gitIn(bare, ["config", "http.receivepack", "true"]);
      const seed = mkdtempSync(path.join(tmpdir(), "gt-seed-"));
      try {
        gitIn(seed, ["init", "-q", "-b", "main"]);
        for (const [file, content] of Object.entries(files)) {
          mkdirSync(path.dirname(path.join(seed, file)), { recursive: true });
          writeFileSync(path.join(seed, file), content);
        }
        gitIn(seed, ["add", "-A"]);
        gitIn(seed, [...IDENTITY, "commit", "-q", "-m", "Initial commit"]);
        gitIn(seed, ["push", "-q", bare, "main"]);
      } finally {
        rmSync(seed, { recursive: true, force: true });
      }
      fake.addRepo(owner, repo);
      return `${origin}/${owner}/${repo}`;
    },
    bareDir,
    readFile(owner, repo, ref, file) {
      try {
        return gitIn(bareDir(owner, repo), ["show", `${ref}:${file}`]);
      } catch {
        return null;
      }
    },
    branches,
    prFor(owner, repo, head) {
      const pr = prs.find((p) => p.owner === owner && p.repo === repo && p.head === head);
      return pr ? { number: pr.number, url: prUrl(owner, repo, pr.number) } : null;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fake.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
