import { randomUUID } from "node:crypto";
import type { SqlClient } from "../db/pool";
import { prismaSqlClient } from "../db/prisma-sql";
import type { Tx } from "../db/tx";
import type { AgentPatch, BeadPatch, ConvoyPatch, NewAgent, NewBead, NewDependency, NewNotification, NewNudge, ReviewPatch, TownRepo } from "../domain/repo";
import type { OutboundMessage } from "../domain/notify";
import { effectiveSettings, type TownConfig } from "../domain/settings";
import type { Agent, Bead, BeadEventRecord, DependencyType, Mr, Rig } from "../domain/types";
import { insertOutboundMessages } from "./outbox";
import { AGENT_COLUMNS, AGENT_FROM, BEAD_COLUMNS, agentFromRow, beadFromRow, convoyFromRow, reviewFromRow } from "./rows";

// The domain's TownRepo on Postgres, one statement per operation, run on the client of the tick's current
// transaction (so a savepoint rollback undoes an event's writes). Every statement is scoped by town_id.

/** Patchable columns: the domain key, the column, its SQL type (the batch repo flushes through jsonb_to_recordset). */
export type ColumnMap = Record<string, { col: string; type: "text" | "int" | "boolean" | "timestamptz" | "jsonb"; json?: boolean }>;

export const BEAD_PATCH: ColumnMap = {
  status: { col: "status", type: "text" },
  title: { col: "title", type: "text" },
  body: { col: "body", type: "text" },
  assigneeAgentBeadId: { col: "assignee_agent_bead_id", type: "text" },
  priority: { col: "priority", type: "text" },
  labels: { col: "labels", type: "jsonb", json: true },
  metadata: { col: "metadata", type: "jsonb", json: true },
  parentBeadId: { col: "parent_bead_id", type: "text" },
  dispatchAttempts: { col: "dispatch_attempts", type: "int" },
  lastDispatchAttemptAt: { col: "last_dispatch_attempt_at", type: "timestamptz" },
  updatedAt: { col: "updated_at", type: "timestamptz" },
  closedAt: { col: "closed_at", type: "timestamptz" },
};
export const AGENT_PATCH: ColumnMap = {
  containerProcessId: { col: "container_process_id", type: "text" },
  status: { col: "status", type: "text" },
  currentHookBeadId: { col: "current_hook_bead_id", type: "text" },
  dispatchAttempts: { col: "dispatch_attempts", type: "int" },
  checkpoint: { col: "checkpoint", type: "jsonb", json: true },
  lastActivityAt: { col: "last_activity_at", type: "timestamptz" },
  agentStatusMessage: { col: "agent_status_message", type: "text" },
  agentStatusUpdatedAt: { col: "agent_status_updated_at", type: "timestamptz" },
  lastEventType: { col: "last_event_type", type: "text" },
  lastEventAt: { col: "last_event_at", type: "timestamptz" },
  activeTools: { col: "active_tools", type: "jsonb", json: true },
  stalledAt: { col: "stalled_at", type: "timestamptz" },
  dispatchedAt: { col: "dispatched_at", type: "timestamptz" },
  runtimeName: { col: "runtime_name", type: "text" },
  pid: { col: "pid", type: "int" },
  logPath: { col: "log_path", type: "text" },
};
export const REVIEW_PATCH: ColumnMap = {
  branch: { col: "branch", type: "text" },
  targetBranch: { col: "target_branch", type: "text" },
  mergeCommit: { col: "merge_commit", type: "text" },
  prUrl: { col: "pr_url", type: "text" },
  retryCount: { col: "retry_count", type: "int" },
  autoMergeReadySince: { col: "auto_merge_ready_since", type: "timestamptz" },
  lastFeedbackCheckAt: { col: "last_feedback_check_at", type: "timestamptz" },
};
export const CONVOY_PATCH: ColumnMap = {
  totalBeads: { col: "total_beads", type: "int" },
  closedBeads: { col: "closed_beads", type: "int" },
  landedAt: { col: "landed_at", type: "timestamptz" },
  featureBranch: { col: "feature_branch", type: "text" },
  mergeMode: { col: "merge_mode", type: "text" },
  staged: { col: "staged", type: "boolean" },
  readyToLand: { col: "ready_to_land", type: "boolean" },
};

