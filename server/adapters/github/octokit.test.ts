import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  completedRun,
  methodNotAllowed,
  rateLimited,
  startFakeGitHub,
  type FakeFailure,
  type FakeGitHub,
  type FakeRoute,
} from "@/server/testing/fake-github/server";
import { createOctokitGitHub, isValidBranchName } from "./octokit";
import type { GitHub } from "./types";

// The fake's token looks like a real one so a leak would be easy to spot in the captured output.
const TOKEN = "ghp_SECRETsecretSECRET0123456789abcdef";

let fake: FakeGitHub;
let github: GitHub;
const logLines: string[] = [];

beforeAll(async () => {
  fake = await startFakeGitHub({ token: TOKEN });
  github = createOctokitGitHub({ apiUrl: fake.apiUrl, webUrl: fake.webUrl, timeoutMs: 500, log: (m) => logLines.push(m) });
});

afterAll(async () => {
  await fake.close();
});

afterEach(() => {
  fake.clearFailures();
  fake.resetCalls();
});

function greenPr() {
  const { prUrl, pr } = fake.addPr({ owner: "acme", repo: "widgets" });
  fake.setCheckRuns(prUrl, [completedRun("success"), completedRun("skipped", "lint")]);
  return { prUrl, pr };
}

describe("getPrStatus", () => {
  it("reads open, closed and merged PRs with head sha and mergeable_state", async () => {
    const { prUrl, pr } = fake.addPr({ owner: "acme", repo: "widgets", mergeableState: "dirty" });
    expect(await github.getPrStatus({ token: TOKEN, prUrl })).toEqual({ state: "open", headSha: pr.headSha, mergeableState: "dirty" });
    fake.updatePr(prUrl, { state: "closed" });
    expect((await github.getPrStatus({ token: TOKEN, prUrl }))?.state).toBe("closed");
    fake.updatePr(prUrl, { state: "merged" });
    expect((await github.getPrStatus({ token: TOKEN, prUrl }))?.state).toBe("merged");
    const call = fake.callsTo("pulls.get")[0];
    expect(call.path).toBe(`/repos/acme/widgets/pulls/${pr.number}`);
    expect(call.authorized).toBe(true);
  });

  it("is null without a token, with a wrong token, for an unknown PR and for a URL on another host", async () => {
    const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets" });
    expect(await github.getPrStatus({ token: null, prUrl })).toBeNull();
    expect(await github.getPrStatus({ token: "", prUrl })).toBeNull();
    expect(await github.getPrStatus({ token: "wrong", prUrl })).toBeNull();
    expect(await github.getPrStatus({ token: TOKEN, prUrl: fake.prUrl("acme", "widgets", 9999) })).toBeNull();
    expect(await github.getPrStatus({ token: TOKEN, prUrl: "https://github.com/acme/widgets/pull/1" })).toBeNull();
    // Nothing was sent for the foreign URL or the missing token: the token never leaves for a foreign host.
    expect(fake.callsTo("pulls.get").length).toBe(2);
  });

  const injections: Array<[string, FakeFailure]> = [
    ["500", { status: 500 }],
    ["502", { status: 502, message: "Bad Gateway" }],
    ["403 rate limit", rateLimited(403)],
    ["429 rate limit", rateLimited(429)],
    ["malformed JSON", { malformedJson: true }],
    ["dropped connection", { dropConnection: true }],
    ["a hang (timeout)", { hang: true }],
  ];

  it.each(injections)("is null on %s, without throwing", async (_label, failure) => {
    const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets" });
    fake.failNext("pulls.get", failure);
    await expect(github.getPrStatus({ token: TOKEN, prUrl })).resolves.toBeNull();
  });

  it("is null when the JSON does not match the schema", async () => {
    const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets" });
    // A 200 answer of the wrong shape: graphql route answers differently, so reuse an injected status 200.
    fake.failNext("pulls.get", { status: 200, message: "not a pull request" });
    await expect(github.getPrStatus({ token: TOKEN, prUrl })).resolves.toBeNull();
  });
});

