import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOctokitGitHub } from "@/server/adapters/github/octokit";
import type { GitHub } from "@/server/adapters/github/types";
import { parseEventPayload, type EventType } from "@/server/domain/events";
import {
  completedRun,
  methodNotAllowed,
  rateLimited,
  startFakeGitHub,
  type FakeFailure,
  type FakeGitHub,
} from "@/server/testing/fake-github/server";
import { mergePrRepoCheck, runMergePr, runPollPr, type EventToEnqueue, type MergePrInput, type PollPrInput } from "./pr";

// Real HTTP end to end: the side effects → the Octokit adapter → the loopback fake GitHub. The only
// doubles are a few GitHub *ports* that throw or answer null, for paths the real adapter never takes.

// Looks like a real token so a leak into a payload or a log line is easy to spot.
const TOKEN = "ghp_PRSIDEEFFECTsecret0123456789abcdef";
const MR = "mr-1";
const NOW = new Date("2026-03-01T12:00:00.000Z");
const minutesAgo = (m: number, extraMs = 0) => new Date(NOW.getTime() - m * 60_000 - extraMs);

let fake: FakeGitHub;
let github: GitHub;
const logLines: string[] = [];
const log = (m: string) => logLines.push(m);

function makeGitHub(fetchHook?: (url: string) => void): GitHub {
  return createOctokitGitHub({
    apiUrl: fake.apiUrl,
    webUrl: fake.webUrl,
    timeoutMs: 300,
    log,
    ...(fetchHook
      ? {
          fetch: async (url: string | URL | Request, init?: RequestInit) => {
            const res = await fetch(url, init);
            fetchHook(typeof url === "string" ? url : url instanceof URL ? url.href : url.url);
            return res;
          },
        }
      : {}),
  });
}

beforeAll(async () => {
  fake = await startFakeGitHub({ token: TOKEN });
  github = makeGitHub();
});

afterAll(async () => {
  await fake.close();
  // Nothing the adapter or the side effects logged in the whole file carries the token.
  expect(logLines.join("\n")).not.toContain(TOKEN);
});

afterEach(() => {
  fake.clearFailures();
  fake.resetCalls();
});

const rigUrl = () => `${fake.webUrl}/acme/widgets`;

/** An open PR in acme/widgets whose checks are green (two runs, no legacy statuses, no threads). */
function greenPr(owner = "acme", repo = "widgets") {
  const { prUrl, pr } = fake.addPr({ owner, repo });
  fake.setCheckRuns(prUrl, [completedRun("success"), completedRun("skipped", "lint")]);
  return { prUrl, pr };
}

function failingPr() {
  const { prUrl, pr } = fake.addPr({ owner: "acme", repo: "widgets" });
  fake.setCheckRuns(prUrl, [completedRun("success"), completedRun("failure", "tests")]);
  return { prUrl, pr };
}

function pollInput(prUrl: string, overrides: Partial<PollPrInput> = {}): PollPrInput {
  return {
    mrBeadId: MR,
    prUrl,
    token: TOKEN,
    sourceBeadId: "src-1",
    branch: "gt/polecat/fix-things",
    rigGitUrl: rigUrl(),
    settings: { autoMerge: true, autoMergeDelayMinutes: 5, autoResolvePrFeedback: true },
    autoMergeReadySince: null,
    autoMergePending: false,
    held: false,
    hasOpenFeedbackBead: false,
    ...overrides,
  };
}

/** Every returned event targets the MR, parses as its type's payload, and carries no token. */
function checked(events: EventToEnqueue[]): EventToEnqueue[] {
  for (const e of events) {
    expect(e.beadId).toBe(MR);
    expect(e.agentId).toBeNull();
    expect(() => parseEventPayload(e.eventType, e.payload)).not.toThrow();
    // Plain JSON, as the tick inserts it into jsonb.
    expect(JSON.parse(JSON.stringify(e.payload))).toEqual(e.payload);
  }
  expect(JSON.stringify(events)).not.toContain(TOKEN);
  return events;
}

