import type { NotificationKind, TriageType } from "./actions";
import { LABELS, MAX_OPEN_TRIAGE_REQUESTS, POLECAT_NAME_POOL, REFINERY_NAME, SYSTEM_ACTOR } from "./constants";
import { convoyProgressOf } from "./convoy-progress";
import { DomainError } from "./errors";
import { outbound } from "./notify";
import type { NewBead, TownRepo } from "./repo";
import { isTerminal, type Agent, type AgentRole, type Bead, type BeadStatus, type FailureReason, type Mr, type Priority } from "./types";

// The building blocks shared by event applies and state actions (DOMAIN.md §2.1 status rules, §5.7 hook
// and get-or-create, §6.1 review submission, §3.4 completing a review). All go through the TownRepo port
// and take `now` from the caller.

// ------------------------------------------------------------------------------------------ guards

const UNHOOKABLE_TYPES = new Set(["escalation", "convoy", "agent", "message"]);

/** The `from`-guard (DOMAIN.md §4, §11 #4): a transition with a non-null `from` applies only while the row
 *  is still in that status. Returns why it must be skipped, or null. */
export function fromGuardViolation(current: string | null | undefined, from: string | null): string | null {
  if (current === null || current === undefined) return "not found";
  if (from !== null && current !== from) return `status is ${current}, expected ${from}`;
  return null;
}

/** Whether a bead status change may happen: terminal statuses are immutable and equal statuses are no-ops. */
export function beadTransitionViolation(current: BeadStatus, to: BeadStatus): string | null {
  if (current === to) return `already ${to}`;
  if (isTerminal(current)) return `${current} is terminal`;
  return null;
}

/**
 * Only https:// PR URLs are stored (DOMAIN.md §11 #23). The one exception is plain http on a loopback host,
 * which is where a local GitHub test server lives; such a URL cannot point at anyone else's repository.
 */
export function isValidPrUrl(url: string | null | undefined): url is string {
  if (typeof url !== "string") return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (!parsed.hostname) return false;
  if (parsed.protocol === "https:") return true;
  return parsed.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
}

function hasLabel(bead: Pick<Bead, "labels">, label: string) {
  return Array.isArray(bead.labels) && bead.labels.includes(label);
}

// ------------------------------------------------------------------------------------------ beads

export interface StatusChange {
  reason: string;
  /** who, in the bead event's metadata: "system" (default), "user", an agent id… */
  actor?: string;
  agentId?: string | null;
  /** the person, for people's writes */
  actorUserId?: string | null;
  failure?: FailureReason;
  /** extra fields of the `status_changed` bead event */
  metadata?: Record<string, unknown>;
}

/** The single status-update function (DOMAIN.md §2.1): no-op when equal, terminal immutable, a
 *  `status_changed` bead event for every real transition (with the failure reason when failing),
 *  `closed_at` on close, and a convoy recount when the bead reaches a terminal status. Returns whether it
 *  changed anything. */
export async function setBeadStatus(repo: TownRepo, bead: Bead, to: BeadStatus, now: Date, change: StatusChange): Promise<boolean> {
  if (beadTransitionViolation(bead.status, to)) return false;
  const metadata =
    to === "failed" && change.failure
      ? { ...bead.metadata, failureReason: change.failure.code, failureMessage: change.failure.message, failureSource: change.failure.source }
      : bead.metadata;
  await repo.updateBead(bead.id, {
    status: to,
    updatedAt: now,
    closedAt: to === "closed" ? now : bead.closedAt,
    metadata,
  });
  await repo.insertBeadEvent({
    beadId: bead.id,
    agentId: change.agentId ?? null,
    ...(change.actorUserId ? { actorUserId: change.actorUserId } : {}),
    eventType: "status_changed",
    oldValue: bead.status,
    newValue: to,
    metadata: {
      reason: change.reason,
      actor: change.actor ?? "system",
      ...(to === "failed" && change.failure ? { failure_reason: change.failure } : {}),
      ...(change.metadata ?? {}),
    },
    createdAt: now,
  });
  // Notifications out (issue 16): a failed MR is told to the channels that want it, in this transaction.
  if (bead.type === "merge_request" && to === "failed") await repo.insertOutbound(outbound.mrFailed(bead, change.failure?.message ?? change.reason, now));
  const previous = bead.status;
  bead.status = to; // keep the caller's copy in step so a follow-up read-modify-write does not undo it
  bead.updatedAt = now;
  bead.metadata = metadata;
  if (to === "closed") bead.closedAt = now;
  if (isTerminal(to) && !isTerminal(previous)) await recountConvoysTracking(repo, bead.id);
  return true;
}

