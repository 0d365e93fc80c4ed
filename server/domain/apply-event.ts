import type { Action } from "./actions";
import { CONTAINER_NOT_FOUND_GRACE_MS, LABELS, MAX_POLL_NULL_COUNT, SYSTEM_ACTOR } from "./constants";
import type { EventType, TownEvent, TownEventOf } from "./events";
import {
  completeReview,
  createEscalation,
  getAgentOrThrow,
  getBeadOrThrow,
  isValidPrUrl,
  setAgentStatus,
  setBeadStatus,
  submitToReviewQueue,
  unhookAgent,
} from "./operations";
import type { TownRepo } from "./repo";
import { DomainError } from "./errors";
import { isTerminal, type Bead } from "./types";

// Event semantics (DOMAIN.md §3, §3.1–3.4, SPEC.md §2–3): each event is a fact; applying it updates state
// through the TownRepo and may return actions (stops) that the tick runs ahead of the reconciler's.
// A missing bead/agent throws `entity_not_found` so the tick poisons the event at once.

const hasLabel = (bead: Pick<Bead, "labels">, label: string) => Array.isArray(bead.labels) && bead.labels.includes(label);

/** SPEC.md §3 #14 over the repo: blockers (optionally with a label) that are not `closed`, or closed with
 *  an MR still open/in_progress. */
async function unresolvedBlockers(repo: TownRepo, beadId: string, label?: string): Promise<Bead[]> {
  const out: Bead[] = [];
  for (const blocker of await repo.listDependencies(beadId, "blocks")) {
    if (label && !hasLabel(blocker, label)) continue;
    if (blocker.status !== "closed") {
      out.push(blocker);
      continue;
    }
    const mrs = await repo.listMrsTracking(blocker.id);
    if (mrs.some((m) => m.bead.status === "open" || m.bead.status === "in_progress")) out.push(blocker);
  }
  return out;
}

async function closeDirectly(repo: TownRepo, bead: Bead, agentId: string, now: Date, reason: string) {
  await setBeadStatus(repo, bead, "closed", now, { reason, agentId });
}