async function poll(prUrl: string, overrides: Partial<PollPrInput> = {}, gh: GitHub = github, now = NOW) {
  return checked(await runPollPr(gh, pollInput(prUrl, overrides), now, { log }));
}

function mergeInput(prUrl: string, overrides: Partial<MergePrInput> = {}): MergePrInput {
  return { mrBeadId: MR, prUrl, token: TOKEN, rigGitUrl: rigUrl(), ...overrides };
}

async function merge(prUrl: string, overrides: Partial<MergePrInput> = {}, gh: GitHub = github) {
  return checked(await runMergePr(gh, mergeInput(prUrl, overrides), NOW, { log }));
}

const types = (events: EventToEnqueue[]) => events.map((e) => e.eventType);
function find<T extends EventType>(events: EventToEnqueue[], type: T) {
  return events.filter((e): e is Extract<EventToEnqueue, { eventType: T }> => e.eventType === type);
}

// ------------------------------------------------------------------------------------------ poll_pr

describe("runPollPr: status", () => {
  it("reports a merged PR as pr_status_changed merged and stops (no feedback read)", async () => {
    const { prUrl } = greenPr();
    fake.updatePr(prUrl, { state: "merged" });
    const events = await poll(prUrl);
    expect(events).toEqual([
      { eventType: "poll_nonnull_result", beadId: MR, agentId: null, payload: { mr_bead_id: MR } },
      { eventType: "pr_status_changed", beadId: MR, agentId: null, payload: { pr_url: prUrl, pr_state: "merged" } },
    ]);
    expect(fake.callsTo("graphql")).toHaveLength(0);
    expect(fake.callsTo("checks.list")).toHaveLength(0);
  });

  it("reports a closed PR as pr_status_changed closed and stops", async () => {
    const { prUrl } = failingPr();
    fake.updatePr(prUrl, { state: "closed" });
    const events = await poll(prUrl);
    expect(types(events)).toEqual(["poll_nonnull_result", "pr_status_changed"]);
    expect(events[1].payload).toEqual({ pr_url: prUrl, pr_state: "closed" });
    expect(fake.callsTo("graphql")).toHaveLength(0);
  });

  const failures: Array<[string, FakeFailure]> = [
    ["500", { status: 500 }],
    ["502", { status: 502, message: "Bad Gateway" }],
    ["a timeout", { hang: true }],
    ["malformed JSON", { malformedJson: true }],
    ["403 rate limit", rateLimited(403)],
    ["429 rate limit", rateLimited(429)],
    ["a dropped connection", { dropConnection: true }],
    ["404", { status: 404, message: "Not Found" }],
  ];

  it.each(failures)("answers only poll_null_result on %s", async (_label, failure) => {
    const { prUrl } = greenPr();
    fake.failNext("pulls.get", failure);
    const events = await poll(prUrl);
    expect(events).toEqual([{ eventType: "poll_null_result", beadId: MR, agentId: null, payload: { mr_bead_id: MR, pr_url: prUrl } }]);
    // Nothing else was asked once the status could not be read.
    expect(fake.callsTo("graphql")).toHaveLength(0);
    expect(fake.callsTo("pulls.get")).toHaveLength(1);
  });

  it("answers poll_null_result without a token, and sends nothing to GitHub", async () => {
    const { prUrl } = greenPr();
    expect(types(await poll(prUrl, { token: null }))).toEqual(["poll_null_result"]);
    expect(types(await poll(prUrl, { token: "" }))).toEqual(["poll_null_result"]);
    expect(fake.calls).toHaveLength(0);
  });

  it("answers poll_null_result with a wrong token (401)", async () => {
    const { prUrl } = greenPr();
    expect(types(await poll(prUrl, { token: "ghp_wrong_token_value" }))).toEqual(["poll_null_result"]);
  });

  it("answers poll_null_result for a PR URL on another host (no request made)", async () => {
    const events = await poll("https://github.com/acme/widgets/pull/1");
    expect(types(events)).toEqual(["poll_null_result"]);
    expect(fake.calls).toHaveLength(0);
  });

  it("reads neither feedback nor timer when auto-resolve is off and auto-merge is off or has no delay", async () => {
    const { prUrl } = failingPr();
    const off = { autoMerge: false, autoMergeDelayMinutes: 5, autoResolvePrFeedback: false };
    const noDelay = { autoMerge: true, autoMergeDelayMinutes: null, autoResolvePrFeedback: false };
    expect(types(await poll(prUrl, { settings: off }))).toEqual(["poll_nonnull_result"]);
    expect(types(await poll(prUrl, { settings: noDelay }))).toEqual(["poll_nonnull_result"]);
    expect(fake.callsTo("graphql")).toHaveLength(0);
    expect(fake.callsTo("checks.list")).toHaveLength(0);
  });
});