/** Recounts one convoy's stored progress from the beads it tracks (SPEC.md §3 #8, convoyProgressOf). */
export async function recountConvoy(repo: TownRepo, convoyId: string): Promise<void> {
  const { closed, total } = convoyProgressOf(await repo.listDependents(convoyId, "tracks"));
  await repo.updateConvoy(convoyId, { totalBeads: total, closedBeads: closed });
}

/** Recounts every convoy the bead is tracked by — after a status change, whoever made it. */
export async function recountConvoysTracking(repo: TownRepo, beadId: string): Promise<void> {
  const convoys = (await repo.listDependencies(beadId, "tracks")).filter((b) => b.type === "convoy");
  for (const convoy of convoys) await recountConvoy(repo, convoy.id);
}

/** Null the assignee and unhook every agent hooked to the bead, so no agent keeps working on a bead
 *  nobody owns (split brain, DOMAIN.md §4 clear_bead_assignee). */
export async function clearAssignee(repo: TownRepo, bead: Bead, now: Date, reason: string): Promise<void> {
  await repo.updateBead(bead.id, { assigneeAgentBeadId: null, updatedAt: now });
  bead.assigneeAgentBeadId = null;
  bead.updatedAt = now;
  for (const agent of await repo.listAgentsHookedTo(bead.id)) await unhookAgent(repo, agent, now, reason);
}

/** Reopen: back to `open` with no assignee, unless terminal. */
export async function reopenBead(repo: TownRepo, bead: Bead, now: Date, change: StatusChange): Promise<boolean> {
  if (isTerminal(bead.status)) return false;
  const changed = await setBeadStatus(repo, bead, "open", now, change);
  await clearAssignee(repo, bead, now, change.reason);
  return changed;
}

export async function getBeadOrThrow(repo: TownRepo, id: string | null | undefined, what = "Bead"): Promise<Bead> {
  const bead = id ? await repo.getBead(id) : null;
  if (!bead) throw new DomainError("entity_not_found", `${what} ${id ?? "(none)"} not found`);
  return bead;
}

export async function getAgentOrThrow(repo: TownRepo, id: string | null | undefined): Promise<Agent> {
  const agent = id ? await repo.getAgent(id) : null;
  if (!agent) throw new DomainError("entity_not_found", `Agent ${id ?? "(none)"} not found`);
  return agent;
}

// ------------------------------------------------------------------------------------------ hooks

/** Hook an agent to a bead (DOMAIN.md §5.7): idempotent for the same bead; refused if the agent holds
 *  another bead ("unhook first") or the bead cannot be hooked; any other agent hooked to the bead is
 *  unhooked first (one agent per bead). The agent is set idle with fresh activity, the bead assigned (it
 *  stays `open` until dispatch), and a `hooked` bead event written. */
export async function hookAgent(repo: TownRepo, agent: Agent, bead: Bead, now: Date): Promise<void> {
  if (UNHOOKABLE_TYPES.has(bead.type) || hasLabel(bead, LABELS.triageRequest)) {
    throw new DomainError("invalid_transition", `A ${bead.type} bead cannot be hooked`);
  }
  if (isTerminal(bead.status)) throw new DomainError("invalid_transition", `Bead ${bead.id} is ${bead.status}`);
  if (agent.currentHookBeadId === bead.id) return;
  if (agent.currentHookBeadId) {
    throw new DomainError("conflict", `Agent ${agent.name} is hooked to ${agent.currentHookBeadId}; unhook first`);
  }
  for (const other of await repo.listAgentsHookedTo(bead.id)) {
    if (other.id !== agent.id) await unhookAgent(repo, other, now, "hooked by another agent");
  }
  await repo.updateAgent(agent.id, { currentHookBeadId: bead.id, status: "idle", lastActivityAt: now, agentStatusMessage: null, stalledAt: null });
  Object.assign(agent, { currentHookBeadId: bead.id, status: "idle", lastActivityAt: now, agentStatusMessage: null, stalledAt: null });
  await repo.updateBead(bead.id, { assigneeAgentBeadId: agent.id, updatedAt: now });
  bead.assigneeAgentBeadId = agent.id;
  bead.updatedAt = now;
  await repo.insertBeadEvent({ beadId: bead.id, agentId: agent.id, eventType: "hooked", oldValue: null, newValue: agent.id, metadata: {}, createdAt: now });
}