/** §3.1 agentDone. */
async function agentDone(repo: TownRepo, event: TownEventOf<"agent_done">, now: Date): Promise<Action[]> {
  if (!event.agentId) return []; // nothing to attribute it to: DOMAIN.md says warn and ignore
  const agent = await getAgentOrThrow(repo, event.agentId);
  const { branch, pr_url: prUrl, summary } = event.payload;

  if (!agent.currentHookBeadId) {
    // 1. Not hooked (the hook was lost, e.g. recovered by a rule): only a refinery's word still matters.
    if (agent.role !== "refinery") return [];
    const mr = await repo.findLatestActiveMrAssignedTo(agent.id);
    if (!mr) return [];
    if (isValidPrUrl(prUrl)) {
      await repo.updateReview(mr.bead.id, { prUrl });
      await repo.updateBead(mr.bead.id, { metadata: { ...mr.bead.metadata, pr_url: prUrl }, updatedAt: now });
      mr.bead.metadata = { ...mr.bead.metadata, pr_url: prUrl };
      if (mr.bead.status === "open") await setBeadStatus(repo, mr.bead, "in_progress", now, { reason: "refinery reported PR", agentId: agent.id });
      return [];
    }
    // Without a PR we cannot prove a merge: fail rather than land what the refinery may have rejected.
    await completeReview(repo, mr.bead, "failed", "Refinery gt_done without pr_url after hook loss", now, agent.id);
    await createEscalation(
      repo,
      {
        title: "Refinery gt_done without pr_url after hook loss",
        body: `Refinery ${agent.name} finished without a hook and without a PR URL; MR ${mr.bead.id} was failed.`,
        severity: "high",
        rigId: mr.bead.rigId,
        metadata: { kind: "refinery_unhooked_done", mr_bead_id: mr.bead.id, agent_id: agent.id },
      },
      now,
    );
    return [];
  }

  const hooked = await repo.getBead(agent.currentHookBeadId);
  if (!hooked || isTerminal(hooked.status)) {
    await unhookAgent(repo, agent, now, "gt_done on a finished bead");
    return [];
  }
  // 2–5. Beads that skip the review queue: triage batches, rework, PR fix-ups/conflicts, PR feedback.
  const skipsReview =
    (hasLabel(hooked, LABELS.triage) && hooked.createdBy === "patrol") ||
    hasLabel(hooked, LABELS.rework) ||
    hasLabel(hooked, LABELS.prFixup) ||
    hasLabel(hooked, LABELS.prConflict) ||
    hasLabel(hooked, LABELS.prFeedback);
  if (skipsReview) {
    await closeDirectly(repo, hooked, agent.id, now, "gt_done");
    await unhookAgent(repo, agent, now, "gt_done");
    return [];
  }

  // 6. The refinery on its MR.
  if (agent.role === "refinery" && hooked.type === "merge_request") {
    if (prUrl) {
      if (isValidPrUrl(prUrl)) {
        await repo.updateReview(hooked.id, { prUrl });
        await repo.updateBead(hooked.id, { metadata: { ...hooked.metadata, pr_url: prUrl }, updatedAt: now });
        hooked.metadata = { ...hooked.metadata, pr_url: prUrl };
        if (hooked.status !== "in_progress") await setBeadStatus(repo, hooked, "in_progress", now, { reason: "refinery reviewed PR", agentId: agent.id });
        await repo.insertBeadEvent({ beadId: hooked.id, agentId: agent.id, eventType: "pr_created", oldValue: null, newValue: prUrl, metadata: { created_by: "refinery" }, createdAt: now });
      } else {
        await repo.insertBeadEvent({ beadId: hooked.id, agentId: agent.id, eventType: "pr_creation_failed", oldValue: null, newValue: null, metadata: { pr_url: prUrl }, createdAt: now });
        await completeReview(repo, hooked, "failed", `Refinery provided invalid pr_url "${prUrl}" (must be an https URL)`, now, agent.id);
      }
    } else if ((await unresolvedBlockers(repo, hooked.id, LABELS.rework)).length > 0) {
      // SPEC.md §3 #2: the refinery asked for rework and finished. That is not a merge: the MR stays
      // in_progress (R3 requeues it once the rework closes) and the refinery is freed below.
    } else {
      await completeReview(repo, hooked, "merged", "Merged by refinery (direct strategy)", now, agent.id);
    }
    await unhookAgent(repo, agent, now, "gt_done"); // idle at once: do not wait for the process to exit
    return [];
  }

  // 7. A polecat finished its work: into the review queue, and the source waits in review.
  await submitToReviewQueue(
    repo,
    { source: hooked, agentId: agent.id, rigId: agent.rigId ?? hooked.rigId, branch, prUrl, summary, createdBy: agent.id },
    now,
  );
  await unhookAgent(repo, agent, now, "gt_done");
  await setBeadStatus(repo, hooked, "in_review", now, { reason: "submitted for review", agentId: agent.id });
  return [];
}

/** §3.2 agentCompleted: the agent's process exited. */
async function agentCompleted(repo: TownRepo, event: TownEventOf<"agent_completed">, now: Date): Promise<Action[]> {
  const agent = event.agentId ? await getAgentOrThrow(repo, event.agentId) : await repo.findMayor();
  if (!agent) throw new DomainError("entity_not_found", "Agent (mayor) not found");
  const { status, reason } = event.payload;

  // An exit that happened before the agent's current dispatch belongs to an earlier run: applying it would
  // fail or unhook fresh work (§11 #9). Nothing about the current run can be learned from it.
  if (event.createdAt && agent.dispatchedAt && event.createdAt.getTime() < agent.dispatchedAt.getTime()) return [];

  if (agent.currentHookBeadId) {
    const hooked = await repo.getBead(agent.currentHookBeadId);
    if (hooked) {
      await repo.insertBeadEvent({ beadId: hooked.id, agentId: agent.id, eventType: "agent_exited", oldValue: null, newValue: status, metadata: { reason: reason ?? null }, createdAt: now });
    }
    // A refinery's exit races its own gt_done: never fail or unhook it here.
    if (agent.role !== "refinery") {
      if (hooked && status === "failed") {
        await setBeadStatus(repo, hooked, "failed", now, {
          reason: reason ?? "agent process failed",
          agentId: agent.id,
          failure: { code: "agent_failed", message: reason ?? "agent process failed", source: "container" },
        });
      }
      // completed while still in_progress: left for B3, which recovers it after 5 min.
      await unhookAgent(repo, agent, now, `agent exited (${status})`);
    }
  }

  const current = (await repo.getAgent(agent.id)) ?? agent;
  const workingAndHooked = current.status === "working" && !!current.currentHookBeadId;
  const patch: { dispatchAttempts?: number; agentStatusMessage?: string | null; agentStatusUpdatedAt?: Date } = {};
  if (agent.role === "mayor") {
    // A mayor that crashed keeps its start count, so M1 backs off instead of restarting it every tick while
    // mail waits; a clean exit (idle timeout) starts afresh on the next message.
    if (status !== "failed") patch.dispatchAttempts = 0;
    patch.agentStatusMessage = status === "failed" ? `Exited: ${reason ?? "failed"}` : null;
    patch.agentStatusUpdatedAt = now;
  } else if (agent.role !== "refinery") patch.dispatchAttempts = 0; // the refinery keeps its count so R6's cap works
  if (Object.keys(patch).length) await repo.updateAgent(agent.id, patch);
  if (!workingAndHooked && current.status !== "idle") await setAgentStatus(repo, current, "idle", now);
  return [];
}

