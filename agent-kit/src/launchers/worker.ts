import path from "node:path";
import { fileURLToPath } from "node:url";
import { listToolsForRole } from "../tools";
import { createPrClient, githubTargetFor, parsePrUrl, parseRepoUrl, type PrClient } from "../github";
import { PrimeSchema, REVIEW_PASS_TOOL, REVIEW_REQUEST_CHANGES_TOOL, buildWorkerInstructions, type Prime, type WorkerPlan } from "../instructions";
import { commitsSince, hasUncommittedChanges, mergeIntoTarget, prepareWorkspace, pushBranch, redactToken, type Workspace } from "../workspace";
import type { AgentEnv } from "../api-client";
import { formatApiError } from "../api-client";
import { agentProcessEnv, callTool, startHeartbeats, type LauncherContext } from "./context";
import type { TurnResult } from "./driver";
import { VERDICT_FILE_ENV, readVerdict, type Verdict } from "./review-tools";
import { calledSuccessfully, type Activity } from "./stream";

// A polecat's or refinery's run (DOMAIN.md §6.2), around one headless turn of the coding agent:
//   gt_prime → plan (branch, target, strategy, review mode) → heartbeats → workspace → the agent's turn →
//   close the loop: polecat pushes (+ opens the PR) and calls gt_done; refinery carries out its verdict
//   (PR comment / REQUEST_CHANGES review / rework request / --no-ff merge) and calls gt_done.
// Exit codes: 0 done; 1 failed (agent_completed {failed} follows; for a polecat that fails the bead, which
// then backs off like any failed dispatch); 143 stopped by SIGTERM.

const REVIEW_TOOLS_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), "review-tools.ts");
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_STOPPED = 143;

export class PlanError extends Error {
  override readonly name = "PlanError";
}

/** Where the work happens and how it lands, from the env contract and the prime context. */
export function planWork(env: AgentEnv, prime: Prime): WorkerPlan {
  const role = env.role;
  if (role !== "polecat" && role !== "refinery") throw new PlanError(`a ${role} has no git work`);
  const mergeStrategy = prime.settings?.merge_strategy ?? (env.prUrl ? "pr" : "direct");
  const reviewMode = prime.settings?.review_mode ?? "comments";
  const rigDefault = prime.rig?.default_branch ?? null;
  if (role === "refinery") {
    const review = prime.hooked_bead?.review ?? null;
    const branch = env.branch ?? review?.branch;
    const targetBranch = env.targetBranch ?? review?.target_branch ?? rigDefault ?? "main";
    if (!branch) throw new PlanError("no branch to review (GASTOWN_BRANCH is unset and the hooked bead has no review)");
    const prUrl = env.prUrl ?? review?.pr_url ?? null;
    return { role, branch, targetBranch, mergeStrategy: prUrl ? "pr" : mergeStrategy === "pr" ? "pr" : "direct", reviewMode, prUrl, kind: "task" };
  }
  // A rework or PR fixup continues the existing branch named in its context, not a fresh one.
  const rework = prime.rework_context ?? null;
  const fixup = prime.pr_fixup_context ?? null;
  const kind = rework ? "rework" : fixup ? "pr-fixup" : "task";
  const branch = rework?.branch ?? fixup?.branch ?? env.branch;
  const targetBranch = rework?.target_branch ?? fixup?.target_branch ?? env.targetBranch ?? rigDefault ?? "main";
  if (!branch) throw new PlanError("no branch to work on (GASTOWN_BRANCH is unset)");
  return { role, branch, targetBranch, mergeStrategy, reviewMode, prUrl: fixup?.pr_url ?? null, kind };
}