/** Unhook (DOMAIN.md §4): clear the hook, status idle, checkpoint null, an `unhooked` bead event. Returns
 *  false when the agent was not hooked. */
export async function unhookAgent(repo: TownRepo, agent: Agent, now: Date, reason: string): Promise<boolean> {
  const hooked = agent.currentHookBeadId;
  if (!hooked) return false;
  await repo.updateAgent(agent.id, { currentHookBeadId: null, status: "idle", checkpoint: null, stalledAt: null });
  Object.assign(agent, { currentHookBeadId: null, status: "idle", checkpoint: null, stalledAt: null });
  if (await repo.getBead(hooked)) {
    await repo.insertBeadEvent({ beadId: hooked, agentId: agent.id, eventType: "unhooked", oldValue: agent.id, newValue: null, metadata: { reason }, createdAt: now });
  }
  return true;
}

/** Set an agent's status, keeping `stalled_at` in step (set on entering stalled, cleared on leaving). */
export async function setAgentStatus(repo: TownRepo, agent: Agent, to: Agent["status"], now: Date): Promise<void> {
  const stalledAt = to === "stalled" ? (agent.status === "stalled" ? agent.stalledAt : now) : null;
  await repo.updateAgent(agent.id, { status: to, stalledAt });
  agent.status = to;
  agent.stalledAt = stalledAt;
}

/** `<name>-<role>-<rig8>@<town8>` (DOMAIN.md §1); the mayor is `mayor-<town8>`. */
export function agentIdentity(name: string, role: AgentRole, rigId: string | null, townId: string): string {
  if (role === "mayor") return `mayor-${townId.slice(0, 8)}`;
  return `${name}-${role}-${(rigId ?? "town").slice(0, 8)}@${townId.slice(0, 8)}`;
}

/** The first free name of the 20-name pool, town-global; then `Polecat-<n>`. */
export function pickPolecatName(taken: Iterable<string>): string {
  const used = new Set(taken);
  for (const name of POLECAT_NAME_POOL) if (!used.has(name)) return name;
  for (let n = 1; ; n += 1) if (!used.has(`Polecat-${n}`)) return `Polecat-${n}`;
}

/** Get-or-create (DOMAIN.md §5.7): mayor → the town singleton; refinery → the rig's refinery whatever
 *  its status (the caller checks it is free); polecat → an idle unhooked polecat of the rig, else a new
 *  one named from the pool. */
export async function getOrCreateAgent(
  repo: TownRepo,
  role: AgentRole,
  rigId: string | null,
  now: Date,
  options: { reuseIdlePolecat?: boolean } = {},
): Promise<Agent> {
  if (role === "mayor") {
    const mayor = await repo.findMayor();
    if (mayor) return mayor;
    return repo.insertAgent({ name: "Mayor", role, rigId: null, identity: agentIdentity("Mayor", role, null, repo.townId), status: "idle", lastActivityAt: null, createdAt: now });
  }
  if (!rigId) throw new DomainError("bad_request", `A ${role} needs a rig`);
  if (role === "refinery") {
    const refinery = await repo.findRefinery(rigId);
    if (refinery) return refinery;
    return repo.insertAgent({ name: REFINERY_NAME, role, rigId, identity: agentIdentity(REFINERY_NAME, role, rigId, repo.townId), status: "idle", lastActivityAt: null, createdAt: now });
  }
  if (options.reuseIdlePolecat !== false) {
    const idle = await repo.findIdlePolecat(rigId);
    if (idle) return idle;
  }
  const name = pickPolecatName(await repo.listAgentNames());
  return repo.insertAgent({ name, role, rigId, identity: agentIdentity(name, role, rigId, repo.townId), status: "idle", lastActivityAt: null, createdAt: now });
}