/** §3.3 container_status: the runtime says a working/stalled agent is gone. */
async function containerStatus(repo: TownRepo, event: TownEventOf<"container_status">, now: Date): Promise<Action[]> {
  const agent = await getAgentOrThrow(repo, event.agentId);
  const watched = agent.status === "working" || agent.status === "stalled" || (agent.role === "mayor" && agent.status === "waiting");
  if (!watched) return [];
  const observed = event.payload.status;
  if (observed !== "exited" && observed !== "not_found") return [];
  if (observed === "not_found" && agent.lastActivityAt && now.getTime() - agent.lastActivityAt.getTime() < CONTAINER_NOT_FOUND_GRACE_MS) {
    return []; // cold start: the runtime may not have registered it yet
  }
  if (agent.role === "refinery" && agent.currentHookBeadId) {
    const mr = await repo.getBead(agent.currentHookBeadId);
    if (!mr || isTerminal(mr.status)) {
      await unhookAgent(repo, agent, now, `container ${observed}`);
      return [];
    }
    // keep the hook: R6 redispatches the refinery on its MR
  }
  await setAgentStatus(repo, agent, "idle", now);
  return [];
}

/** bead_cancelled: set the terminal status, then free every hooked agent — reading its status *before*
 *  unhooking (unhook idles it), so every agent that was running gets a stop_agent (§11 #5). */
async function beadCancelled(repo: TownRepo, event: TownEventOf<"bead_cancelled">, now: Date): Promise<Action[]> {
  const bead = await getBeadOrThrow(repo, event.beadId);
  const to = event.payload.cancel_status;
  const reason = event.payload.reason ?? "cancelled";
  await setBeadStatus(repo, bead, to, now, {
    reason,
    actor: event.payload.actor ?? "user",
    failure: to === "failed" ? { code: "cancelled", message: reason, source: "user" } : undefined,
  });
  const actions: Action[] = [];
  for (const agent of await repo.listAgentsHookedTo(bead.id)) {
    const wasRunning = agent.status === "working" || agent.status === "stalled";
    await unhookAgent(repo, agent, now, "bead cancelled");
    if (wasRunning) {
      actions.push({ type: "stop_agent", rule: "event:bead_cancelled", reason: `bead ${bead.id} was cancelled`, agentId: agent.id });
    }
  }
  return actions;
}

async function getMr(repo: TownRepo, event: { beadId: string | null; payload: { mr_bead_id?: string } }): Promise<Bead> {
  return getBeadOrThrow(repo, event.payload.mr_bead_id ?? event.beadId, "MR");
}

function feedbackTitle(p: TownEventOf<"pr_feedback_detected">["payload"]): string {
  const parts: string[] = [];
  if (p.has_unresolved_comments) parts.push("review comments");
  if (p.has_failing_checks) parts.push("failing CI");
  else if (p.has_unchecked_runs) parts.push("unchecked CI runs");
  const repoName = p.repo.split("/").pop() ?? p.repo;
  return `Address ${parts.join(" & ") || "PR feedback"} on PR #${p.pr_number} (${repoName})`;
}