describe("checkPrFeedback", () => {
  it("a PR with green runs, no threads and no legacy statuses passes", async () => {
    const { prUrl, pr } = greenPr();
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toEqual({
      hasUnresolvedComments: false,
      hasFailingChecks: false,
      hasUncheckedRuns: false,
      allChecksPass: true,
      threadsTruncated: false,
    });
    const runsCall = fake.callsTo("checks.list")[0];
    expect(runsCall.path).toBe(`/repos/acme/widgets/commits/${pr.headSha}/check-runs`);
    expect(runsCall.query.per_page).toBe("100");
    expect(fake.callsTo("graphql")[0].body).toMatchObject({ variables: { owner: "acme", repo: "widgets", number: pr.number } });
    expect(JSON.stringify(fake.callsTo("graphql")[0].body)).toContain("reviewThreads(first: 100)");
  });

  it("a PR without any check run passes (nothing to wait for)", async () => {
    const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets" });
    expect((await github.checkPrFeedback({ token: TOKEN, prUrl }))?.allChecksPass).toBe(true);
  });

  it("one unresolved thread is blocking; all resolved is not", async () => {
    const { prUrl } = greenPr();
    fake.setThreads(prUrl, 3, 2);
    expect((await github.checkPrFeedback({ token: TOKEN, prUrl }))?.hasUnresolvedComments).toBe(true);
    fake.setThreads(prUrl, 3, 3);
    expect((await github.checkPrFeedback({ token: TOKEN, prUrl }))?.hasUnresolvedComments).toBe(false);
  });

  it("pagination guard: 101 threads, all resolved on the first page, count as unresolved", async () => {
    const { prUrl } = greenPr();
    // The first 100 are resolved; the 101st (unseen, on page 2) is not — and we must not assume anything.
    fake.setThreads(prUrl, 101, 101);
    const feedback = await github.checkPrFeedback({ token: TOKEN, prUrl });
    expect(feedback).toMatchObject({ hasUnresolvedComments: true, threadsTruncated: true });
    fake.setThreads(prUrl, 100, 100);
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ hasUnresolvedComments: false, threadsTruncated: false });
  });

  it("pagination guard: total_count 150 with 100 green runs returned is unchecked and never all-pass", async () => {
    const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets" });
    fake.setCheckRuns(prUrl, Array.from({ length: 150 }, (_, i) => completedRun("success", `ci-${i}`)));
    const feedback = await github.checkPrFeedback({ token: TOKEN, prUrl });
    expect(feedback).toMatchObject({ hasUncheckedRuns: true, allChecksPass: false, hasFailingChecks: false });
    // The combined status is not even consulted when the runs already say "not all pass".
    expect(fake.callsTo("status.get")).toHaveLength(0);
  });

  it("a failing, neutral or cancelled run is failing; a pending run is not failing but not passing", async () => {
    for (const conclusion of ["failure", "neutral", "cancelled", "timed_out", "action_required"]) {
      const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets" });
      fake.setCheckRuns(prUrl, [completedRun("success"), completedRun(conclusion, "bad")]);
      expect(await github.checkPrFeedback({ token: TOKEN, prUrl }), conclusion).toMatchObject({ hasFailingChecks: true, allChecksPass: false });
    }
    const { prUrl } = fake.addPr({ owner: "acme", repo: "widgets" });
    fake.setCheckRuns(prUrl, [completedRun("success"), { status: "in_progress" }]);
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ hasFailingChecks: false, allChecksPass: false });
  });

  it("combined status: consulted when runs pass; pending blocks, failure/error fail, zero statuses are ignored", async () => {
    const { prUrl } = greenPr();
    fake.setCombinedStatus(prUrl, "pending", 0); // GitHub's answer for a commit without statuses
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ allChecksPass: true, hasFailingChecks: false });
    expect(fake.callsTo("status.get")).toHaveLength(1);

    fake.setCombinedStatus(prUrl, "pending", 2);
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ allChecksPass: false, hasFailingChecks: false });
    fake.setCombinedStatus(prUrl, "failure", 2);
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ allChecksPass: false, hasFailingChecks: true });
    fake.setCombinedStatus(prUrl, "error", 1);
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ allChecksPass: false, hasFailingChecks: true });
    fake.setCombinedStatus(prUrl, "success", 3);
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ allChecksPass: true, hasFailingChecks: false });
  });

  it("is null without a token or for a URL on another host, and sends nothing", async () => {
    const { prUrl } = greenPr();
    expect(await github.checkPrFeedback({ token: undefined, prUrl })).toBeNull();
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl: "https://github.com/acme/widgets/pull/1" })).toBeNull();
    expect(fake.calls).toHaveLength(0);
  });

  const subCallFailures: Array<[FakeRoute, FakeFailure]> = [
    ["graphql", { status: 502 }],
    ["graphql", { malformedJson: true }],
    ["graphql", { hang: true }],
    ["graphql", rateLimited(403)],
    ["pulls.get", { status: 500 }],
    ["checks.list", { status: 502 }],
    ["checks.list", { malformedJson: true }],
    ["checks.list", { hang: true }],
    ["checks.list", rateLimited(429)],
    ["status.get", { status: 500 }],
    ["status.get", { dropConnection: true }],
  ];

  it.each(subCallFailures)("a failing %s sub-call falls back to the fail-safe defaults (%j)", async (route, failure) => {
    const { prUrl } = greenPr();
    fake.failNext(route, failure);
    const feedback = await github.checkPrFeedback({ token: TOKEN, prUrl });
    // Never green (so never auto-merged), never a spurious feedback bead.
    expect(feedback).toEqual({
      hasUnresolvedComments: false,
      hasFailingChecks: false,
      hasUncheckedRuns: false,
      allChecksPass: false,
      threadsTruncated: false,
    });
  });

  it("an unresolved thread is still reported when the checks sub-call fails", async () => {
    const { prUrl } = greenPr();
    fake.setThreads(prUrl, 1, 0);
    fake.failNext("checks.list", { status: 500 });
    expect(await github.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ hasUnresolvedComments: true, allChecksPass: false });
  });
});