// ------------------------------------------------------------------------------------------ review queue

export interface ReviewSubmission {
  source: Bead;
  agentId: string;
  rigId: string | null;
  branch: string;
  prUrl?: string | null;
  summary?: string | null;
  createdBy: string;
  /** set for landing MRs; otherwise derived from the convoy / rig */
  targetBranch?: string;
}

/** Submit to the review queue (DOMAIN.md §6.1): an `open` MR bead that tracks its source, targeting the
 *  convoy's feature branch for review-then-land tasks, else the rig's default branch, else `main`. */
export async function submitToReviewQueue(repo: TownRepo, sub: ReviewSubmission, now: Date): Promise<Mr> {
  const metadata: Record<string, unknown> = { source_bead_id: sub.source.id, source_agent_id: sub.agentId };
  let targetBranch = sub.targetBranch;
  if (!targetBranch) {
    for (const convoyBead of (await repo.listDependencies(sub.source.id, "tracks")).filter((b) => b.type === "convoy")) {
      const convoy = await repo.getConvoy(convoyBead.id);
      if (!convoy) continue;
      metadata.convoy_id = convoy.beadId;
      if ((convoy.mergeMode ?? "review-then-land") === "review-then-land" && convoy.featureBranch) {
        metadata.convoy_feature_branch = convoy.featureBranch;
        targetBranch = convoy.featureBranch;
      }
      break;
    }
  }
  if (!targetBranch && sub.rigId) targetBranch = (await repo.getRig(sub.rigId))?.defaultBranch || undefined;
  targetBranch ??= "main";

  let prUrl: string | null = null;
  if (sub.prUrl) {
    if (isValidPrUrl(sub.prUrl)) {
      prUrl = sub.prUrl;
      metadata.pr_url = prUrl;
    } else {
      await repo.insertBeadEvent({
        beadId: sub.source.id, agentId: sub.agentId, eventType: "pr_creation_failed", oldValue: null, newValue: null,
        metadata: { reason: "pr_url is not an https URL", pr_url: sub.prUrl }, createdAt: now,
      });
    }
  }
  const review = { branch: sub.branch, targetBranch, mergeCommit: null, prUrl, retryCount: 0, autoMergeReadySince: null, lastFeedbackCheckAt: null };
  const bead = await repo.insertBead({
    type: "merge_request",
    status: "open",
    title: `Review: ${sub.branch}`,
    body: sub.summary ?? null,
    rigId: sub.rigId,
    labels: [LABELS.mergeRequest],
    metadata,
    createdBy: sub.createdBy,
    createdAt: now,
    review,
  });
  await repo.insertDependency({ beadId: bead.id, dependsOnBeadId: sub.source.id, dependencyType: "tracks", createdAt: now });
  await repo.insertBeadEvent({
    beadId: sub.source.id, agentId: sub.agentId === SYSTEM_ACTOR ? null : sub.agentId, eventType: "review_submitted", oldValue: null, newValue: bead.id,
    metadata: { branch: sub.branch, target_branch: targetBranch, mr_bead_id: bead.id }, createdAt: now,
  });
  return { bead, review: { ...review, beadId: bead.id, townId: repo.townId } };
}

/** The bead an MR reviews: metadata `source_bead_id`, else the bead it tracks. */
export async function getMrSource(repo: TownRepo, mr: Bead): Promise<Bead | null> {
  const id = mr.metadata?.source_bead_id;
  if (typeof id === "string" && id) return repo.getBead(id);
  return (await repo.listDependencies(mr.id, "tracks"))[0] ?? null;
}

export type ReviewOutcome = "merged" | "failed" | "conflict";

/** Completing a review (DOMAIN.md §3.4): the MR closes (merged) or fails; `review_completed` on the
 *  source. Merged: close the source, close sibling MRs, stamp a convoy's landed_at. Conflict: an
 *  escalation, and the source reopened. Failed: the source reopened unless terminal. */