describe("runPollPr: auto-resolve (pr_feedback_detected)", () => {
  it("a failing check → one pr_feedback_detected with the full payload, then poll_feedback_checked; feedback read once", async () => {
    const { prUrl, pr } = failingPr();
    const events = await poll(prUrl);
    expect(types(events)).toEqual(["poll_nonnull_result", "pr_feedback_detected", "poll_feedback_checked"]);
    expect(events[1].payload).toEqual({
      mr_bead_id: MR,
      pr_url: prUrl,
      pr_number: pr.number,
      repo: "acme/widgets",
      branch: "gt/polecat/fix-things",
      has_unresolved_comments: false,
      has_failing_checks: true,
      has_unchecked_runs: false,
    });
    expect(events[2].payload).toEqual({ mr_bead_id: MR, checked_at: NOW.toISOString() });
    // checkPrFeedback once (one GraphQL query, one check-runs read) although auto-merge wants it too.
    expect(fake.callsTo("graphql")).toHaveLength(1);
    expect(fake.callsTo("checks.list")).toHaveLength(1);
    // status, the feedback's head read, the re-check
    expect(fake.callsTo("pulls.get")).toHaveLength(3);
  });

  it("no pr_feedback_detected while an open feedback bead blocks the MR (and no re-check)", async () => {
    const { prUrl } = failingPr();
    const events = await poll(prUrl, { hasOpenFeedbackBead: true });
    expect(types(events)).toEqual(["poll_nonnull_result", "poll_feedback_checked"]);
    expect(fake.callsTo("pulls.get")).toHaveLength(2);
  });

  it("an unresolved review thread → pr_feedback_detected with has_unresolved_comments", async () => {
    const { prUrl } = greenPr();
    fake.setThreads(prUrl, 3, 2);
    const [detected] = find(await poll(prUrl), "pr_feedback_detected");
    expect(detected.payload).toMatchObject({ has_unresolved_comments: true, has_failing_checks: false, has_unchecked_runs: false });
  });

  it("no feedback event when the PR was merged between the feedback check and the re-check", async () => {
    const { prUrl } = failingPr();
    // Merge the PR on GitHub's side as soon as the feedback's check-runs read has been answered.
    const racing = makeGitHub((url) => {
      if (url.includes("/check-runs")) fake.updatePr(prUrl, { state: "merged" });
    });
    const events = await poll(prUrl, {}, racing);
    expect(types(events)).toEqual(["poll_nonnull_result", "poll_feedback_checked"]);
    expect(fake.callsTo("pulls.get")).toHaveLength(3); // the re-check did happen and saw "merged"
  });

  it("no feedback event when the re-check cannot read the PR (the next poll decides)", async () => {
    const { prUrl } = failingPr();
    const racing = makeGitHub((url) => {
      if (url.includes("/check-runs")) fake.failNext("pulls.get", { status: 502 }, 1);
    });
    expect(types(await poll(prUrl, {}, racing))).toEqual(["poll_nonnull_result", "poll_feedback_checked"]);
  });

  it("a green PR with auto-resolve on records the check but detects nothing", async () => {
    const { prUrl } = greenPr();
    const events = await poll(prUrl, { settings: { autoMerge: false, autoMergeDelayMinutes: 5, autoResolvePrFeedback: true } });
    expect(types(events)).toEqual(["poll_nonnull_result", "poll_feedback_checked"]);
  });

  it("auto-resolve off: a failing PR produces no feedback event and no poll_feedback_checked", async () => {
    const { prUrl } = failingPr();
    const events = await poll(prUrl, { settings: { autoMerge: true, autoMergeDelayMinutes: 5, autoResolvePrFeedback: false } });
    expect(types(events)).toEqual(["poll_nonnull_result"]);
  });
});

