import type { Action, ActionOf } from "../../domain/actions";
import { LABELS } from "../../domain/constants";
import type { TownConfig } from "../../domain/settings";
import type { World } from "../../domain/types";
import { indexWorld, isHeld, settingsFor } from "../../domain/world";
import type { AgentRuntime, AgentStartSpec } from "../../adapters/agent-runtime/types";
import type { EventToEnqueue } from "../enqueue";
import type { TickDeps } from "../run-tick";
import { runMergePr, runPollPr } from "./pr";

// The async half of the side-effect actions. Each job runs after the state phase committed, concurrently
// with the others, and reports facts only as events (DOMAIN.md §11.1): a runtime refusal becomes
// `dispatch_failed`, a PR poll becomes `poll_*` / `pr_*` events. No job writes reconciler state.

export interface SideEffectJob {
  type: Action["type"];
  target: string | null;
  run(ctx: { runtime: AgentRuntime | null; now: Date }): Promise<{ events: EventToEnqueue[]; ok: boolean; detail?: string }>;
  /** Events to enqueue if `run` throws (dispatch: the rollback must still happen). */
  onThrow?(err: unknown): EventToEnqueue[];
}

export interface SideEffectContext {
  world: World;
  townConfig: TownConfig;
  deps: Pick<TickDeps, "github" | "resolveGitHubToken" | "pool">;
  dispatch?: AgentStartSpec;
  /** the dispatch's `dispatched_at`, carried by `dispatch_failed` so a late failure never rolls back a newer start */
  dispatchedAt?: Date;
}

export function buildSideEffect(action: Action, ctx: SideEffectContext): SideEffectJob | null {
  switch (action.type) {
    case "dispatch_agent":
    case "start_mayor":
      return ctx.dispatch ? dispatchJob(action, ctx.dispatch, ctx) : null;
    case "stop_agent":
      return stopJob(action);
    case "poll_pr":
      return pollJob(action, ctx);
    case "merge_pr":
      return mergeJob(action, ctx);
    case "send_nudge":
      // The nudge row was written in the state phase; agents receive it in their next heartbeat answer.
      return null;
    default:
      return null;
  }
}

function dispatchFailed(spec: AgentStartSpec, reason: string, dispatchedAt: Date | undefined): EventToEnqueue {
  return {
    eventType: "dispatch_failed",
    agentId: spec.agentId,
    beadId: spec.beadId,
    payload: { agent_id: spec.agentId, bead_id: spec.beadId, reason: reason.slice(0, 500), dispatched_at: dispatchedAt?.toISOString() ?? null },
  };
}

/** dispatch_agent's and start_mayor's runtime start; a refusal or a throw becomes `dispatch_failed`. */
function dispatchJob(action: ActionOf<"dispatch_agent" | "start_mayor">, spec: AgentStartSpec, ctx: SideEffectContext): SideEffectJob {
  const failed = (reason: string) => dispatchFailed(spec, reason, ctx.dispatchedAt);
  return {
    type: action.type,
    target: spec.beadId ?? spec.agentId,
    onThrow: (err) => [failed(`runtime error: ${err instanceof Error ? err.message : String(err)}`)],
    async run({ runtime }) {
      if (!runtime) return { events: [failed("no agent runtime configured")], ok: false, detail: "no agent runtime configured" };
      const started = await runtime.start(spec);
      if (!started.started) return { events: [failed(started.reason)], ok: false, detail: started.reason };
      // Runtime bookkeeping (where the process and its log are), not reconciler state: written directly.
      if (started.pid != null || started.logPath) {
        await ctx.deps.pool.query(`UPDATE agent_metadata SET pid = $2, log_path = $3 WHERE bead_id = $1`, [spec.agentId, started.pid ?? null, started.logPath ?? null]);
      }
      return { events: [], ok: true };
    },
  };
}

function stopJob(action: ActionOf<"stop_agent">): SideEffectJob {
  return {
    type: action.type,
    target: action.agentId,
    async run({ runtime }) {
      if (!runtime) return { events: [], ok: true, detail: "no runtime: nothing to stop" };
      const res = await runtime.stop(action.agentId, action.reason);
      // Double stops are harmless: a refusal is reported in the outcome, not retried.
      return { events: [], ok: res.stopped, ...(res.stopped ? {} : { detail: res.reason }) };
    },
  };
}

function mrContext(action: { beadId: string }, ctx: SideEffectContext) {
  const index = indexWorld(ctx.world);
  const bead = index.beads.get(action.beadId);
  const review = ctx.world.reviews.find((r) => r.beadId === action.beadId) ?? null;
  const rig = bead?.rigId ? ctx.world.rigs.find((r) => r.id === bead.rigId) : undefined;
  return { index, bead, review, rig, token: ctx.deps.resolveGitHubToken(ctx.townConfig.git_auth?.github_token) };
}

function pollJob(action: ActionOf<"poll_pr">, ctx: SideEffectContext): SideEffectJob {
  return {
    type: action.type,
    target: action.beadId,
    async run({ now }) {
      const { index, bead, review, rig, token } = mrContext(action, ctx);
      if (!bead || !review) return { events: [], ok: false, detail: "MR not in this tick's snapshot" };
      const settings = settingsFor(index, bead.rigId);
      const hasOpenFeedbackBead = ctx.world.dependencies.some(
        (d) =>
          d.beadId === bead.id &&
          d.dependencyType === "blocks" &&
          (() => {
            const blocker = index.beads.get(d.dependsOnBeadId);
            return !!blocker && blocker.labels.includes(LABELS.prFeedback) && blocker.status !== "closed" && blocker.status !== "failed";
          })(),
      );
      const events = await runPollPr(
        ctx.deps.github,
        {
          mrBeadId: bead.id,
          prUrl: action.prUrl,
          token,
          branch: review.branch,
          rigGitUrl: rig?.gitUrl,
          settings,
          autoMergeReadySince: review.autoMergeReadySince,
          autoMergePending: Boolean(bead.metadata?.auto_merge_pending),
          held: isHeld(bead),
          hasOpenFeedbackBead,
        },
        now,
      );
      return { events: events as EventToEnqueue[], ok: !events.some((e) => e.eventType === "poll_null_result") };
    },
  };
}

function mergeJob(action: ActionOf<"merge_pr">, ctx: SideEffectContext): SideEffectJob {
  return {
    type: action.type,
    target: action.beadId,
    async run({ now }) {
      const { bead, rig, token } = mrContext(action, ctx);
      if (!bead || !rig) return { events: [], ok: false, detail: "MR or rig not in this tick's snapshot" };
      if (isHeld(bead)) {
        // A hold placed after the MR became pending wins: never merge a held MR.
        return { events: [{ eventType: "auto_merge_cleared", beadId: bead.id, agentId: null, payload: { mr_bead_id: bead.id, reason: "fresh_feedback" } }], ok: false, detail: "held" };
      }
      const events = await runMergePr(ctx.deps.github, { mrBeadId: bead.id, prUrl: action.prUrl, token, rigGitUrl: rig.gitUrl }, now);
      const merged = events.some((e) => e.eventType === "pr_status_changed" && (e.payload as { pr_state?: string }).pr_state === "merged");
      return { events: events as EventToEnqueue[], ok: merged };
    },
  };
}
