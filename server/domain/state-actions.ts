import type { Action, ActionOf } from "./actions";
import { SYSTEM_ACTOR } from "./constants";
import { isDomainError } from "./errors";
import {
  beadTransitionViolation,
  clearAssignee,
  createTriageRequest,
  fromGuardViolation,
  getOrCreateAgent,
  hookAgent,
  isValidPrUrl,
  notifyMayor,
  setAgentStatus,
  setBeadStatus,
  submitToReviewQueue,
  unhookAgent,
} from "./operations";
import { outbound } from "./notify";
import type { TownRepo } from "./repo";
import { isTerminal, type Agent, type AgentRole } from "./types";

// The state part of every action (DOMAIN.md §4), applied in the tick's state phase, in list order. Guards
// that can fail because the world moved on since the snapshot (the from-guard, terminal immutability, a
// busy agent) skip the action with a reason instead of throwing: one stale action never aborts the tick.

/** What the tick needs to run dispatch_agent's side effect (mint a token, call the runtime). */
export interface DispatchResolution {
  agentId: string;
  role: AgentRole;
  /** null for the mayor, which works without a hook */
  beadId: string | null;
  rigId: string | null;
  dispatchedAt: Date;
}

export type StateActionResult =
  | { status: "applied"; dispatch?: DispatchResolution }
  | { status: "skipped"; reason: string }
  /** a pure side effect (stop_agent, merge_pr): nothing to write */
  | { status: "no_state_part" };

const applied = (): StateActionResult => ({ status: "applied" });
const skipped = (reason: string): StateActionResult => ({ status: "skipped", reason });

/** An agent's side of a start (DOMAIN.md §5.6 step 3): `working`, attempt counted, activity and the
 *  SDK watermark reset, `dispatched_at` stamped so late callbacks of an earlier run are told apart. */
async function markDispatched(repo: TownRepo, agent: Agent, now: Date, extra: Partial<Agent> = {}): Promise<void> {
  await repo.updateAgent(agent.id, {
    status: "working",
    dispatchAttempts: agent.dispatchAttempts + 1,
    lastActivityAt: now,
    lastEventType: null,
    lastEventAt: null,
    dispatchedAt: now,
    stalledAt: null,
    ...extra,
  });
}

type Handlers = { [K in Action["type"]]: (repo: TownRepo, action: ActionOf<K>, now: Date) => Promise<StateActionResult> };