function feedbackBody(p: TownEventOf<"pr_feedback_detected">["payload"]): string {
  const lines = [`PR ${p.pr_url} (branch \`${p.branch}\`) needs work before it can merge.`, ""];
  if (p.has_unresolved_comments) {
    lines.push(
      `- Read the review comments: \`gh pr view ${p.pr_number} --comments\`.`,
      "- Fix each point or reply to it, then resolve the whole thread.",
    );
  }
  if (p.has_failing_checks || p.has_unchecked_runs) {
    lines.push(`- Inspect the checks: \`gh pr checks ${p.pr_number}\`, read the failing logs and fix them.`);
  }
  if (p.has_unchecked_runs && !p.has_failing_checks) {
    lines.push("- There are more than 100 check runs; inspect CI yourself to be sure all of them pass.");
  }
  lines.push("- Push to the same branch, then call gt_done.");
  return lines.join("\n");
}

/** pr_feedback_detected: one open feedback bead per MR, blocking it until addressed (dedupe: a non-terminal
 *  `gt:pr-feedback` blocker already there → nothing). */
async function prFeedbackDetected(repo: TownRepo, event: TownEventOf<"pr_feedback_detected">, now: Date): Promise<Action[]> {
  const mr = await repo.getBead(event.payload.mr_bead_id ?? event.beadId ?? "");
  if (!mr || isTerminal(mr.status)) return [];
  const existing = (await repo.listDependencies(mr.id, "blocks")).filter((b) => hasLabel(b, LABELS.prFeedback) && !isTerminal(b.status));
  if (existing.length > 0) return [];
  const p = event.payload;
  const feedback = await repo.insertBead({
    type: "issue",
    status: "open",
    title: feedbackTitle(p),
    body: feedbackBody(p),
    rigId: mr.rigId,
    parentBeadId: mr.id,
    priority: mr.priority,
    labels: [LABELS.prFeedback],
    metadata: { pr_feedback_for: mr.id, pr_url: p.pr_url, branch: p.branch },
    createdBy: SYSTEM_ACTOR,
    createdAt: now,
  });
  await repo.insertDependency({ beadId: mr.id, dependsOnBeadId: feedback.id, dependencyType: "blocks", createdAt: now });
  await repo.insertBeadEvent({ beadId: feedback.id, agentId: null, eventType: "created", oldValue: null, newValue: "open", metadata: { pr_feedback_for: mr.id }, createdAt: now });
  return [];
}

/** pr_conflict_detected [later]: a `gt:pr-conflict` bead blocking the MR (deduped), or — when the rig does
 *  not auto-resolve conflicts — a high escalation. */
async function prConflictDetected(repo: TownRepo, event: TownEventOf<"pr_conflict_detected">, now: Date): Promise<Action[]> {
  const mr = await repo.getBead(event.payload.mr_bead_id ?? event.beadId ?? "");
  if (!mr || isTerminal(mr.status)) return [];
  const open = (await repo.listDependencies(mr.id, "blocks")).filter(
    (b) => (hasLabel(b, LABELS.prConflict) || hasLabel(b, LABELS.prFeedback)) && !isTerminal(b.status),
  );
  if (open.length > 0) return [];
  const rig = mr.rigId ? await repo.getRig(mr.rigId) : null;
  if (rig && !rig.settings.autoResolveMergeConflicts) {
    await createEscalation(
      repo,
      { title: `Merge conflict on PR ${event.payload.pr_url}`, severity: "high", rigId: mr.rigId, metadata: { kind: "pr_conflict", mr_bead_id: mr.id } },
      now,
    );
    return [];
  }
  const conflict = await repo.insertBead({
    type: "issue",
    status: "open",
    title: `Resolve merge conflicts on ${event.payload.pr_url}`,
    body: `The PR's branch \`${event.payload.branch}\` conflicts with its target. Merge the target in, resolve, push, then call gt_done.`,
    rigId: mr.rigId,
    parentBeadId: mr.id,
    priority: mr.priority,
    labels: [LABELS.prConflict],
    metadata: { pr_feedback_for: mr.id, pr_url: event.payload.pr_url, branch: event.payload.branch, has_conflicts: true },
    createdBy: SYSTEM_ACTOR,
    createdAt: now,
  });
  await repo.insertDependency({ beadId: mr.id, dependsOnBeadId: conflict.id, dependencyType: "blocks", createdAt: now });
  return [];
}