export async function completeReview(repo: TownRepo, mr: Bead, outcome: ReviewOutcome, message: string, now: Date, agentId: string | null = null): Promise<void> {
  const to: BeadStatus = outcome === "merged" ? "closed" : "failed";
  const failure: FailureReason | undefined =
    outcome === "merged" ? undefined : { code: outcome === "conflict" ? "merge_conflict" : "review_failed", message, source: "refinery" };
  await setBeadStatus(repo, mr, to, now, { reason: message, agentId, failure });
  const source = await getMrSource(repo, mr);
  if (!source) return;
  await repo.insertBeadEvent({
    beadId: source.id, agentId, eventType: "review_completed", oldValue: null, newValue: outcome,
    metadata: { mr_bead_id: mr.id, message }, createdAt: now,
  });
  if (outcome === "merged") {
    if (!isTerminal(source.status)) await setBeadStatus(repo, source, "closed", now, { reason: "MR merged", agentId });
    for (const sibling of await repo.listMrsTracking(source.id)) {
      if (sibling.bead.id === mr.id || isTerminal(sibling.bead.status)) continue;
      await setBeadStatus(repo, sibling.bead, "closed", now, { reason: `superseded: MR ${mr.id} merged` });
    }
    if (source.type === "convoy") await repo.updateConvoy(source.id, { landedAt: now });
    return;
  }
  if (outcome === "conflict") {
    await createEscalation(repo, {
      title: `Merge conflict: ${mr.title}`,
      body: message,
      severity: "high",
      rigId: mr.rigId,
      metadata: { kind: "merge_conflict", mr_bead_id: mr.id, source_bead_id: source.id },
    }, now);
  }
  await reopenBead(repo, source, now, { reason: outcome === "conflict" ? "merge conflict" : "review failed", agentId });
}

/** The start of the feedback kept in a `rework_requested` bead event (DOMAIN.md §6.2). */
export const REWORK_EVENT_FEEDBACK_CHARS = 500;

/** Rework loop (DOMAIN.md §6.2), the refinery's gt_request_changes: issue "Rework: <source title>", body =
 *  feedback, priority = source's, rig = MR's, parent = MR, label `gt:rework`, metadata {rework_for, mr_bead_id,
 *  branch, target_branch, files}; the MR is *blocked by* it; a `rework_requested` bead event on the MR
 *  (feedback truncated). Returns the rework bead and the `bead_created` fact the caller queues. */
export async function requestChanges(
  repo: TownRepo,
  mr: Bead,
  input: { feedback: string; files?: string[]; agentId: string },
  now: Date,
): Promise<{ rework: Bead; event: { eventType: "bead_created"; beadId: string; agentId: string; payload: { bead_type: "issue"; rig_id: string | null; has_blockers: false } } }> {
  if (mr.type !== "merge_request") throw new DomainError("invalid_transition", `Bead ${mr.id} is a ${mr.type}, not a merge request`);
  if (isTerminal(mr.status)) throw new DomainError("invalid_transition", `Merge request ${mr.id} is already ${mr.status}`);
  const review = await repo.getReview(mr.id);
  const source = await getMrSource(repo, mr);
  const files = input.files ?? [];
  const rework = await repo.insertBead({
    type: "issue",
    status: "open",
    title: `Rework: ${source?.title ?? mr.title}`,
    body: input.feedback,
    priority: source?.priority ?? mr.priority,
    rigId: mr.rigId,
    parentBeadId: mr.id,
    labels: [LABELS.rework],
    metadata: { rework_for: source?.id ?? null, mr_bead_id: mr.id, branch: review?.branch ?? null, target_branch: review?.targetBranch ?? null, files },
    createdBy: input.agentId,
    createdAt: now,
  });
  // The MR is blocked by its rework: R2/R3 leave it alone while the rework is in flight.
  await repo.insertDependency({ beadId: mr.id, dependsOnBeadId: rework.id, dependencyType: "blocks", createdAt: now });
  await repo.insertBeadEvent({
    beadId: mr.id, agentId: input.agentId, eventType: "rework_requested", oldValue: null, newValue: rework.id,
    metadata: { rework_bead_id: rework.id, feedback: input.feedback.slice(0, REWORK_EVENT_FEEDBACK_CHARS), files }, createdAt: now,
  });
  return {
    rework,
    event: { eventType: "bead_created", beadId: rework.id, agentId: input.agentId, payload: { bead_type: "issue", rig_id: mr.rigId, has_blockers: false } },
  };
}

