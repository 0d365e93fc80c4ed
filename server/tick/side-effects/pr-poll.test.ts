// poll_pr against the fake GitHub over HTTP (fixture: server/testing/pr-fixture.ts).
import { describe, expect, it } from "vitest";
import type { GitHub } from "@/server/adapters/github/types";
import { completedRun, rateLimited, type FakeFailure } from "@/server/testing/fake-github/server";
import { runPollPr } from "./pr";
import { MR, NOW, TOKEN, failingPr, fake, find, github, greenPr, log, logLines, makeGitHub, merge, minutesAgo, poll, pollInput, setupPrFixture, types } from "@/server/testing/pr-fixture";

setupPrFixture();


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