/** `SET a = $3, b = $4::jsonb` for the patch's defined keys; params continue after `offset`. */
function buildSet(patch: Record<string, unknown>, map: ColumnMap, offset: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const spec = map[key];
    if (!spec) throw new Error(`PgTownRepo: unknown patch key "${key}"`);
    params.push(spec.json ? (value === null ? null : JSON.stringify(value)) : value);
    parts.push(`${spec.col} = $${offset + params.length}${spec.json ? "::jsonb" : ""}`);
  }
  return { sql: parts.join(", "), params };
}

export class PgTownRepo implements TownRepo {
  private townConfig: TownConfig | undefined;

  constructor(
    private readonly client: SqlClient,
    readonly townId: string,
  ) {}

  private async one<T>(sql: string, params: unknown[], map: (r: Record<string, unknown>) => T): Promise<T | null> {
    const { rows } = await this.client.query(sql, params);
    return rows[0] ? map(rows[0]) : null;
  }
  private async many<T>(sql: string, params: unknown[], map: (r: Record<string, unknown>) => T): Promise<T[]> {
    const { rows } = await this.client.query(sql, params);
    return rows.map(map);
  }
  private async mrs(where: string, params: unknown[], tail = ""): Promise<Mr[]> {
    const { rows } = await this.client.query(
      `SELECT ${BEAD_COLUMNS}, r.branch, r.target_branch, r.merge_commit, r.pr_url, r.retry_count, r.auto_merge_ready_since,
              r.last_feedback_check_at
         FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
        WHERE b.town_id = $1 AND b.type = 'merge_request' AND ${where} ${tail}`,
      [this.townId, ...params],
    );
    return rows.map((r) => ({ bead: beadFromRow(r), review: reviewFromRow(r) }));
  }

  // ---- reads

  /** The bead, its row locked until the transaction ends: the read of a compare-and-set (people's writes and
   *  the agent API compare the status they showed with this one, then write through the domain). */
  lockBead(id: string) {
    return this.one(`SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.bead_id = $2 FOR UPDATE`, [this.townId, id], beadFromRow);
  }
  getBead(id: string) {
    return this.one(`SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.bead_id = $2`, [this.townId, id], beadFromRow);
  }
  getAgent(id: string) {
    return this.one(`SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.bead_id = $2`, [this.townId, id], agentFromRow);
  }
  getReview(mrBeadId: string) {
    return this.one(`SELECT * FROM review_metadata WHERE town_id = $1 AND bead_id = $2`, [this.townId, mrBeadId], reviewFromRow);
  }
  getConvoy(convoyBeadId: string) {
    return this.one(`SELECT * FROM convoy_metadata WHERE town_id = $1 AND bead_id = $2`, [this.townId, convoyBeadId], convoyFromRow);
  }
  async getRig(id: string): Promise<Rig | null> {
    const { rows } = await this.client.query(`SELECT * FROM rigs WHERE town_id = $1 AND id = $2`, [this.townId, id]);
    if (!rows[0]) return null;
    this.townConfig ??= await loadTownConfig(this.client, this.townId);
    const r = rows[0];
    return {
      id: r.id as string,
      townId: r.town_id as string,
      name: r.name as string,
      gitUrl: r.git_url as string,
      defaultBranch: r.default_branch as string,
      config: (r.config as Rig["config"]) ?? {},
      settings: effectiveSettings(this.townConfig, r.config),
    };
  }
  findMayor() {
    return this.one(`SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.role = 'mayor' LIMIT 1`, [this.townId], agentFromRow);
  }
  findRefinery(rigId: string) {
    return this.one(
      `SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.role = 'refinery' AND b.rig_id = $2 ORDER BY b.created_at LIMIT 1`,
      [this.townId, rigId],
      agentFromRow,
    );
  }
  findIdlePolecat(rigId: string) {
    return this.one(
      `SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM}
        WHERE m.town_id = $1 AND m.role = 'polecat' AND b.rig_id = $2 AND m.status = 'idle' AND m.current_hook_bead_id IS NULL
        ORDER BY m.last_activity_at DESC NULLS LAST LIMIT 1`,
      [this.townId, rigId],
      agentFromRow,
    );
  }
  listAgentsHookedTo(beadId: string) {
    return this.many(`SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.current_hook_bead_id = $2`, [this.townId, beadId], agentFromRow);
  }
  async listAgentNames() {
    const { rows } = await this.client.query(`SELECT title FROM beads WHERE town_id = $1 AND type = 'agent'`, [this.townId]);
    return rows.map((r) => r.title as string);
  }
  listDependencies(beadId: string, type: DependencyType) {
    return this.many(
      `SELECT ${BEAD_COLUMNS} FROM bead_dependencies d JOIN beads b ON b.bead_id = d.depends_on_bead_id
        WHERE d.town_id = $1 AND d.bead_id = $2 AND d.dependency_type = $3 ORDER BY d.created_at`,
      [this.townId, beadId, type],
      beadFromRow,
    );
  }
  listDependents(beadId: string, type: DependencyType) {
    return this.many(
      `SELECT ${BEAD_COLUMNS} FROM bead_dependencies d JOIN beads b ON b.bead_id = d.bead_id
        WHERE d.town_id = $1 AND d.depends_on_bead_id = $2 AND d.dependency_type = $3 ORDER BY d.created_at`,
      [this.townId, beadId, type],
      beadFromRow,
    );
  }
  listMrsTracking(beadId: string) {
    return this.mrs(
      `EXISTS (SELECT 1 FROM bead_dependencies d WHERE d.bead_id = b.bead_id AND d.depends_on_bead_id = $2 AND d.dependency_type = 'tracks')`,
      [beadId],
      "ORDER BY b.created_at",
    );
  }
  async findLatestActiveMrAssignedTo(agentId: string) {
    const rows = await this.mrs(`b.assignee_agent_bead_id = $2 AND b.status NOT IN ('closed', 'failed')`, [agentId], "ORDER BY b.updated_at DESC LIMIT 1");
    return rows[0] ?? null;
  }
  listBeadsAssignedTo(agentId: string) {
    return this.many(`SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.assignee_agent_bead_id = $2`, [this.townId, agentId], beadFromRow);
  }
  listActiveBeadsWithLabel(label: string) {
    return this.many(
      `SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.labels @> $2::jsonb AND b.status IN ('open', 'in_progress')`,
      [this.townId, JSON.stringify([label])],
      beadFromRow,
    );
  }