const handlers: Handlers = {
  async transition_bead(repo, action, now) {
    const bead = await repo.getBead(action.beadId);
    const guard = fromGuardViolation(bead?.status, action.from);
    if (guard || !bead) return skipped(`from-guard: ${guard}`);
    const violation = beadTransitionViolation(bead.status, action.to);
    if (violation) return skipped(violation);
    await setBeadStatus(repo, bead, action.to, now, {
      reason: action.reason,
      actor: action.actor ?? "reconciler",
      failure: action.to === "failed" ? { code: "reconciler", message: action.reason, source: "scheduler" } : undefined,
    });
    return applied();
  },

  async assign_bead(repo, action, now) {
    if (!(await repo.getBead(action.beadId))) return skipped("bead not found");
    await repo.updateBead(action.beadId, { assigneeAgentBeadId: action.agentId, updatedAt: now });
    return applied();
  },

  async clear_bead_assignee(repo, action, now) {
    const bead = await repo.getBead(action.beadId);
    if (!bead) return skipped("bead not found");
    await clearAssignee(repo, bead, now, action.reason);
    return applied();
  },

  async create_mr_bead(repo, action, now) {
    const source = await repo.getBead(action.sourceBeadId);
    if (!source) return skipped("source bead not found");
    await submitToReviewQueue(
      repo,
      { source, agentId: action.agentId, rigId: action.rigId, branch: action.branch, prUrl: action.prUrl, summary: action.summary, createdBy: action.agentId, targetBranch: action.targetBranch },
      now,
    );
    return applied();
  },

  async create_landing_mr(repo, action, now) {
    const convoy = await repo.getBead(action.convoyId);
    if (!convoy || isTerminal(convoy.status)) return skipped("convoy not found or finished");
    await submitToReviewQueue(
      repo,
      { source: convoy, agentId: SYSTEM_ACTOR, rigId: action.rigId, branch: action.featureBranch, targetBranch: action.targetBranch, createdBy: SYSTEM_ACTOR, summary: `Land convoy ${convoy.title}` },
      now,
    );
    return applied();
  },

  async close_sibling_mrs(repo, action, now) {
    for (const mr of await repo.listMrsTracking(action.sourceBeadId)) {
      if (mr.bead.id === action.excludeMrId || isTerminal(mr.bead.status)) continue;
      await setBeadStatus(repo, mr.bead, "closed", now, { reason: action.reason, actor: "reconciler" });
    }
    return applied();
  },

  async set_review_pr_url(repo, action, now) {
    if (!isValidPrUrl(action.prUrl)) return skipped("pr_url must be an https URL");
    const bead = await repo.getBead(action.beadId);
    if (!bead || !(await repo.getReview(action.beadId))) return skipped("MR not found");
    await repo.updateReview(action.beadId, { prUrl: action.prUrl });
    await repo.updateBead(action.beadId, { metadata: { ...bead.metadata, pr_url: action.prUrl }, updatedAt: now });
    return applied();
  },

  async transition_agent(repo, action, now) {
    const agent = await repo.getAgent(action.agentId);
    const guard = fromGuardViolation(agent?.status, action.from);
    if (guard || !agent) return skipped(`from-guard: ${guard}`);
    if (agent.status === action.to) return skipped(`already ${action.to}`);
    await setAgentStatus(repo, agent, action.to, now);
    return applied();
  },

  async reset_agent_dispatch_attempts(repo, action, now) {
    const agent = await repo.getAgent(action.agentId);
    if (!agent) return skipped("agent not found");
    await repo.updateAgent(agent.id, { dispatchAttempts: 0 });
    if (agent.currentHookBeadId) {
      const bead = await repo.getBead(agent.currentHookBeadId);
      if (bead) {
        // Counters only: reopening a failed bead is the audited retry operation, not this (§11 #3).
        await repo.updateBead(bead.id, { dispatchAttempts: 0, lastDispatchAttemptAt: null, updatedAt: now });
        if (bead.type === "merge_request" && (await repo.getReview(bead.id))) await repo.updateReview(bead.id, { retryCount: 0 });
      }
    }
    return applied();
  },

  async hook_agent(repo, action, now) {
    const [agent, bead] = [await repo.getAgent(action.agentId), await repo.getBead(action.beadId)];
    if (!agent || !bead) return skipped("agent or bead not found");
    try {
      await hookAgent(repo, agent, bead, now);
    } catch (err) {
      if (isDomainError(err)) return skipped(err.message);
      throw err;
    }
    return applied();
  },

  async unhook_agent(repo, action, now) {
    const agent = await repo.getAgent(action.agentId);
    if (!agent) return skipped("agent not found");
    return (await unhookAgent(repo, agent, now, action.reason)) ? applied() : skipped("not hooked");
  },

  async clear_agent_checkpoint(repo, action) {
    if (!(await repo.getAgent(action.agentId))) return skipped("agent not found");
    await repo.updateAgent(action.agentId, { checkpoint: null });
    return applied();
  },

  async delete_agent(repo, action, now) {
    const agent = await repo.getAgent(action.agentId);
    if (!agent) return skipped("agent not found");
    if (agent.currentHookBeadId || agent.status === "working" || agent.status === "stalled") {
      return skipped("agent is busy"); // the snapshot was stale: it got work since
    }
    for (const bead of await repo.listBeadsAssignedTo(agent.id)) {
      if (bead.type === "message") continue; // mail stays addressed to whoever it was sent to
      if (!isTerminal(bead.status) && (bead.status === "open" || bead.status === "in_progress") && bead.type !== "escalation") {
        await setBeadStatus(repo, bead, "open", now, { reason: `assignee deleted: ${action.reason}` });
      }
      // in_review work keeps its status: its MR decides what happens next.
      await repo.updateBead(bead.id, { assigneeAgentBeadId: null, updatedAt: now });
    }
    await repo.deleteAgent(agent.id);
    return applied();
  },

  async update_convoy_progress(repo, action) {
    if (!(await repo.getConvoy(action.convoyId))) return skipped("convoy not found");
    await repo.updateConvoy(action.convoyId, { closedBeads: action.closedBeads, totalBeads: action.totalBeads });
    return applied();
  },

  async set_convoy_ready_to_land(repo, action, now) {
    const bead = await repo.getBead(action.convoyId);
    if (!bead || !(await repo.getConvoy(action.convoyId))) return skipped("convoy not found");
    await repo.updateConvoy(action.convoyId, { readyToLand: true });
    await repo.updateBead(bead.id, { metadata: { ...bead.metadata, ready_to_land: true }, updatedAt: now });
    return applied();
  },

  async close_convoy(repo, action, now) {
    const bead = await repo.getBead(action.convoyId);
    if (!bead) return skipped("convoy not found");
    if (!(await setBeadStatus(repo, bead, "closed", now, { reason: action.reason, actor: "reconciler" }))) return skipped(`convoy is ${bead.status}`);
    await repo.updateConvoy(action.convoyId, { landedAt: now });
    await repo.insertOutbound(outbound.convoyLanded(bead, action.reason, now));
    return applied();
  },

  async fail_convoy(repo, action, now) {
    const bead = await repo.getBead(action.convoyId);
    if (!bead) return skipped("convoy not found");
    const changed = await setBeadStatus(repo, bead, "failed", now, {
      reason: action.reason,
      actor: "reconciler",
      failure: { code: "landing_mr_exhausted", message: action.reason, source: "scheduler" },
    });
    return changed ? applied() : skipped(`convoy is ${bead.status}`);
  },

  async create_triage_request(repo, action, now) {
    const created = await createTriageRequest(repo, { agentId: action.agentId, triageType: action.triageType, reason: action.reason }, now);
    return created ? applied() : skipped("an open triage request already covers it, or the triage queue is full");
  },

  async notify_mayor(repo, action, now) {
    await notifyMayor(repo, action.message, action.kind, now);
    return applied();
  },

  async emit_event() {
    return applied(); // analytics only: the tick record is the trace
  },

  /** dispatch_agent's state part (SPEC.md §2): the given agent, else the rig's refinery (MR) or a new
   *  polecat, hook it if needed, agent
   *  `working`, bead `in_progress`, both dispatch counters + `last_dispatch_attempt_at`, the agent's
   *  `dispatched_at`. The token is minted by the tick. Refused (skipped) when the bead ended, the agent is
   *  already running, or it holds another bead. */
  async dispatch_agent(repo, action, now) {
    const bead = await repo.getBead(action.beadId);
    if (!bead) return skipped("bead not found");
    if (isTerminal(bead.status)) return skipped(`bead is ${bead.status}`);
    const rigId = action.rigId ?? bead.rigId;
    let agent;
    if (action.agentId) {
      agent = await repo.getAgent(action.agentId);
      if (!agent) return skipped("agent not found");
    } else {
      if (!rigId) return skipped("bead has no rig");
      // The reconciler picks a reusable idle polecat itself (B1) and says so by id, skipping agents it is
      // stopping or collecting this tick; null therefore means a new polecat. Picking "any idle polecat"
      // here could hand the bead to the agent a cancellation is stopping in this very tick.
      agent = await getOrCreateAgent(repo, bead.type === "merge_request" ? "refinery" : "polecat", rigId, now, { reuseIdlePolecat: false });
    }
    if (agent.role === "mayor") return skipped("the mayor is never dispatched to a bead");
    if (agent.status !== "idle") return skipped(`agent is ${agent.status}`);
    try {
      await hookAgent(repo, agent, bead, now);
    } catch (err) {
      if (isDomainError(err)) return skipped(err.message);
      throw err;
    }
    await markDispatched(repo, agent, now);
    if (bead.status !== "in_progress") {
      await setBeadStatus(repo, bead, "in_progress", now, { reason: action.reason, actor: "reconciler", agentId: agent.id });
    }
    await repo.updateBead(bead.id, { dispatchAttempts: bead.dispatchAttempts + 1, lastDispatchAttemptAt: now, updatedAt: now });
    return { status: "applied", dispatch: { agentId: agent.id, role: agent.role, beadId: bead.id, rigId: rigId ?? agent.rigId, dispatchedAt: now } };
  },

  /** start_mayor's state part: the hookless mayor goes `working` with a fresh dispatch (attempt counted,
   *  `dispatched_at` stamped, so a failed start backs off); the tick mints its token and calls the runtime. */
  async start_mayor(repo, action, now) {
    const agent = await repo.getAgent(action.agentId);
    if (!agent || agent.role !== "mayor") return skipped("mayor not found");
    if (agent.status !== "idle" && agent.status !== "dead") return skipped(`mayor is ${agent.status}`);
    await markDispatched(repo, agent, now, { agentStatusMessage: null, agentStatusUpdatedAt: now });
    return { status: "applied", dispatch: { agentId: agent.id, role: "mayor", beadId: null, rigId: null, dispatchedAt: now } };
  },

  async stop_agent() {
    return { status: "no_state_part" };
  },

  /** poll_pr's pre-write: `last_poll_at` and a fresh `updated_at`, so R1 polls once a minute and R4 stays
   *  quiet while polling works. A finished MR is not polled. */
  async poll_pr(repo, action, now) {
    const bead = await repo.getBead(action.beadId);
    if (!bead || isTerminal(bead.status)) return skipped("MR not found or finished");
    await repo.updateBead(bead.id, { metadata: { ...bead.metadata, last_poll_at: now.toISOString() }, updatedAt: now });
    return applied();
  },

  async merge_pr() {
    return { status: "no_state_part" };
  },

  /** send_nudge's state part: the nudge row (immediate, urgent, source `reconciler:<tier>`), which the
   *  agent's next heartbeat answer delivers. */
  async send_nudge(repo, action, now) {
    if (!(await repo.getAgent(action.agentId))) return skipped("agent not found");
    await repo.insertNudge({
      agentBeadId: action.agentId,
      message: action.message,
      mode: "immediate",
      priority: "urgent",
      source: `reconciler:${action.tier}`,
      createdAt: now,
      expiresAt: null,
    });
    return applied();
  },
};

/** Applies the state part of one action. */
export function applyStateAction(repo: TownRepo, action: Action, now: Date): Promise<StateActionResult> {
  const handler = handlers[action.type] as (repo: TownRepo, action: Action, now: Date) => Promise<StateActionResult>;
  return handler(repo, action, now);
}