describe("runPollPr: auto-merge grace timer", () => {
  const mergeOnly = { autoMerge: true, autoMergeDelayMinutes: 5, autoResolvePrFeedback: false };

  it("a green first poll starts the timer at now", async () => {
    const { prUrl } = greenPr();
    const events = await poll(prUrl, { settings: mergeOnly });
    expect(events).toEqual([
      { eventType: "poll_nonnull_result", beadId: MR, agentId: null, payload: { mr_bead_id: MR } },
      { eventType: "poll_auto_merge_update", beadId: MR, agentId: null, payload: { mr_bead_id: MR, ready_since: NOW.toISOString() } },
    ]);
  });

  it("green just under the delay → nothing; exactly at and just over → pr_auto_merge", async () => {
    const { prUrl } = greenPr();
    const under = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: minutesAgo(5, -1) });
    expect(types(under)).toEqual(["poll_nonnull_result"]);
    const exactly = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: minutesAgo(5) });
    expect(types(exactly)).toEqual(["poll_nonnull_result", "pr_auto_merge"]);
    const over = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: minutesAgo(5, 1) });
    expect(over[1]).toEqual({ eventType: "pr_auto_merge", beadId: MR, agentId: null, payload: { mr_bead_id: MR, pr_url: prUrl } });
    expect(fake.callsTo("pulls.merge")).toHaveLength(0); // polling never merges
  });

  it("does not re-emit pr_auto_merge while auto_merge_pending", async () => {
    const { prUrl } = greenPr();
    const events = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: minutesAgo(60), autoMergePending: true });
    expect(types(events)).toEqual(["poll_nonnull_result"]);
  });

  it("a held MR never starts the timer and never gets pr_auto_merge", async () => {
    const { prUrl } = greenPr();
    expect(types(await poll(prUrl, { held: true, settings: mergeOnly }))).toEqual(["poll_nonnull_result"]);
    // A timer left over from before the hold is cleared, never fired.
    const stale = await poll(prUrl, { held: true, settings: mergeOnly, autoMergeReadySince: minutesAgo(60) });
    expect(types(stale)).toEqual(["poll_nonnull_result", "poll_auto_merge_update"]);
    expect(stale[1].payload).toEqual({ mr_bead_id: MR, ready_since: null });
    // With auto-resolve off a held MR needs no feedback at all.
    expect(fake.callsTo("graphql")).toHaveLength(0);
  });

  it("a held MR still gets auto-resolve feedback beads", async () => {
    const { prUrl } = failingPr();
    const events = await poll(prUrl, { held: true, autoMergeReadySince: null });
    expect(types(events)).toEqual(["poll_nonnull_result", "pr_feedback_detected", "poll_feedback_checked"]);
  });

  it("not green clears a running timer, and says nothing when no timer runs", async () => {
    const { prUrl } = failingPr();
    const running = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: minutesAgo(60) });
    expect(running.slice(1)).toEqual([
      { eventType: "poll_auto_merge_update", beadId: MR, agentId: null, payload: { mr_bead_id: MR, ready_since: null } },
    ]);
    expect(types(await poll(prUrl, { settings: mergeOnly }))).toEqual(["poll_nonnull_result"]);
  });

  it("auto-merge turned off clears a leftover timer", async () => {
    const { prUrl } = greenPr();
    const events = await poll(prUrl, {
      settings: { autoMerge: false, autoMergeDelayMinutes: 5, autoResolvePrFeedback: false },
      autoMergeReadySince: minutesAgo(60),
    });
    expect(types(events)).toEqual(["poll_nonnull_result", "poll_auto_merge_update"]);
    expect(events[1].payload).toMatchObject({ ready_since: null });
  });

  it("pending legacy statuses keep a PR with green runs from going green", async () => {
    const { prUrl } = greenPr();
    fake.setCombinedStatus(prUrl, "pending", 1);
    const events = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: minutesAgo(60) });
    expect(types(events)).toEqual(["poll_nonnull_result", "poll_auto_merge_update"]);
    expect(events[1].payload).toMatchObject({ ready_since: null });
  });

  it("101 review threads (all resolved on the first page) → not green, reported as unresolved", async () => {
    const { prUrl } = greenPr();
    fake.setThreads(prUrl, 101, 101);
    const events = await poll(prUrl, { autoMergeReadySince: minutesAgo(60) });
    expect(types(events)).toEqual(["poll_nonnull_result", "pr_feedback_detected", "poll_feedback_checked", "poll_auto_merge_update"]);
    expect(events[1].payload).toMatchObject({ has_unresolved_comments: true });
    expect(events[3].payload).toMatchObject({ ready_since: null });
    // Not green from the start either: the timer never starts.
    expect(types(await poll(prUrl, { settings: mergeOnly }))).toEqual(["poll_nonnull_result"]);
  });

  it("total_count 150 with 100 green runs → never pr_auto_merge, and merge_pr never merges", async () => {
    const { prUrl, pr } = fake.addPr({ owner: "acme", repo: "widgets" });
    fake.setCheckRuns(prUrl, Array.from({ length: 100 }, (_, i) => completedRun("success", `ci-${i}`)), 150);
    for (const readySince of [null, minutesAgo(5), minutesAgo(600)]) {
      const events = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: readySince });
      expect(types(events)).not.toContain("pr_auto_merge");
      expect(find(events, "poll_auto_merge_update").every((e) => e.payload.ready_since === null)).toBe(true);
    }
    const withResolve = await poll(prUrl, { autoMergeReadySince: minutesAgo(600) });
    expect(find(withResolve, "pr_feedback_detected")[0].payload).toMatchObject({ has_unchecked_runs: true, has_failing_checks: false });
    // Even a "merge now" (pending set by a person) is refused by the fresh check.
    expect(await merge(prUrl)).toEqual([
      { eventType: "auto_merge_cleared", beadId: MR, agentId: null, payload: { mr_bead_id: MR, reason: "fresh_feedback" } },
    ]);
    expect(fake.callsTo("pulls.merge")).toHaveLength(0);
    expect(pr.state).toBe("open");
  });

  it("a GitHub outage on the feedback sub-calls never starts the timer nor creates feedback", async () => {
    const { prUrl } = greenPr();
    fake.failNext("graphql", { status: 502 });
    expect(types(await poll(prUrl))).toEqual(["poll_nonnull_result", "poll_feedback_checked"]);
    fake.clearFailures();
    fake.failNext("checks.list", { hang: true });
    const events = await poll(prUrl, { autoMergeReadySince: minutesAgo(60) });
    expect(types(events)).toEqual(["poll_nonnull_result", "poll_feedback_checked", "poll_auto_merge_update"]);
    expect(events[2].payload).toMatchObject({ ready_since: null });
  });

  it("unchecked runs alone keep a PR from going green, whatever allChecksPass says (pagination guard)", async () => {
    const { prUrl } = greenPr();
    const inconsistent: GitHub = {
      ...github,
      checkPrFeedback: async () => ({
        hasUnresolvedComments: false,
        hasFailingChecks: false,
        hasUncheckedRuns: true,
        allChecksPass: true,
        threadsTruncated: false,
      }),
    };
    const events = await poll(prUrl, { settings: mergeOnly, autoMergeReadySince: minutesAgo(600) }, inconsistent);
    expect(types(events)).toEqual(["poll_nonnull_result", "poll_auto_merge_update"]);
    expect(types(await merge(prUrl, {}, inconsistent))).toEqual(["auto_merge_cleared"]);
    expect(fake.callsTo("pulls.merge")).toHaveLength(0);
  });

  it("feedback null (port answers nothing) → no auto-merge, timer left alone", async () => {
    const { prUrl } = greenPr();
    const noFeedback: GitHub = { ...github, checkPrFeedback: async () => null };
    const events = await poll(prUrl, { autoMergeReadySince: minutesAgo(60) }, noFeedback);
    expect(types(events)).toEqual(["poll_nonnull_result"]);
  });
});