// ------------------------------------------------------------------------------------------ mayor, escalations, triage

/** notify_mayor (SPEC.md §3 #12): mail to the mayor, and a town notification people see. */
export async function notifyMayor(repo: TownRepo, message: string, kind: NotificationKind, now: Date, beadId: string | null = null): Promise<void> {
  const mayor = await repo.findMayor();
  if (mayor) {
    await repo.insertBead({
      type: "message",
      status: "open",
      title: message.split("\n")[0].slice(0, 120),
      body: message,
      assigneeAgentBeadId: mayor.id,
      labels: [LABELS.message, `from:${SYSTEM_ACTOR}`],
      metadata: { from_agent_id: SYSTEM_ACTOR, to_agent_id: mayor.id },
      createdBy: SYSTEM_ACTOR,
      createdAt: now,
    });
  }
  await repo.insertNotification({ kind, message, beadId, eventId: null, createdAt: now });
}

/** The options a GUPP triage request offers (DOMAIN.md §4 create_triage_request). */
export const DEFAULT_TRIAGE_OPTIONS = ["RESTART", "CLOSE", "ESCALATE"] as const;

/** An escalation's triage options by severity (DOMAIN.md §5.4). */
export function escalationTriageOptions(severity: Priority): string[] {
  return severity === "low" ? ["NUDGE", "CLOSE_BEAD", "PROVIDE_GUIDANCE"] : ["ESCALATE_TO_MAYOR", "RESTART", "CLOSE_BEAD", "REASSIGN_BEAD"];
}

export interface TriageRequestInput {
  triageType: TriageType;
  reason: string;
  /** The agent the situation is about (null for an escalation the reconciler raised on its own). */
  agent: Pick<Agent, "id" | "rigId" | "currentHookBeadId"> | null;
  options?: readonly string[];
  /** Extra context (an escalation's bead id and severity). */
  context?: Record<string, unknown>;
  /** The rig, when there is no agent to take it from (an escalation's). */
  rigId?: string | null;
}

/** The bead of a triage request: metadata snapshots the agent's hooked bead at creation (DOMAIN.md §2.1). */
export function triageRequestBead(input: TriageRequestInput, now: Date): NewBead {
  return {
    type: "issue",
    status: "open",
    title: `Triage: ${input.reason}`.slice(0, 200),
    rigId: input.agent?.rigId ?? input.rigId ?? null,
    priority: "high",
    labels: [LABELS.triageRequest],
    metadata: {
      triage_type: input.triageType,
      agent_bead_id: input.agent?.id ?? null,
      hooked_bead_id: input.agent?.currentHookBeadId ?? null,
      context: { reason: input.reason, ...(input.context ?? {}) },
      options: [...(input.options ?? DEFAULT_TRIAGE_OPTIONS)],
    },
    createdBy: "patrol",
    createdAt: now,
  };
}

/** An escalation bead's priority by its severity (DOMAIN.md §5.4) — the one map. */
export const SEVERITY_PRIORITY: Record<Priority, Priority> = { critical: "critical", high: "high", medium: "medium", low: "medium" };

export interface EscalationInput {
  title: string;
  body?: string | null;
  severity: Priority;
  rigId: string | null;
  metadata?: Record<string, unknown>;
  category?: string | null;
  /** the agent raising it (gt_escalate); absent when the reconciler raises it */
  raisedBy?: { agentId: string; name: string } | null;
}

export interface EscalationRaised {
  escalation: Bead;
  triageRequest: Bead | null;
  /** the mail to the mayor, when one was written */
  mayorMail: Bead | null;
}

/** An escalation bead (DOMAIN.md §5.4), whoever raises it: labels `gt:escalation` + `severity:<s>`, priority
 *  by severity, its metadata row, an `escalated` bead event, its triage request (options by severity); above
 *  `low` the mayor is told — mail from the agent that raised it (not to itself) or from the system, and a
 *  town notification people see. */