/** Runs a polecat or refinery to the end; returns the process exit code. */
export async function runWorker(ctx: LauncherContext): Promise<number> {
  const primed = await ctx.api.call("gt_prime", {});
  if (!primed.ok) {
    ctx.log(`[gastown] gt_prime failed: ${formatApiError(primed)}`);
    return EXIT_FAILED;
  }
  const prime = PrimeSchema.safeParse(primed.body);
  if (!prime.success) {
    ctx.log("[gastown] gt_prime answered with an unexpected shape; cannot plan the work");
    return EXIT_FAILED;
  }
  let plan: WorkerPlan;
  try {
    plan = planWork(ctx.agentEnv, prime.data);
  } catch (error) {
    return escalateAndFail(ctx, "The agent launcher could not plan the work", (error as Error).message);
  }
  ctx.log(`[gastown] ${plan.role}: ${plan.kind} on ${plan.branch} → ${plan.targetBranch} (merge strategy ${plan.mergeStrategy}${plan.role === "refinery" ? `, review mode ${plan.reviewMode}` : ""}${plan.prUrl ? `, PR ${plan.prUrl}` : ""})`);

  let activity: Activity | null = null;
  const stopHeartbeats = startHeartbeats(ctx, ctx.options.heartbeatMs, () => activity);
  try {
    const gitUrl = ctx.env.GASTOWN_GIT_URL || prime.data.rig?.git_url;
    if (!gitUrl) return await escalateAndFail(ctx, "No repository to work in", "Neither GASTOWN_GIT_URL nor the rig in gt_prime names a git URL.");
    const gitToken = ctx.env.GASTOWN_GIT_TOKEN || null;

    let ws: Workspace;
    try {
      ws = await prepareWorkspace({
        workDir: ctx.workDir,
        gitUrl,
        token: gitToken,
        env: ctx.env,
        log: ctx.log,
        mode: plan.role === "refinery" ? "review" : "work",
        branch: plan.branch,
        targetBranch: plan.targetBranch,
      });
    } catch (error) {
      return await escalateAndFail(ctx, `Could not prepare the git workspace for ${plan.branch}`, redactToken((error as Error).message, gitToken));
    }
    if (ctx.stop.aborted) return EXIT_STOPPED;

    const verdictFile = path.join(ws.runDir, "review-verdict.json");
    const extraTools = plan.role === "refinery" ? [REVIEW_PASS_TOOL, REVIEW_REQUEST_CHANGES_TOOL] : [];
    if (plan.role === "refinery") {
      const { rmSync } = await import("node:fs");
      rmSync(verdictFile, { force: true }); // a verdict of an earlier run must not be carried out again
    }
    const turn = await ctx.driver.runTurn({
      role: plan.role,
      prompt: buildWorkerInstructions({ plan, prime: prime.data, serverPrompt: ctx.env.GASTOWN_PROMPT, testCommand: ctx.options.testCommand }),
      cwd: ws.repoDir,
      env: agentProcessEnv(ctx, plan.role === "refinery" ? { [VERDICT_FILE_ENV]: verdictFile } : {}),
      mcp: plan.role === "refinery" ? { command: ctx.mcp.command, args: [...ctx.mcp.args, "--extra-tools", REVIEW_TOOLS_MODULE] } : ctx.mcp,
      mcpTools: [...listToolsForRole(plan.role).map((t) => t.name), ...extraTools],
      access: plan.role === "refinery" ? "read" : "write",
      extraAllowedTools: ctx.options.extraAllowedTools,
      runDir: ws.runDir,
      model: ctx.options.model,
      onLog: ctx.log,
      onActivity: (a) => (activity = a),
      stop: ctx.stop,
    });
    if (turn.stopped || ctx.stop.aborted) {
      ctx.log("[gastown] stopped; nothing pushed or reported");
      return EXIT_STOPPED;
    }
    const github = gitToken && (plan.mergeStrategy === "pr" || plan.prUrl) ? createPrClient({ target: githubTargetFor(gitUrl, ctx.env), token: gitToken }) : null;
    return plan.role === "polecat"
      ? await closePolecat(ctx, plan, prime.data, ws, turn, github, gitUrl)
      : await closeRefinery(ctx, plan, ws, turn, readVerdict(verdictFile), github);
  } finally {
    stopHeartbeats();
  }
}

async function escalateAndFail(ctx: LauncherContext, title: string, body: string): Promise<number> {
  ctx.log(`[gastown] ${title}: ${body}`);
  await callTool(ctx, "gt_escalate", { title: title.slice(0, 200), body, priority: "medium" });
  return EXIT_FAILED;
}

const summaryOf = (turn: TurnResult) => turn.finalText.trim().slice(0, 10_000) || "(no summary)";

async function closePolecat(ctx: LauncherContext, plan: WorkerPlan, prime: Prime, ws: Workspace, turn: TurnResult, github: PrClient | null, gitUrl: string): Promise<number> {
  const commits = await commitsSince(ws);
  if (turn.failed) {
    ctx.log(`[gastown] the agent's run failed (${turn.failureReason ?? "error"}); ${commits.length} commit(s) left unpushed`);
    return EXIT_FAILED;
  }
  if (commits.length === 0) {
    const dirty = await hasUncommittedChanges(ws);
    ctx.log(`[gastown] the agent finished without committing anything${dirty ? " (it left uncommitted changes, which are dropped)" : ""}; no push, no gt_done`);
    return EXIT_FAILED;
  }
  ctx.log(`[gastown] ${commits.length} new commit(s) on ${plan.branch}; pushing`);
  try {
    await pushBranch(ws);
  } catch (error) {
    return escalateAndFail(ctx, `Could not push ${plan.branch}`, (error as Error).message);
  }

  let prUrl = plan.prUrl;
  if (plan.mergeStrategy === "pr" && !prUrl) {
    const repo = parseRepoUrl(gitUrl);
    if (!github || !repo) return escalateAndFail(ctx, "Could not open the pull request", github ? `The rig URL is not a GitHub repository URL.` : "No GitHub token (GASTOWN_GIT_TOKEN) to open it with.");
    const bead = prime.hooked_bead;
    try {
      const pr = await github.openPullRequest(repo, {
        head: plan.branch,
        base: plan.targetBranch,
        title: (bead?.title ?? plan.branch).slice(0, 250),
        body: `${summaryOf(turn)}\n\n---\nGastown bead ${bead?.id ?? "?"}, opened by polecat ${ctx.agentEnv.agentId ?? "?"}.`,
      });
      prUrl = pr.url;
      ctx.log(`[gastown] pull request ${pr.created ? "opened" : "already open"}: ${pr.url}`);
    } catch (error) {
      return escalateAndFail(ctx, `Could not open the pull request for ${plan.branch}`, (error as Error).message);
    }
  }

  if (calledSuccessfully(turn, "gt_done")) {
    ctx.log("[gastown] the agent already called gt_done; not calling it again");
    return EXIT_OK;
  }
  const done = await callTool(ctx, "gt_done", { branch: plan.branch, ...(prUrl ? { pr_url: prUrl } : {}), summary: summaryOf(turn) });
  return done.ok ? EXIT_OK : EXIT_FAILED;
}