describe("mergePr", () => {
  it("squash-merges when allowed", async () => {
    const { prUrl, pr } = greenPr();
    expect(await github.mergePr({ token: TOKEN, prUrl })).toMatchObject({ merged: true, method: "squash" });
    expect(pr.state).toBe("merged");
    expect(fake.callsTo("pulls.merge").map((c) => (c.body as { merge_method: string }).merge_method)).toEqual(["squash"]);
  });

  it("falls back squash → merge → rebase on a 'not allowed' 405", async () => {
    const { prUrl, pr } = greenPr();
    fake.setMergeOutcome(prUrl, "squash", methodNotAllowed("squash"));
    fake.setMergeOutcome(prUrl, "merge", methodNotAllowed("merge"));
    expect(await github.mergePr({ token: TOKEN, prUrl })).toMatchObject({ merged: true, method: "rebase" });
    expect(pr.mergedWith).toBe("rebase");
    expect(fake.callsTo("pulls.merge").map((c) => (c.body as { merge_method: string }).merge_method)).toEqual(["squash", "merge", "rebase"]);
  });

  it("reports not merged when no method is allowed", async () => {
    const { prUrl, pr } = greenPr();
    for (const m of ["squash", "merge", "rebase"] as const) fake.setMergeOutcome(prUrl, m, methodNotAllowed(m));
    expect(await github.mergePr({ token: TOKEN, prUrl })).toMatchObject({ merged: false });
    expect(pr.state).toBe("open");
  });

  it.each([
    [405, "Pull Request is not mergeable"],
    [405, "At least 1 approving review is required by reviewers with write access."],
    [409, "Head branch was modified. Review and try the merge again."],
    [422, "Validation Failed"],
    [500, "Server Error"],
  ])("stops at the first %i (%s) without trying another method", async (status, message) => {
    const { prUrl, pr } = greenPr();
    fake.setMergeOutcome(prUrl, "squash", { status, message });
    const result = await github.mergePr({ token: TOKEN, prUrl });
    expect(result.merged).toBe(false);
    expect(result.merged === false && result.reason).toContain(String(status));
    expect(fake.callsTo("pulls.merge")).toHaveLength(1);
    expect(pr.state).toBe("open");
  });

  it("passes the expected head sha so a moved head is refused (409)", async () => {
    const { prUrl, pr } = greenPr();
    const result = await github.mergePr({ token: TOKEN, prUrl, expectedHeadSha: "0".repeat(40) });
    expect(result).toMatchObject({ merged: false });
    expect(pr.state).toBe("open");
    expect(await github.mergePr({ token: TOKEN, prUrl, expectedHeadSha: pr.headSha })).toMatchObject({ merged: true });
  });

  it("does not retry or fall back after a timeout (the merge may have happened)", async () => {
    const { prUrl } = greenPr();
    fake.failNext("pulls.merge", { hang: true });
    expect(await github.mergePr({ token: TOKEN, prUrl })).toEqual({ merged: false, reason: "merge timed out" });
    expect(fake.callsTo("pulls.merge")).toHaveLength(1);
  });

  it.each<[string, FakeFailure]>([
    ["malformed JSON", { malformedJson: true }],
    ["a dropped connection", { dropConnection: true }],
    ["a 403 rate limit", rateLimited(403)],
  ])("is not merged on %s, without throwing", async (_label, failure) => {
    const { prUrl } = greenPr();
    fake.failNext("pulls.merge", failure);
    await expect(github.mergePr({ token: TOKEN, prUrl })).resolves.toMatchObject({ merged: false });
    expect(fake.callsTo("pulls.merge")).toHaveLength(1);
  });

  it("refuses without a token or for a foreign URL without calling GitHub", async () => {
    const { prUrl } = greenPr();
    expect(await github.mergePr({ token: null, prUrl })).toMatchObject({ merged: false });
    expect(await github.mergePr({ token: TOKEN, prUrl: "https://github.com/acme/widgets/pull/1" })).toMatchObject({ merged: false });
    expect(fake.calls).toHaveLength(0);
  });

  it("samePrRepo on the adapter refuses a PR of another repository than the rig", () => {
    const rig = `${fake.webUrl}/acme/widgets.git`;
    expect(github.samePrRepo(rig, fake.prUrl("acme", "widgets", 3))).toBe(true);
    expect(github.samePrRepo(rig, fake.prUrl("acme", "other", 3))).toBe(false);
    expect(github.samePrRepo(rig, "https://github.com/acme/widgets/pull/3")).toBe(false);
  });
});

