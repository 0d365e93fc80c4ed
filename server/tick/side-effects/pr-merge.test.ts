// merge_pr against the fake GitHub over HTTP (fixture: server/testing/pr-fixture.ts).
import { describe, expect, it } from "vitest";
import type { GitHub } from "@/server/adapters/github/types";
import { completedRun, methodNotAllowed } from "@/server/testing/fake-github/server";
import { mergePrRepoCheck } from "./pr";
import { MR, NOW, TOKEN, failingPr, fake, find, github, greenPr, logLines, makeGitHub, merge, poll, setupPrFixture, types } from "@/server/testing/pr-fixture";

setupPrFixture();

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