describe("runPollPr: never throws", () => {
  it("an exception before the status was read → poll_null_result; the log line is redacted", async () => {
    const { prUrl } = greenPr();
    const throwing: GitHub = {
      ...github,
      getPrStatus: async () => {
        throw new Error(`boom with ${TOKEN} inside`);
      },
    };
    const before = logLines.length;
    const events = await poll(prUrl, {}, throwing);
    expect(events).toEqual([{ eventType: "poll_null_result", beadId: MR, agentId: null, payload: { mr_bead_id: MR, pr_url: prUrl } }]);
    const lines = logLines.slice(before).join("\n");
    expect(lines).toContain("[REDACTED]");
    expect(lines).not.toContain(TOKEN);
  });

  it("an exception after the status was read keeps poll_nonnull_result (never counts a null)", async () => {
    const { prUrl } = greenPr();
    const throwing: GitHub = {
      ...github,
      checkPrFeedback: async () => {
        throw new Error("feedback exploded");
      },
    };
    await expect(runPollPr(throwing, pollInput(prUrl), NOW, { log })).resolves.toEqual([
      { eventType: "poll_nonnull_result", beadId: MR, agentId: null, payload: { mr_bead_id: MR } },
    ]);
  });
});

// ------------------------------------------------------------------------------------------ merge_pr