describe("createBranch", () => {
  it("creates a convoy feature branch at the default branch tip; an existing one (422) is fine", async () => {
    fake.addRepo("acme", "tools", { defaultBranch: "trunk" });
    const repoUrl = `${fake.webUrl}/acme/tools.git`;
    const branch = "convoy/add-login/1a2b3c4d/head";
    expect(await github.createBranch({ token: TOKEN, repoUrl, branch })).toEqual({ ok: true, created: true });
    const branches = fake.branches("acme", "tools");
    expect(branches[branch]).toBe(branches.trunk);
    expect(fake.callsTo("git.createRef")[0].body).toEqual({ ref: `refs/heads/${branch}`, sha: branches.trunk });
    expect(await github.createBranch({ token: TOKEN, repoUrl, branch })).toEqual({ ok: true, created: false });
  });

  it("uses fromBranch when given (slashes kept as path separators)", async () => {
    fake.addRepo("acme", "tools2", { branches: { "release/1.0": "f".repeat(40) } });
    const repoUrl = `${fake.webUrl}/acme/tools2`;
    expect(await github.createBranch({ token: TOKEN, repoUrl, branch: "hotfix/x", fromBranch: "release/1.0" })).toEqual({ ok: true, created: true });
    expect(fake.branches("acme", "tools2")["hotfix/x"]).toBe("f".repeat(40));
    expect(fake.callsTo("repos.get")).toHaveLength(0);
  });

  it("fails cleanly on a missing base branch, a server error, a bad name, no token", async () => {
    fake.addRepo("acme", "tools3");
    const repoUrl = `${fake.webUrl}/acme/tools3`;
    expect(await github.createBranch({ token: TOKEN, repoUrl, branch: "x", fromBranch: "nope" })).toMatchObject({ ok: false });
    fake.failNext("git.createRef", { status: 500 });
    expect(await github.createBranch({ token: TOKEN, repoUrl, branch: "y" })).toMatchObject({ ok: false });
    expect(await github.createBranch({ token: TOKEN, repoUrl, branch: "bad..name" })).toMatchObject({ ok: false });
    expect(await github.createBranch({ token: null, repoUrl, branch: "z" })).toMatchObject({ ok: false });
  });

  it("validates branch names like git check-ref-format", () => {
    expect(isValidBranchName("convoy/a-b/12345678/head")).toBe(true);
    for (const bad of ["", "a..b", "a b", "-x", "x/", "/x", "x.lock", "a/.hidden", "a~1", "a:b", "a@{1}"]) {
      expect(isValidBranchName(bad), bad).toBe(false);
    }
  });
});