async function prAutoMerge(repo: TownRepo, event: TownEventOf<"pr_auto_merge">, now: Date): Promise<Action[]> {
  const mr = await getMr(repo, event);
  if (isTerminal(mr.status) || hasLabel(mr, LABELS.held)) return []; // a held MR is never auto-merged
  await repo.updateBead(mr.id, { metadata: { ...mr.metadata, auto_merge_pending: true }, updatedAt: now });
  return [];
}

async function autoMergeCleared(repo: TownRepo, event: TownEventOf<"auto_merge_cleared">, now: Date): Promise<Action[]> {
  const mr = await getMr(repo, event);
  const { auto_merge_pending: _dropped, ...metadata } = mr.metadata ?? {};
  await repo.updateBead(mr.id, { metadata: { ...metadata, auto_merge_cleared_reason: event.payload.reason }, updatedAt: now });
  if (await repo.getReview(mr.id)) await repo.updateReview(mr.id, { autoMergeReadySince: null });
  return [];
}

async function pollNonnullResult(repo: TownRepo, event: TownEventOf<"poll_nonnull_result">, _now: Date): Promise<Action[]> {
  const mr = await getMr(repo, event);
  if ((mr.metadata?.poll_null_count ?? 0) !== 0) await repo.updateBead(mr.id, { metadata: { ...mr.metadata, poll_null_count: 0 } });
  return [];
}

/** poll_null_result: 10 consecutive unreadable polls fail the MR and raise an escalation (SPEC.md §3 #6). */
async function pollNullResult(repo: TownRepo, event: TownEventOf<"poll_null_result">, now: Date): Promise<Action[]> {
  const mr = await getMr(repo, event);
  if (isTerminal(mr.status)) return [];
  const previous = typeof mr.metadata?.poll_null_count === "number" ? (mr.metadata.poll_null_count as number) : 0;
  const count = previous + 1;
  mr.metadata = { ...mr.metadata, poll_null_count: count };
  await repo.updateBead(mr.id, { metadata: mr.metadata });
  if (count < MAX_POLL_NULL_COUNT) return [];
  const message = `No PR status could be read for ${event.payload.pr_url} after ${count} polls — typically a missing or invalid GitHub token.`;
  await setBeadStatus(repo, mr, "failed", now, { reason: message, failure: { code: "pr_poll_failed", message, source: "poll_pr" } });
  await createEscalation(
    repo,
    { title: `PR polling failed: ${mr.title}`, body: message, severity: "high", rigId: mr.rigId, metadata: { kind: "pr_poll_failed", mr_bead_id: mr.id, pr_url: event.payload.pr_url } },
    now,
  );
  return [];
}

async function pollFeedbackChecked(repo: TownRepo, event: TownEventOf<"poll_feedback_checked">, _now: Date): Promise<Action[]> {
  const mr = await getMr(repo, event);
  if (await repo.getReview(mr.id)) await repo.updateReview(mr.id, { lastFeedbackCheckAt: event.payload.checked_at });
  return [];
}

/** poll_auto_merge_update: a non-null time starts the grace timer only at the first green observation;
 *  a held MR never starts it (SPEC.md §3b); null clears it. */
async function pollAutoMergeUpdate(repo: TownRepo, event: TownEventOf<"poll_auto_merge_update">, _now: Date): Promise<Action[]> {
  const mr = await getMr(repo, event);
  const review = await repo.getReview(mr.id);
  if (!review) return [];
  const readySince = event.payload.ready_since;
  if (readySince === null) {
    if (review.autoMergeReadySince) await repo.updateReview(mr.id, { autoMergeReadySince: null });
    return [];
  }
  if (review.autoMergeReadySince || isTerminal(mr.status) || hasLabel(mr, LABELS.held)) return [];
  await repo.updateReview(mr.id, { autoMergeReadySince: readySince });
  return [];
}

async function prStatusChanged(repo: TownRepo, event: TownEventOf<"pr_status_changed">, now: Date): Promise<Action[]> {
  const mr = await getBeadOrThrow(repo, event.beadId, "MR");
  if (isTerminal(mr.status)) return [];
  const seenBy = event.payload.source === "webhook" ? "reported by a GitHub webhook" : "detected by polling";
  if (event.payload.pr_state === "merged") await completeReview(repo, mr, "merged", `PR merged (${seenBy})`, now);
  else if (event.payload.pr_state === "closed") await completeReview(repo, mr, "failed", "PR closed without merge", now);
  return [];
}

