import type { Agent, Bead, BeadDependency, AgentNudge, ConvoyMetadata, EscalationMetadata, ReviewMetadata } from "../domain/types";

// Row → domain object mappers for the raw-SQL paths of the tick. pg returns timestamptz as Date and jsonb
// parsed; rows aggregated with json_agg (the one-statement world load) carry timestamps as ISO strings, so
// every timestamp goes through `date`. The column lists below are the only place that knows the snake_case
// names.

type Row = Record<string, unknown>;
const date = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(v as string));

export const BEAD_COLUMNS = `b.bead_id, b.town_id, b.type, b.status, b.title, b.body, b.rig_id, b.parent_bead_id,
  b.assignee_agent_bead_id, b.priority, b.labels, b.metadata, b.dispatch_attempts, b.last_dispatch_attempt_at,
  b.created_by, b.created_at, b.updated_at, b.closed_at`;

export function beadFromRow(r: Row): Bead {
  return {
    id: r.bead_id as string,
    townId: r.town_id as string,
    type: r.type as Bead["type"],
    status: r.status as Bead["status"],
    title: r.title as string,
    body: (r.body as string | null) ?? null,
    rigId: (r.rig_id as string | null) ?? null,
    parentBeadId: (r.parent_bead_id as string | null) ?? null,
    assigneeAgentBeadId: (r.assignee_agent_bead_id as string | null) ?? null,
    priority: r.priority as Bead["priority"],
    labels: Array.isArray(r.labels) ? (r.labels as string[]) : [],
    metadata: (r.metadata as Record<string, unknown>) ?? {},
    dispatchAttempts: r.dispatch_attempts as number,
    lastDispatchAttemptAt: date(r.last_dispatch_attempt_at),
    createdBy: (r.created_by as string | null) ?? null,
    createdAt: date(r.created_at)!,
    updatedAt: date(r.updated_at)!,
    closedAt: date(r.closed_at),
  };
}

export const AGENT_COLUMNS = `m.bead_id, m.town_id, b.title AS agent_name, b.rig_id AS agent_rig_id, b.created_at AS agent_created_at,
  m.role, m.identity, m.container_process_id, m.status, m.current_hook_bead_id, m.dispatch_attempts, m.checkpoint,
  m.last_activity_at, m.agent_status_message, m.agent_status_updated_at, m.last_event_type, m.last_event_at,
  m.active_tools, m.stalled_at, m.dispatched_at, m.runtime_name, m.pid, m.log_path`;
export const AGENT_FROM = `agent_metadata m JOIN beads b ON b.bead_id = m.bead_id`;

export function agentFromRow(r: Row): Agent {
  return {
    id: r.bead_id as string,
    townId: r.town_id as string,
    name: r.agent_name as string,
    rigId: (r.agent_rig_id as string | null) ?? null,
    role: r.role as Agent["role"],
    identity: r.identity as string,
    containerProcessId: (r.container_process_id as string | null) ?? null,
    status: r.status as Agent["status"],
    currentHookBeadId: (r.current_hook_bead_id as string | null) ?? null,
    dispatchAttempts: r.dispatch_attempts as number,
    checkpoint: r.checkpoint ?? null,
    lastActivityAt: date(r.last_activity_at),
    agentStatusMessage: (r.agent_status_message as string | null) ?? null,
    agentStatusUpdatedAt: date(r.agent_status_updated_at),
    lastEventType: (r.last_event_type as string | null) ?? null,
    lastEventAt: date(r.last_event_at),
    activeTools: Array.isArray(r.active_tools) ? (r.active_tools as string[]) : [],
    stalledAt: date(r.stalled_at),
    dispatchedAt: date(r.dispatched_at),
    runtimeName: (r.runtime_name as string | null) ?? null,
    pid: (r.pid as number | null) ?? null,
    logPath: (r.log_path as string | null) ?? null,
    createdAt: date(r.agent_created_at)!,
  };
}

export function reviewFromRow(r: Row): ReviewMetadata {
  return {
    beadId: r.bead_id as string,
    townId: r.town_id as string,
    branch: r.branch as string,
    targetBranch: r.target_branch as string,
    mergeCommit: (r.merge_commit as string | null) ?? null,
    prUrl: (r.pr_url as string | null) ?? null,
    retryCount: r.retry_count as number,
    autoMergeReadySince: date(r.auto_merge_ready_since),
    lastFeedbackCheckAt: date(r.last_feedback_check_at),
  };
}

export function convoyFromRow(r: Row): ConvoyMetadata {
  return {
    beadId: r.bead_id as string,
    townId: r.town_id as string,
    totalBeads: r.total_beads as number,
    closedBeads: r.closed_beads as number,
    landedAt: date(r.landed_at),
    featureBranch: (r.feature_branch as string | null) ?? null,
    mergeMode: (r.merge_mode as string | null) ?? null,
    staged: r.staged as boolean,
    readyToLand: r.ready_to_land as boolean,
  };
}

export function escalationFromRow(r: Row): EscalationMetadata {
  return {
    beadId: r.bead_id as string,
    townId: r.town_id as string,
    severity: r.severity as EscalationMetadata["severity"],
    category: (r.category as string | null) ?? null,
    acknowledged: r.acknowledged as boolean,
    reEscalationCount: r.re_escalation_count as number,
    acknowledgedAt: date(r.acknowledged_at),
  };
}

export function dependencyFromRow(r: Row): BeadDependency {
  return {
    townId: r.town_id as string,
    beadId: r.bead_id as string,
    dependsOnBeadId: r.depends_on_bead_id as string,
    dependencyType: r.dependency_type as BeadDependency["dependencyType"],
    createdAt: date(r.created_at)!,
  };
}

export function nudgeFromRow(r: Row): AgentNudge {
  return {
    id: r.nudge_id as string,
    townId: r.town_id as string,
    agentBeadId: r.agent_bead_id as string,
    message: r.message as string,
    mode: r.mode as AgentNudge["mode"],
    priority: r.priority as AgentNudge["priority"],
    source: r.source as string,
    createdAt: date(r.created_at)!,
    deliveredAt: date(r.delivered_at),
    expiresAt: date(r.expires_at),
  };
}