function formatFeedback(verdict: Extract<Verdict, { verdict: "request_changes" }>): string {
  const lines = [verdict.body];
  for (const c of verdict.comments) lines.push("", `${c.path}:${c.line}: ${c.body}`);
  return lines.join("\n");
}

async function closeRefinery(ctx: LauncherContext, plan: WorkerPlan, ws: Workspace, turn: TurnResult, verdict: Verdict | null, github: PrClient | null): Promise<number> {
  if (!verdict) {
    if (turn.failed) {
      ctx.log(`[gastown] the review run failed (${turn.failureReason ?? "error"}) without a verdict`);
      return EXIT_FAILED;
    }
    return escalateAndFail(ctx, `The refinery gave no verdict on ${plan.branch}`, `The review ended without ${REVIEW_PASS_TOOL} or ${REVIEW_REQUEST_CHANGES_TOOL}. Its last words: ${turn.finalText.slice(0, 2000)}`);
  }
  ctx.log(`[gastown] verdict: ${verdict.verdict}`);
  const done = async (withPr: boolean) => {
    const r = await callTool(ctx, "gt_done", { branch: plan.branch, ...(withPr && plan.prUrl ? { pr_url: plan.prUrl } : {}), summary: verdict.verdict === "pass" ? verdict.comment : verdict.body });
    return r.ok ? EXIT_OK : EXIT_FAILED;
  };

  if (plan.mergeStrategy === "pr" && plan.prUrl) {
    const pr = parsePrUrl(plan.prUrl);
    if (verdict.verdict === "request_changes" && plan.reviewMode === "rework") {
      const asked = await callTool(ctx, "gt_request_changes", { feedback: formatFeedback(verdict), files: [...new Set(verdict.comments.map((c) => c.path))] });
      if (!asked.ok) return EXIT_FAILED;
      return done(true);
    }
    if (!github || !pr) return escalateAndFail(ctx, "Could not post the review", github ? `${plan.prUrl} is not a pull request URL.` : "No GitHub token (GASTOWN_GIT_TOKEN) to post it with.");
    try {
      if (verdict.verdict === "pass") await github.comment(pr, `Refinery code review passed.\n\n${verdict.comment}`);
      else await github.requestChanges(pr, { body: verdict.body, comments: verdict.comments });
      ctx.log(`[gastown] ${verdict.verdict === "pass" ? "review comment posted" : `REQUEST_CHANGES review with ${verdict.comments.length} inline comment(s) submitted`} on ${plan.prUrl}`);
    } catch (error) {
      return escalateAndFail(ctx, `Could not post the review on ${plan.prUrl}`, (error as Error).message);
    }
    return done(true);
  }

  // Direct strategy: the refinery lands the branch itself.
  if (verdict.verdict === "pass") {
    try {
      const sha = await mergeIntoTarget(ws, `Merge ${plan.branch} into ${plan.targetBranch}\n\nReviewed by the Gastown refinery: ${verdict.comment.slice(0, 2000)}`);
      ctx.log(`[gastown] merged ${plan.branch} into ${plan.targetBranch} (${sha.slice(0, 12)}) and pushed`);
    } catch (error) {
      const message = (error as Error).message;
      if (plan.reviewMode === "rework") {
        const asked = await callTool(ctx, "gt_request_changes", { feedback: `The branch does not merge cleanly into ${plan.targetBranch}: rebase it and resolve the conflicts. (${message})` });
        return asked.ok ? done(false) : EXIT_FAILED;
      }
      return escalateAndFail(ctx, `Could not merge ${plan.branch} into ${plan.targetBranch}`, message);
    }
    return done(false);
  }
  if (plan.reviewMode === "rework") {
    const asked = await callTool(ctx, "gt_request_changes", { feedback: formatFeedback(verdict), files: [...new Set(verdict.comments.map((c) => c.path))] });
    return asked.ok ? done(false) : EXIT_FAILED;
  }
  // Review comments need a pull request; without one, people decide (DOMAIN.md §6.2: "or escalation").
  return escalateAndFail(ctx, `Review found problems in ${plan.branch}`, formatFeedback(verdict));
}