export async function raiseEscalation(repo: TownRepo, input: EscalationInput, now: Date): Promise<EscalationRaised> {
  const by = input.raisedBy ?? null;
  const bead = await repo.insertBead({
    type: "escalation",
    status: "open",
    title: input.title,
    body: input.body ?? null,
    rigId: input.rigId,
    priority: SEVERITY_PRIORITY[input.severity],
    labels: [LABELS.escalation, `severity:${input.severity}`],
    metadata: input.metadata ?? {},
    createdBy: by?.agentId ?? SYSTEM_ACTOR,
    createdAt: now,
    escalation: { severity: input.severity, category: input.category ?? null, acknowledged: false, reEscalationCount: 0, acknowledgedAt: null },
  });
  await repo.insertBeadEvent({ beadId: bead.id, agentId: by?.agentId ?? null, eventType: "escalated", oldValue: null, newValue: input.severity, metadata: input.metadata ?? {}, createdAt: now });
  // Every severity is written; each channel's minimum severity picks (issue 16).
  await repo.insertOutbound(outbound.escalation(bead, input.severity, now, by ? `From ${by.name}: ${input.body ?? input.title}` : undefined));
  let mayorMail: Bead | null = null;
  if (input.severity !== "low") {
    if (!by) await notifyMayor(repo, `Escalation (${input.severity}): ${input.title}`, "escalation", now, bead.id);
    else {
      const text = `Escalation (${input.severity}) from ${by.name}: ${input.title}`;
      const mayor = await repo.findMayor();
      if (mayor && mayor.id !== by.agentId) {
        mayorMail = await repo.insertBead({
          type: "message",
          status: "open",
          title: text.slice(0, 200),
          body: `${input.body ?? ""}\n\nEscalation bead: ${bead.id}`.trim(),
          assigneeAgentBeadId: mayor.id,
          labels: [LABELS.message, `from:${by.agentId}`],
          metadata: { from_agent_id: by.agentId, to_agent_id: mayor.id },
          createdBy: by.agentId,
          createdAt: now,
        });
      }
      await repo.insertNotification({ kind: "escalation", message: text, beadId: bead.id, eventId: null, createdAt: now });
    }
  }
  // Every escalation gets its triage request (DOMAIN.md §5.4), with options by severity.
  const sourceAgent = by?.agentId ?? (typeof input.metadata?.source_agent_id === "string" ? input.metadata.source_agent_id : null);
  const triageRequest = await createTriageRequest(
    repo,
    {
      agentId: sourceAgent,
      triageType: "escalation",
      reason: input.title,
      rigId: input.rigId,
      options: escalationTriageOptions(input.severity),
      context: { escalation_bead_id: bead.id, severity: input.severity, ...(input.metadata?.source_bead_id ? { source_bead_id: input.metadata.source_bead_id } : {}) },
    },
    now,
  );
  return { escalation: bead, triageRequest, mayorMail };
}

/** The reconciler's escalation (raiseEscalation without a raising agent); returns the escalation bead. */
export async function createEscalation(repo: TownRepo, input: Omit<EscalationInput, "raisedBy">, now: Date): Promise<Bead> {
  return (await raiseEscalation(repo, input, now)).escalation;
}

/** A triage request (DOMAIN.md §5.4): deduped per (agent, type) among open requests — an escalation's per
 *  escalation bead instead, so every escalation keeps its own request; at most 5 open non-escalation
 *  requests. Returns null when deduped or capped. */
export async function createTriageRequest(
  repo: TownRepo,
  input: Omit<TriageRequestInput, "agent"> & { agentId: string | null },
  now: Date,
): Promise<Bead | null> {
  const open = await repo.listActiveBeadsWithLabel(LABELS.triageRequest);
  const escalationId = input.context?.escalation_bead_id;
  const same = (b: Bead) =>
    b.metadata?.triage_type === input.triageType &&
    (escalationId
      ? (b.metadata?.context as Record<string, unknown> | undefined)?.escalation_bead_id === escalationId
      : b.metadata?.agent_bead_id === input.agentId);
  if (open.some(same)) return null;
  if (input.triageType !== "escalation" && open.filter((b) => b.metadata?.triage_type !== "escalation").length >= MAX_OPEN_TRIAGE_REQUESTS) return null;
  const agent = input.agentId ? await repo.getAgent(input.agentId) : null;
  const { agentId: _agentId, ...rest } = input;
  return repo.insertBead(triageRequestBead({ ...rest, agent }, now));
}
