import type { SqlClient } from "../db/pool";
import type { World } from "../domain/types";

// Writes a World built by server/domain/testing.ts's makeWorld() into the tables, on the given client (so a
// test can seed inside a transaction and roll it back: the builders' fixed ids — TOWN_ID, RIG_ID, bead-0001 —
// then never collide). The same world the memory repo starts from, as rows: an agent is an `agent` bead
// (title = name) plus its agent_metadata row; the town gets an owner, settings and breaker state.

export async function seedWorld(client: SqlClient, world: World): Promise<void> {
  const t = world.townId;
  const owner = `owner-${t}`;
  await client.query(`INSERT INTO users (id, name, email, email_verified, updated_at) VALUES ($1, 'Owner', $2, true, now())`, [owner, `${owner}@example.test`]);
  await client.query(`INSERT INTO towns (id, name, owner_user_id, breaker_open) VALUES ($1, $2, $3, $4)`, [t, `town ${t}`, owner, world.breakerWasOpen]);
  await client.query(`INSERT INTO town_settings (town_id, config) VALUES ($1, $2::jsonb)`, [t, JSON.stringify(world.townSettings ?? {})]);
  for (const r of world.rigs) {
    await client.query(`INSERT INTO rigs (id, town_id, name, git_url, default_branch, config, updated_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, now())`, [
      r.id,
      t,
      r.name,
      r.gitUrl,
      r.defaultBranch,
      JSON.stringify(r.config ?? {}),
    ]);
  }
  const beads = [
    ...world.beads,
    ...world.agents.map((a) => ({
      id: a.id, townId: t, type: "agent", status: "open", title: a.name, body: null, rigId: a.rigId, parentBeadId: null,
      assigneeAgentBeadId: null, priority: "medium", labels: [], metadata: {}, dispatchAttempts: 0, lastDispatchAttemptAt: null,
      createdBy: "system", createdAt: a.createdAt, updatedAt: a.createdAt, closedAt: null,
    })),
  ];
  for (const b of beads) {
    await client.query(
      `INSERT INTO beads (bead_id, town_id, type, status, title, body, rig_id, assignee_agent_bead_id, priority, labels, metadata,
                          dispatch_attempts, last_dispatch_attempt_at, created_by, created_at, updated_at, closed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $13, $14, $15, $16, $17)`,
      [b.id, t, b.type, b.status, b.title, b.body, b.rigId, b.assigneeAgentBeadId, b.priority, JSON.stringify(b.labels), JSON.stringify(b.metadata),
        b.dispatchAttempts, b.lastDispatchAttemptAt, b.createdBy, b.createdAt, b.updatedAt, b.closedAt],
    );
  }
  // parents last: the self-reference must find its target
  for (const b of world.beads.filter((x) => x.parentBeadId)) {
    await client.query(`UPDATE beads SET parent_bead_id = $2 WHERE bead_id = $1`, [b.id, b.parentBeadId]);
  }
  for (const a of world.agents) {
    await client.query(
      `INSERT INTO agent_metadata (bead_id, town_id, role, identity, container_process_id, status, current_hook_bead_id, dispatch_attempts,
                                   checkpoint, last_activity_at, agent_status_message, agent_status_updated_at, last_event_type, last_event_at,
                                   active_tools, stalled_at, dispatched_at, runtime_name, pid, log_path)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18, $19, $20)`,
      [a.id, t, a.role, a.identity, a.containerProcessId, a.status, a.currentHookBeadId, a.dispatchAttempts,
        a.checkpoint == null ? null : JSON.stringify(a.checkpoint), a.lastActivityAt, a.agentStatusMessage, a.agentStatusUpdatedAt,
        a.lastEventType, a.lastEventAt, JSON.stringify(a.activeTools), a.stalledAt, a.dispatchedAt, a.runtimeName, a.pid, a.logPath],
    );
  }
  for (const r of world.reviews) {
    await client.query(
      `INSERT INTO review_metadata (bead_id, town_id, branch, target_branch, merge_commit, pr_url, retry_count, auto_merge_ready_since, last_feedback_check_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.beadId, t, r.branch, r.targetBranch, r.mergeCommit, r.prUrl, r.retryCount, r.autoMergeReadySince, r.lastFeedbackCheckAt],
    );
  }
  for (const c of world.convoys) {
    await client.query(
      `INSERT INTO convoy_metadata (bead_id, town_id, total_beads, closed_beads, landed_at, feature_branch, merge_mode, staged, ready_to_land)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [c.beadId, t, c.totalBeads, c.closedBeads, c.landedAt, c.featureBranch, c.mergeMode, c.staged, c.readyToLand],
    );
  }
  for (const e of world.escalations) {
    await client.query(
      `INSERT INTO escalation_metadata (bead_id, town_id, severity, category, acknowledged, re_escalation_count, acknowledged_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [e.beadId, t, e.severity, e.category, e.acknowledged, e.reEscalationCount, e.acknowledgedAt],
    );
  }
  for (const d of world.dependencies) {
    await client.query(
      `INSERT INTO bead_dependencies (town_id, bead_id, depends_on_bead_id, dependency_type, created_at) VALUES ($1, $2, $3, $4, $5)`,
      [t, d.beadId, d.dependsOnBeadId, d.dependencyType, d.createdAt],
    );
  }
  for (const n of world.nudges) {
    await client.query(
      `INSERT INTO agent_nudges (nudge_id, town_id, agent_bead_id, message, mode, priority, source, created_at, delivered_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [n.id, t, n.agentBeadId, n.message, n.mode, n.priority, n.source, n.createdAt, n.deliveredAt, n.expiresAt],
    );
  }
}