describe("mergePrRepoCheck", () => {
  it("accepts the rig's repository (case-insensitive, with or without .git) and refuses anything else", () => {
    const pr = `${fake.webUrl}/acme/widgets/pull/7`;
    expect(mergePrRepoCheck(github, { rigGitUrl: `${fake.webUrl}/acme/widgets`, prUrl: pr })).toEqual({ ok: true });
    expect(mergePrRepoCheck(github, { rigGitUrl: `${fake.webUrl}/ACME/Widgets.git`, prUrl: pr })).toEqual({ ok: true });
    const refused = { ok: false, reason: "repo_mismatch" };
    expect(mergePrRepoCheck(github, { rigGitUrl: `${fake.webUrl}/acme/gadgets`, prUrl: pr })).toEqual(refused);
    expect(mergePrRepoCheck(github, { rigGitUrl: `${fake.webUrl}/other/widgets`, prUrl: pr })).toEqual(refused);
    expect(mergePrRepoCheck(github, { rigGitUrl: "https://github.com/acme/widgets", prUrl: pr })).toEqual(refused);
    expect(mergePrRepoCheck(github, { rigGitUrl: `${fake.webUrl}/acme/widgets`, prUrl: `${fake.webUrl}/acme/widgets/pull/new/x` })).toEqual(refused);
  });
});