  // ---- writes

  private async update(table: string, key: string, id: string, patch: object, map: ColumnMap) {
    const set = buildSet(patch as Record<string, unknown>, map, 2);
    if (!set.sql) return;
    await this.client.query(`UPDATE ${table} SET ${set.sql} WHERE town_id = $1 AND ${key} = $2`, [this.townId, id, ...set.params]);
  }
  updateBead(id: string, patch: BeadPatch) {
    return this.update("beads", "bead_id", id, patch, BEAD_PATCH);
  }
  updateAgent(id: string, patch: AgentPatch) {
    return this.update("agent_metadata", "bead_id", id, patch, AGENT_PATCH);
  }
  updateReview(mrBeadId: string, patch: ReviewPatch) {
    return this.update("review_metadata", "bead_id", mrBeadId, patch, REVIEW_PATCH);
  }
  updateConvoy(convoyBeadId: string, patch: ConvoyPatch) {
    return this.update("convoy_metadata", "bead_id", convoyBeadId, patch, CONVOY_PATCH);
  }

  async insertBead(input: NewBead): Promise<Bead> {
    const id = randomUUID();
    const { rows } = await this.client.query(
      `INSERT INTO beads AS b (bead_id, town_id, type, status, title, body, rig_id, parent_bead_id, assignee_agent_bead_id, priority,
                              labels, metadata, created_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14, $14)
       RETURNING ${BEAD_COLUMNS}`,
      [
        id,
        this.townId,
        input.type,
        input.status ?? "open",
        input.title,
        input.body ?? null,
        input.rigId ?? null,
        input.parentBeadId ?? null,
        input.assigneeAgentBeadId ?? null,
        input.priority ?? "medium",
        JSON.stringify(input.labels ?? []),
        JSON.stringify(input.metadata ?? {}),
        input.createdBy ?? null,
        input.createdAt,
      ],
    );
    if (input.review) {
      const r = input.review;
      await this.client.query(
        `INSERT INTO review_metadata (bead_id, town_id, branch, target_branch, merge_commit, pr_url, retry_count, auto_merge_ready_since, last_feedback_check_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, this.townId, r.branch, r.targetBranch, r.mergeCommit, r.prUrl, r.retryCount, r.autoMergeReadySince, r.lastFeedbackCheckAt],
      );
    }
    if (input.convoy) {
      const c = input.convoy;
      await this.client.query(
        `INSERT INTO convoy_metadata (bead_id, town_id, total_beads, closed_beads, landed_at, feature_branch, merge_mode, staged, ready_to_land)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, this.townId, c.totalBeads, c.closedBeads, c.landedAt, c.featureBranch, c.mergeMode, c.staged, c.readyToLand],
      );
    }
    if (input.escalation) {
      const e = input.escalation;
      await this.client.query(
        `INSERT INTO escalation_metadata (bead_id, town_id, severity, category, acknowledged, re_escalation_count, acknowledged_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [id, this.townId, e.severity, e.category, e.acknowledged, e.reEscalationCount, e.acknowledgedAt],
      );
    }
    return beadFromRow(rows[0]);
  }

  async insertAgent(input: NewAgent): Promise<Agent> {
    const id = randomUUID();
    await this.client.query(
      `INSERT INTO beads (bead_id, town_id, type, status, title, rig_id, created_by, created_at, updated_at, labels, metadata)
       VALUES ($1, $2, 'agent', 'open', $3, $4, 'system', $5, $5, '[]'::jsonb, '{}'::jsonb)`,
      [id, this.townId, input.name, input.rigId, input.createdAt],
    );
    await this.client.query(
      `INSERT INTO agent_metadata (bead_id, town_id, role, identity, status, last_activity_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, this.townId, input.role, input.identity, input.status, input.lastActivityAt],
    );
    return (await this.getAgent(id))!;
  }