async function convoyStarted(repo: TownRepo, event: TownEventOf<"convoy_started">, _now: Date): Promise<Action[]> {
  const id = event.payload.convoy_id;
  if (!(await repo.getConvoy(id))) throw new DomainError("entity_not_found", `Convoy ${id} not found`);
  await repo.updateConvoy(id, { staged: false });
  return [];
}

/** dispatch_failed (ours, SPEC.md §2): the runtime refused or threw. Roll the agent back to idle only if
 *  it is still `working` on that hook with no heartbeat since the dispatch (a heartbeat proves the start
 *  worked despite the error: the timeout race of §11 #6), and keep the hook — never unhook or reopen on
 *  one failed start. The bead's counters were already bumped at dispatch, so backoff and the cap apply. */
async function dispatchFailed(repo: TownRepo, event: TownEventOf<"dispatch_failed">, now: Date): Promise<Action[]> {
  const agent = await getAgentOrThrow(repo, event.payload.agent_id);
  const sameDispatch =
    !event.payload.dispatched_at || !agent.dispatchedAt || event.payload.dispatched_at.getTime() === agent.dispatchedAt.getTime();
  const noHeartbeatSince = !agent.lastActivityAt || !agent.dispatchedAt || agent.lastActivityAt.getTime() <= agent.dispatchedAt.getTime();
  if (event.payload.bead_id === null) {
    // The hookless mayor (start_mayor): back to idle with the reason people see on the Mayor page; its own
    // attempt counter (bumped at the start) makes M1 back off.
    if (agent.role !== "mayor") throw new DomainError("invalid_payload", "dispatch_failed without bead_id is only for the mayor");
    if (agent.status === "working" && noHeartbeatSince && sameDispatch) await setAgentStatus(repo, agent, "idle", now);
    await repo.updateAgent(agent.id, { agentStatusMessage: `Could not start: ${event.payload.reason}`, agentStatusUpdatedAt: now });
    return [];
  }
  const bead = await getBeadOrThrow(repo, event.payload.bead_id);
  const rollBack = agent.status === "working" && agent.currentHookBeadId === bead.id && noHeartbeatSince && sameDispatch;
  if (rollBack) await setAgentStatus(repo, agent, "idle", now);
  await repo.updateBead(bead.id, { metadata: { ...bead.metadata, last_dispatch_error: event.payload.reason } });
  await repo.insertBeadEvent({
    beadId: bead.id,
    agentId: agent.id,
    eventType: "agent_status",
    oldValue: null,
    newValue: "dispatch_failed",
    metadata: { reason: event.payload.reason, rolled_back: rollBack },
    createdAt: now,
  });
  return [];
}

const noop = async (): Promise<Action[]> => [];

type EventHandlers = { [K in EventType]: (repo: TownRepo, event: TownEventOf<K>, now: Date) => Promise<Action[]> };

export const EVENT_HANDLERS: EventHandlers = {
  agent_done: agentDone,
  agent_completed: agentCompleted,
  pr_status_changed: prStatusChanged,
  bead_created: noop, // audit only: B1 picks the bead up
  bead_cancelled: beadCancelled,
  convoy_started: convoyStarted,
  container_status: containerStatus,
  container_eviction: noop, // audit only: the drain flag lives in town state
  nudge_timeout: noop, // reserved
  pr_feedback_detected: prFeedbackDetected,
  pr_auto_merge: prAutoMerge,
  auto_merge_cleared: autoMergeCleared,
  poll_nonnull_result: pollNonnullResult,
  poll_null_result: pollNullResult,
  poll_feedback_checked: pollFeedbackChecked,
  poll_auto_merge_update: pollAutoMergeUpdate,
  pr_conflict_detected: prConflictDetected,
  dispatch_failed: dispatchFailed,
};

/** Applies one validated event (parse it with `parseTownEvent` first) and returns the actions it implies,
 *  which the tick, the dry run and the replay run ahead of the reconciler's. */
export function applyEvent(repo: TownRepo, event: TownEvent, now: Date): Promise<Action[]> {
  const handler = EVENT_HANDLERS[event.eventType] as (repo: TownRepo, event: TownEvent, now: Date) => Promise<Action[]>;
  return handler(repo, event, now);
}