describe("runMergePr", () => {
  it("merges a green PR with exactly one merge call, at the checked head → pr_status_changed merged", async () => {
    const { prUrl, pr } = greenPr();
    const head = pr.headSha;
    const events = await merge(prUrl);
    expect(events).toEqual([
      { eventType: "pr_status_changed", beadId: MR, agentId: null, payload: { pr_url: prUrl, pr_state: "merged" } },
    ]);
    const calls = fake.callsTo("pulls.merge");
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toMatchObject({ merge_method: "squash", sha: head });
    expect(pr.state).toBe("merged");
    expect(pr.mergedWith).toBe("squash");
    // The fresh feedback re-check ran right before the merge.
    expect(fake.callsTo("graphql")).toHaveLength(1);
    expect(fake.callsTo("checks.list")).toHaveLength(1);
  });

  it("a PR of another repository → auto_merge_cleared repo_mismatch, no GitHub call at all", async () => {
    const { prUrl, pr } = greenPr("evil", "widgets");
    const events = await merge(prUrl);
    expect(events).toEqual([
      { eventType: "auto_merge_cleared", beadId: MR, agentId: null, payload: { mr_bead_id: MR, reason: "repo_mismatch" } },
    ]);
    expect(fake.callsTo("pulls.merge")).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
    expect(pr.state).toBe("open");
  });

  it("fresh feedback failing → auto_merge_cleared fresh_feedback, zero merge calls", async () => {
    const { prUrl, pr } = failingPr();
    expect(await merge(prUrl)).toEqual([
      { eventType: "auto_merge_cleared", beadId: MR, agentId: null, payload: { mr_bead_id: MR, reason: "fresh_feedback" } },
    ]);
    expect(fake.callsTo("pulls.merge")).toHaveLength(0);
    expect(pr.state).toBe("open");
  });

  it("an unresolved thread, a pending check run or an unreadable status → fresh_feedback, zero merge calls", async () => {
    const threads = greenPr();
    fake.setThreads(threads.prUrl, 1);
    const pending = greenPr();
    fake.setCheckRuns(pending.prUrl, [completedRun("success"), { status: "in_progress" }]);
    const unreadable = greenPr();
    for (const prUrl of [threads.prUrl, pending.prUrl]) {
      expect(find(await merge(prUrl), "auto_merge_cleared")[0].payload).toEqual({ mr_bead_id: MR, reason: "fresh_feedback" });
    }
    fake.failNext("pulls.get", { status: 500 }, 1);
    expect(find(await merge(unreadable.prUrl), "auto_merge_cleared")[0].payload).toEqual({ mr_bead_id: MR, reason: "fresh_feedback" });
    expect(fake.callsTo("pulls.merge")).toHaveLength(0);
  });

  it("no token → fresh_feedback, nothing sent", async () => {
    const { prUrl } = greenPr();
    expect(find(await merge(prUrl, { token: null }), "auto_merge_cleared")[0].payload).toMatchObject({ reason: "fresh_feedback" });
    expect(fake.calls).toHaveLength(0);
  });

  it("squash not allowed → falls back to merge", async () => {
    const { prUrl, pr } = greenPr();
    fake.setMergeOutcome(prUrl, "squash", methodNotAllowed("squash"));
    expect(types(await merge(prUrl))).toEqual(["pr_status_changed"]);
    expect(pr.mergedWith).toBe("merge");
    expect(fake.callsTo("pulls.merge").map((c) => (c.body as { merge_method: string }).merge_method)).toEqual(["squash", "merge"]);
  });

  it("no method allowed → merge_failed", async () => {
    const { prUrl, pr } = greenPr();
    for (const m of ["squash", "merge", "rebase"] as const) fake.setMergeOutcome(prUrl, m, methodNotAllowed(m));
    expect(find(await merge(prUrl), "auto_merge_cleared")[0].payload).toEqual({ mr_bead_id: MR, reason: "merge_failed" });
    expect(pr.state).toBe("open");
  });

  it("409 → merge_failed, no other method tried", async () => {
    const { prUrl, pr } = greenPr();
    fake.setMergeOutcome(prUrl, "squash", { status: 409, message: "Head branch was modified. Review and try the merge again." });
    expect(await merge(prUrl)).toEqual([
      { eventType: "auto_merge_cleared", beadId: MR, agentId: null, payload: { mr_bead_id: MR, reason: "merge_failed" } },
    ]);
    expect(fake.callsTo("pulls.merge")).toHaveLength(1);
    expect(pr.state).toBe("open");
  });

  it("a head that moved after the fresh check is not merged (expectedHeadSha → 409)", async () => {
    const { prUrl, pr } = greenPr();
    const checkedHead = pr.headSha;
    const racing = makeGitHub((url) => {
      if (url.includes("/status")) fake.updatePr(prUrl, { headSha: "f".repeat(40) });
    });
    expect(find(await merge(prUrl, {}, racing), "auto_merge_cleared")[0].payload).toMatchObject({ reason: "merge_failed" });
    expect(fake.callsTo("pulls.merge")[0].body).toMatchObject({ sha: checkedHead });
    expect(pr.state).toBe("open");
  });

  it("a merge call that times out → merge_failed, and is not retried", async () => {
    const { prUrl } = greenPr();
    fake.failNext("pulls.merge", { hang: true });
    expect(find(await merge(prUrl), "auto_merge_cleared")[0].payload).toMatchObject({ reason: "merge_failed" });
    expect(fake.callsTo("pulls.merge")).toHaveLength(1);
  });

  it("a PR already merged or closed on GitHub → pr_status_changed with that state, no merge call", async () => {
    const merged = greenPr();
    fake.updatePr(merged.prUrl, { state: "merged" });
    expect(await merge(merged.prUrl)).toEqual([
      { eventType: "pr_status_changed", beadId: MR, agentId: null, payload: { pr_url: merged.prUrl, pr_state: "merged" } },
    ]);
    const closed = greenPr();
    fake.updatePr(closed.prUrl, { state: "closed" });
    expect((await merge(closed.prUrl))[0].payload).toEqual({ pr_url: closed.prUrl, pr_state: "closed" });
    expect(fake.callsTo("pulls.merge")).toHaveLength(0);
  });

  it("an exception from the port → merge_error; the log line is redacted", async () => {
    const { prUrl } = greenPr();
    const throwing: GitHub = {
      ...github,
      mergePr: async () => {
        throw new Error(`socket said ${TOKEN}`);
      },
    };
    const before = logLines.length;
    expect(await merge(prUrl, {}, throwing)).toEqual([
      { eventType: "auto_merge_cleared", beadId: MR, agentId: null, payload: { mr_bead_id: MR, reason: "merge_error" } },
    ]);
    expect(logLines.slice(before).join("\n")).toContain("[REDACTED]");
  });

  it("poll → timer → pr_auto_merge → merge_pr: one merge call, then the next poll sees merged", async () => {
    const { prUrl, pr } = greenPr();
    const settings = { autoMerge: true, autoMergeDelayMinutes: 5, autoResolvePrFeedback: true };
    const start = await poll(prUrl, { settings });
    const readySince = new Date(String(find(start, "poll_auto_merge_update")[0].payload.ready_since));
    expect(readySince).toEqual(NOW);
    const later = new Date(NOW.getTime() + 5 * 60_000);
    const fire = await poll(prUrl, { settings, autoMergeReadySince: readySince }, github, later);
    expect(types(fire)).toContain("pr_auto_merge");
    expect(types(await merge(prUrl))).toEqual(["pr_status_changed"]);
    expect(fake.callsTo("pulls.merge")).toHaveLength(1);
    expect(pr.state).toBe("merged");
    const after = await poll(prUrl, { settings, autoMergeReadySince: readySince, autoMergePending: true });
    expect(after[1].payload).toEqual({ pr_url: prUrl, pr_state: "merged" });
  });
});