  async insertDependency(dep: NewDependency) {
    await this.client.query(
      `INSERT INTO bead_dependencies (town_id, bead_id, depends_on_bead_id, dependency_type, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [this.townId, dep.beadId, dep.dependsOnBeadId, dep.dependencyType, dep.createdAt],
    );
  }

  async insertBeadEvent(e: BeadEventRecord) {
    await this.client.query(
      `INSERT INTO bead_events (town_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at, actor_user_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
      [this.townId, e.beadId, e.agentId, e.eventType, e.oldValue, e.newValue, JSON.stringify(e.metadata ?? {}), e.createdAt, e.actorUserId ?? null],
    );
  }

  async insertNudge(n: NewNudge) {
    await this.client.query(
      `INSERT INTO agent_nudges (town_id, agent_bead_id, message, mode, priority, source, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [this.townId, n.agentBeadId, n.message, n.mode, n.priority, n.source, n.createdAt, n.expiresAt],
    );
  }

  async insertNotification(n: NewNotification) {
    await this.client.query(
      `INSERT INTO notifications (town_id, kind, message, bead_id, event_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [this.townId, n.kind, n.message, n.beadId, n.eventId, n.createdAt],
    );
  }

  async insertOutbound(message: OutboundMessage) {
    await insertOutboundMessages(this.client, this.townId, [message]);
  }

  async deleteAgent(id: string) {
    // agent_metadata, nudges, tokens, the agent's own bead events and its dependencies cascade from the bead.
    await this.client.query(`DELETE FROM beads WHERE town_id = $1 AND bead_id = $2 AND type = 'agent'`, [this.townId, id]);
  }
}

export async function loadTownConfig(client: SqlClient, townId: string): Promise<TownConfig> {
  const { rows } = await client.query(`SELECT config FROM town_settings WHERE town_id = $1`, [townId]);
  return ((rows[0]?.config as TownConfig | undefined) ?? {}) as TownConfig;
}

/** The same repository inside a Prisma transaction — people's writes and the agent API write through the
 *  domain's operations with the tick's SQL (why this bridge: server/db/prisma-sql.ts). */
export function prismaTownRepo(tx: Tx, townId: string): PgTownRepo {
  return new PgTownRepo(prismaSqlClient(tx), townId);
}