describe("GitHub Enterprise layout", () => {
  it("talks REST under /api/v3 and GraphQL at /api/graphql", async () => {
    const ghe = await startFakeGitHub({ token: TOKEN, ghe: true });
    try {
      expect(ghe.apiUrl).toMatch(/\/api\/v3$/);
      const client = createOctokitGitHub({ apiUrl: ghe.apiUrl, webUrl: ghe.webUrl, timeoutMs: 1000 });
      const { prUrl } = ghe.addPr({ owner: "team", repo: "app" });
      ghe.setThreads(prUrl, 1, 0);
      expect(await client.getPrStatus({ token: TOKEN, prUrl })).toMatchObject({ state: "open" });
      expect(await client.checkPrFeedback({ token: TOKEN, prUrl })).toMatchObject({ hasUnresolvedComments: true });
      expect(ghe.callsTo("graphql").map((c) => c.path)).toEqual(["/api/graphql"]);
      expect(ghe.callsTo("pulls.get").every((c) => c.path.startsWith("/api/v3/repos/"))).toBe(true);
    } finally {
      await ghe.close();
    }
  });
});

describe("secrets", () => {
  it("never puts the token in results, diagnostics or console output", async () => {
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m));
    const stdout = vi.spyOn(process.stdout, "write");
    const stderr = vi.spyOn(process.stderr, "write");
    try {
      const { prUrl } = greenPr();
      const results: unknown[] = [];
      fake.failNext("pulls.get", { status: 500, message: `echo ${TOKEN}` });
      results.push(await github.getPrStatus({ token: TOKEN, prUrl }));
      fake.failNext("graphql", { status: 401, message: `Bad credentials ${TOKEN}` });
      fake.failNext("checks.list", { hang: true });
      results.push(await github.checkPrFeedback({ token: TOKEN, prUrl }));
      fake.failNext("pulls.merge", { status: 409, message: `conflict for ${TOKEN}` });
      results.push(await github.mergePr({ token: TOKEN, prUrl }));
      fake.failNext("git.getRef", { status: 500, message: TOKEN });
      results.push(await github.createBranch({ token: TOKEN, repoUrl: `${fake.webUrl}/acme/widgets`, branch: "feature" }));
      results.push(await github.getPrStatus({ token: "wrong-token", prUrl }));

      const printed = [...spies, stdout, stderr].flatMap((s) => s.mock.calls.map((args) => args.map(String).join(" "))).join("\n");
      expect(printed).not.toContain(TOKEN);
      expect(JSON.stringify(results)).not.toContain(TOKEN);
      expect(logLines.join("\n")).not.toContain(TOKEN);
      expect(logLines.length).toBeGreaterThan(0);
      // The failed merge still explains itself, with the secret redacted.
      expect(JSON.stringify(results[2])).toContain("[REDACTED]");
    } finally {
      for (const s of spies) s.mockRestore();
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
