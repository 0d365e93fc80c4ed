import type { Action, ActionOf } from "../../domain/actions";
import { LABELS } from "../../domain/constants";
import type { TownConfig } from "../../domain/settings";
import type { World } from "../../domain/types";
import { indexWorld, isHeld, settingsFor } from "../../domain/world";
import type { AgentRuntime, AgentStartSpec } from "../../adapters/agent-runtime/types";
import type { TownRef } from "../../adapters/github/tenancy";
import type { EventToEnqueue } from "../enqueue";
import type { TickDeps } from "../types";
import { runMergePr, runPollPr } from "./pr";

// The async half of the side-effect actions. Each job runs after the state phase committed, concurrently
// with the others, and reports facts only as events (DOMAIN.md §11.1): a runtime refusal becomes
// `dispatch_failed`, a PR poll becomes `poll_*` / `pr_*` events. No job writes reconciler state.

export interface SideEffectJob {
  type: Action["type"];
  target: string | null;
  /** the agent it acts on, for error reports */
  agentId?: string;
  run(ctx: { runtime: AgentRuntime | null; now: Date }): Promise<{ events: EventToEnqueue[]; ok: boolean; detail?: string }>;
  /** Events to enqueue if `run` throws (dispatch: the rollback must still happen). */
  onThrow?(err: unknown): EventToEnqueue[];
}

export interface SideEffectContext {
  world: World;
  /** the town and its owner, for the shared-token policy */
  town: TownRef;
  townConfig: TownConfig;
  deps: Pick<TickDeps, "github" | "resolveGitHubToken" | "repoRefusal" | "pool" | "runtimeFor">;
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
      return stopJob(action, ctx);
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
    agentId: spec.agentId,
    onThrow: (err) => [failed(`runtime error: ${err instanceof Error ? err.message : String(err)}`)],
    async run({ runtime }) {
      if (!runtime) return { events: [failed("no agent runtime configured")], ok: false, detail: "no agent runtime configured" };
      // Nothing is cloned from a repository the operator does not allow (GASTOWN_ALLOWED_REPOS), whenever the rig was added.
      const refused = ctx.deps.repoRefusal(spec.gitUrl);
      if (refused) return { events: [failed(`not started: ${refused}`)], ok: false, detail: refused };
      const started = await runtime.start(spec);
      if (!started.started) return { events: [failed(started.reason)], ok: false, detail: started.reason };
      // Runtime bookkeeping (which runtime runs it, where the process and its log are), not reconciler state:
      // written directly. The runtime's name makes stop, log and observe go to this runtime even after the
      // town switches to another one.
      await ctx.deps.pool.query(`UPDATE agent_metadata SET runtime_name = $2, pid = $3, log_path = $4 WHERE bead_id = $1`, [
        spec.agentId,
        runtime.name ?? ctx.townConfig.agent_runtime ?? null,
        started.pid ?? null,
        started.logPath ?? null,
      ]);
      return { events: [], ok: true };
    },
  };
}

function stopJob(action: ActionOf<"stop_agent">, ctx: SideEffectContext): SideEffectJob {
  return {
    type: action.type,
    target: action.agentId,
    agentId: action.agentId,
    async run({ runtime: townRuntime }) {
      // The runtime the agent was started on, not the town's current pick: a stop sent to another runtime
      // would stop nothing (or somebody else's process of the same id).
      const recorded = await recordedRuntimeName(ctx, action.agentId);
      let runtime = townRuntime;
      if (recorded) {
        try {
          runtime = ctx.deps.runtimeFor(recorded);
        } catch (err) {
          const detail = `the runtime '${recorded}' this agent was started on is not configured any more: ${err instanceof Error ? err.message : String(err)}`;
          return { events: [], ok: false, detail };
        }
      }
      if (!runtime) return { events: [], ok: true, detail: "no runtime: nothing to stop" };
      const res = await runtime.stop(action.agentId, action.reason);
      // Double stops are harmless: a refusal is reported in the outcome, not retried.
      return { events: [], ok: res.stopped, ...(res.stopped ? {} : { detail: res.reason }) };
    },
  };
}

/** From this tick's world, else (an agent the world does not show, e.g. after a failed state phase) from its row. */
async function recordedRuntimeName(ctx: SideEffectContext, agentId: string): Promise<string | null> {
  const agent = ctx.world.agents.find((a) => a.id === agentId);
  if (agent) return agent.runtimeName;
  const { rows } = await ctx.deps.pool.query(`SELECT runtime_name FROM agent_metadata WHERE bead_id = $1`, [agentId]);
  return (rows[0]?.runtime_name as string | null | undefined) ?? null;
}

function mrContext(action: { beadId: string }, ctx: SideEffectContext) {
  const index = indexWorld(ctx.world);
  const bead = index.beads.get(action.beadId);
  const review = ctx.world.reviews.find((r) => r.beadId === action.beadId) ?? null;
  const rig = bead?.rigId ? ctx.world.rigs.find((r) => r.id === bead.rigId) : undefined;
  const refused = ctx.deps.repoRefusal(rig?.gitUrl);
  return { index, bead, review, rig, refused, token: ctx.deps.resolveGitHubToken(ctx.town, ctx.townConfig.git_auth?.github_token) };
}

function pollJob(action: ActionOf<"poll_pr">, ctx: SideEffectContext): SideEffectJob {
  return {
    type: action.type,
    target: action.beadId,
    async run({ now }) {
      const { index, bead, review, rig, token, refused } = mrContext(action, ctx);
      if (!bead || !review) return { events: [], ok: false, detail: "MR not in this tick's snapshot" };
      if (refused) {
        // Not polled: counts as a null poll (DOMAIN.md §6.3), so the MR fails after ten with an escalation.
        return { events: [{ eventType: "poll_null_result", beadId: bead.id, agentId: null, payload: { mr_bead_id: bead.id, pr_url: action.prUrl } }], ok: false, detail: `not polled: ${refused}` };
      }
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
      const { bead, rig, token, refused } = mrContext(action, ctx);
      if (!bead || !rig) return { events: [], ok: false, detail: "MR or rig not in this tick's snapshot" };
      if (refused) {
        return { events: [{ eventType: "auto_merge_cleared", beadId: bead.id, agentId: null, payload: { mr_bead_id: bead.id, reason: "repo_not_allowed" } }], ok: false, detail: `not merged: ${refused}` };
      }
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
