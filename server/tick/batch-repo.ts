import type { SqlClient } from "../db/pool";
import type { OutboundMessage } from "../domain/notify";
import type { AgentPatch, BeadPatch, ConvoyPatch, NewAgent, NewBead, NewDependency, NewNotification, NewNudge, ReviewPatch, TownRepo } from "../domain/repo";
import type { Agent, Bead, BeadEventRecord, DependencyType, ReviewMetadata } from "../domain/types";
import { AGENT_PATCH, BEAD_PATCH, PgTownRepo, REVIEW_PATCH, type ColumnMap } from "./pg-repo";
import { insertOutboundMessages } from "./outbox";
import { AGENT_COLUMNS, AGENT_FROM, BEAD_COLUMNS, agentFromRow, beadFromRow, reviewFromRow } from "./rows";

// The drain's fast path applies a whole batch of events in one transaction (SPEC.md §3b). Done with
// PgTownRepo that costs a round trip for every read and every write of every event — most of a tick's time.
// This repo is a unit of work over the same client and transaction:
//   - `prefetch` reads, in one statement, every bead, agent and review the batch's events name (and the beads
//     those agents are hooked to); getBead/getAgent/getReview then answer from that identity map;
//   - updates of beads, agents and reviews, and inserts of bead events, notifications and nudges, are
//     buffered (updates merged per row and column) and written by `flush` in a few set-based statements;
//   - every other read or write flushes first and then runs on PgTownRepo, so SQL always sees every earlier
//     write: the events of a batch still apply strictly in order, each seeing the ones before it.
// Only the columns a patch names are written (as PgTownRepo does), so concurrent writers of other columns are
// not overwritten. Reads return copies (the domain mutates what it reads), with jsonb values round-tripped
// as the database would. After a failed batch the caller discards the repo: its cache then describes writes
// that were rolled back. A failing flush throws BatchFlushError, which belongs to no single event.

export class BatchFlushError extends Error {
  constructor(cause: unknown) {
    super(`batch flush failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "BatchFlushError";
  }
}

type Patch = Record<string, unknown>;

interface Table<T> {
  cache: Map<string, T | null>;
  dirty: Map<string, Patch>;
  map: ColumnMap;
  table: string;
  key: string;
}

const jsonRoundTrip = (v: unknown) => (v === null || v === undefined ? null : JSON.parse(JSON.stringify(v)));

/** What the database would hand back for a written value: jsonb re-parsed, timestamps as Dates. */
function stored(value: unknown, spec: ColumnMap[string]): unknown {
  if (value === null) return null;
  if (spec.type === "jsonb") return jsonRoundTrip(value);
  if (spec.type === "timestamptz") return new Date(value as Date);
  return value;
}

/** Postgres' timestamptz starts at 4714-11-24 BC (JS year -4713); its end lies beyond any JS Date. */
const PG_MIN_TIMESTAMP_MS = Date.UTC(-4713, 10, 24);
function outOfTimestampRange(v: unknown): boolean {
  const ms = v instanceof Date ? v.getTime() : new Date(v as string).getTime();
  return Number.isNaN(ms) || ms < PG_MIN_TIMESTAMP_MS;
}

function table<T>(map: ColumnMap, name: string, key: string): Table<T> {
  return { cache: new Map(), dirty: new Map(), map, table: name, key };
}

function ids(values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v.length > 0))];
}

export class BatchTownRepo implements TownRepo {
  private readonly inner: PgTownRepo;
  private readonly beads = table<Bead>(BEAD_PATCH, "beads", "bead_id");
  private readonly agents = table<Agent>(AGENT_PATCH, "agent_metadata", "bead_id");
  private readonly reviews = table<ReviewMetadata>(REVIEW_PATCH, "review_metadata", "bead_id");
  private beadEvents: BeadEventRecord[] = [];
  private notifications: NewNotification[] = [];
  private outbound: OutboundMessage[] = [];
  private nudges: NewNudge[] = [];

  constructor(
    private readonly client: SqlClient,
    readonly townId: string,
  ) {
    this.inner = new PgTownRepo(client, townId);
  }

  /** Loads the rows the events name (ids from the event envelope and the usual payload keys) in one statement. */
  async prefetch(events: { beadId: string | null; agentId: string | null; payload: unknown }[]): Promise<void> {
    const beadIds: unknown[] = [];
    const agentIds: unknown[] = [];
    for (const e of events) {
      const p = (e.payload ?? {}) as Record<string, unknown>;
      beadIds.push(e.beadId, p.mr_bead_id, p.bead_id);
      agentIds.push(e.agentId, p.agent_id);
    }
    const wantBeads = ids(beadIds);
    const wantAgents = ids(agentIds);
    if (wantBeads.length === 0 && wantAgents.length === 0) return;
    const { rows } = await this.client.query(
      `WITH a AS (SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.bead_id = ANY($3::text[])),
            wanted AS (SELECT unnest($2::text[]) AS id UNION SELECT current_hook_bead_id FROM a WHERE current_hook_bead_id IS NOT NULL)
       SELECT (SELECT coalesce(json_agg(a), '[]') FROM a) AS agents,
              (SELECT coalesce(json_agg(x), '[]') FROM (SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.bead_id IN (SELECT id FROM wanted)) x) AS beads,
              (SELECT coalesce(json_agg(r), '[]') FROM review_metadata r WHERE r.town_id = $1 AND r.bead_id IN (SELECT id FROM wanted)) AS reviews,
              (SELECT coalesce(array_agg(id), '{}') FROM wanted) AS wanted`,
      [this.townId, wantBeads, wantAgents],
    );
    const r = rows[0];
    for (const id of r.wanted as string[]) {
      if (!this.beads.cache.has(id)) this.beads.cache.set(id, null);
      if (!this.reviews.cache.has(id)) this.reviews.cache.set(id, null);
    }
    for (const id of wantAgents) if (!this.agents.cache.has(id)) this.agents.cache.set(id, null);
    for (const b of (r.beads as Record<string, unknown>[]).map(beadFromRow)) this.beads.cache.set(b.id, b);
    for (const a of (r.agents as Record<string, unknown>[]).map(agentFromRow)) this.agents.cache.set(a.id, a);
    for (const v of (r.reviews as Record<string, unknown>[]).map(reviewFromRow)) this.reviews.cache.set(v.beadId, v);
  }

  /** Writes every buffered update and insert. */
  async flush(): Promise<void> {
    if (!this.hasPending()) return;
    try {
      for (const t of [this.beads, this.agents, this.reviews] as Table<unknown>[]) await this.flushUpdates(t);
      await this.flushInserts();
    } catch (err) {
      throw new BatchFlushError(err);
    }
  }

  /** Forgets everything (after a rollback). */
  discard(): void {
    for (const t of [this.beads, this.agents, this.reviews] as Table<unknown>[]) {
      t.cache.clear();
      t.dirty.clear();
    }
    this.beadEvents = [];
    this.notifications = [];
    this.outbound = [];
    this.nudges = [];
  }

  private hasPending(): boolean {
    return this.beads.dirty.size + this.agents.dirty.size + this.reviews.dirty.size + this.beadEvents.length + this.notifications.length + this.outbound.length + this.nudges.length > 0;
  }

  private async flushUpdates(t: Table<unknown>) {
    if (t.dirty.size === 0) return;
    // one statement per distinct set of patched columns (a batch has few: metadata; status+updated_at+…)
    const groups = new Map<string, { cols: string[]; rows: Patch[] }>();
    for (const [id, patch] of t.dirty) {
      const keys = Object.keys(patch).sort();
      const sig = keys.join(",");
      let g = groups.get(sig);
      if (!g) groups.set(sig, (g = { cols: keys, rows: [] }));
      const row: Patch = { __id: id };
      for (const k of keys) row[t.map[k].col] = patch[k];
      g.rows.push(row);
    }
    t.dirty.clear();
    for (const { cols, rows } of groups.values()) {
      const specs = cols.map((k) => t.map[k]);
      await this.client.query(
        `UPDATE ${t.table} AS t SET ${specs.map((s) => `${s.col} = v.${s.col}`).join(", ")}
           FROM jsonb_to_recordset($2::jsonb) AS v(__id text, ${specs.map((s) => `${s.col} ${s.type}`).join(", ")})
          WHERE t.town_id = $1 AND t.${t.key} = v.__id`,
        [this.townId, JSON.stringify(rows)],
      );
    }
  }

  private async flushInserts() {
    const [events, notifications, nudges] = [this.beadEvents, this.notifications, this.nudges];
    this.beadEvents = [];
    this.notifications = [];
    this.nudges = [];
    const outbound = this.outbound;
    this.outbound = [];
    await insertOutboundMessages(this.client, this.townId, outbound);
    if (events.length) {
      await this.client.query(
        `INSERT INTO bead_events (town_id, bead_id, agent_id, event_type, old_value, new_value, metadata, created_at, actor_user_id)
         SELECT $1, v.bead_id, v.agent_id, v.event_type, v.old_value, v.new_value, coalesce(v.metadata, '{}'::jsonb), v.created_at, v.actor_user_id
           FROM jsonb_to_recordset($2::jsonb) AS v(bead_id text, agent_id text, event_type text, old_value text, new_value text, metadata jsonb, created_at timestamptz, actor_user_id text)`,
        [
          this.townId,
          JSON.stringify(
            events.map((e) => ({
              bead_id: e.beadId,
              agent_id: e.agentId,
              event_type: e.eventType,
              old_value: e.oldValue,
              new_value: e.newValue,
              metadata: e.metadata ?? {},
              created_at: e.createdAt,
              actor_user_id: e.actorUserId ?? null,
            })),
          ),
        ],
      );
    }
    if (notifications.length) {
      await this.client.query(
        `INSERT INTO notifications (town_id, kind, message, bead_id, event_id, created_at)
         SELECT $1, v.kind, v.message, v.bead_id, v.event_id, v.created_at
           FROM jsonb_to_recordset($2::jsonb) AS v(kind text, message text, bead_id text, event_id text, created_at timestamptz)`,
        [
          this.townId,
          JSON.stringify(notifications.map((n) => ({ kind: n.kind, message: n.message, bead_id: n.beadId, event_id: n.eventId, created_at: n.createdAt }))),
        ],
      );
    }
    if (nudges.length) {
      await this.client.query(
        `INSERT INTO agent_nudges (town_id, agent_bead_id, message, mode, priority, source, created_at, expires_at)
         SELECT $1, v.agent_bead_id, v.message, v.mode, v.priority, v.source, v.created_at, v.expires_at
           FROM jsonb_to_recordset($2::jsonb) AS v(agent_bead_id text, message text, mode text, priority text, source text, created_at timestamptz, expires_at timestamptz)`,
        [
          this.townId,
          JSON.stringify(
            nudges.map((n) => ({
              agent_bead_id: n.agentBeadId,
              message: n.message,
              mode: n.mode,
              priority: n.priority,
              source: n.source,
              created_at: n.createdAt,
              expires_at: n.expiresAt,
            })),
          ),
        ],
      );
    }
  }

  private async cached<T>(t: Table<T>, id: string, load: () => Promise<T | null>): Promise<T | null> {
    if (!t.cache.has(id)) {
      await this.flush();
      t.cache.set(id, await load());
    }
    const hit = t.cache.get(id) ?? null;
    return hit === null ? null : structuredClone(hit);
  }

  private buffer<T>(t: Table<T>, id: string, patch: object) {
    const defined: Patch = {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (!t.map[k]) throw new Error(`PgTownRepo: unknown patch key "${k}"`);
      // A value Postgres would refuse fails here, in the event that wrote it, as PgTownRepo's UPDATE would —
      // not later in the batch's flush, where no single event can be blamed.
      if (t.map[k].type === "timestamptz" && v !== null && outOfTimestampRange(v)) {
        throw new Error(`timestamp out of range: "${v instanceof Date ? v.toISOString() : String(v)}"`);
      }
      defined[k] = v;
    }
    if (Object.keys(defined).length === 0) return;
    t.dirty.set(id, { ...(t.dirty.get(id) ?? {}), ...defined });
    const row = t.cache.get(id);
    if (row) for (const [k, v] of Object.entries(defined)) (row as Patch)[k] = stored(v, t.map[k]);
  }

  // ---- reads answered from the identity map

  getBead(id: string) {
    return this.cached(this.beads, id, () => this.inner.getBead(id));
  }
  getAgent(id: string) {
    return this.cached(this.agents, id, () => this.inner.getAgent(id));
  }
  getReview(mrBeadId: string) {
    return this.cached(this.reviews, mrBeadId, () => this.inner.getReview(mrBeadId));
  }

  // ---- buffered writes

  async updateBead(id: string, patch: BeadPatch) {
    this.buffer(this.beads, id, patch);
    this.agents.cache.delete(id); // an agent's name comes from its bead
  }
  async updateAgent(id: string, patch: AgentPatch) {
    this.buffer(this.agents, id, patch);
  }
  async updateReview(mrBeadId: string, patch: ReviewPatch) {
    this.buffer(this.reviews, mrBeadId, patch);
  }
  async insertBeadEvent(e: BeadEventRecord) {
    this.beadEvents.push(structuredClone(e));
  }
  async insertNudge(n: NewNudge) {
    this.nudges.push(structuredClone(n));
  }
  async insertNotification(n: NewNotification) {
    this.notifications.push(structuredClone(n));
  }
  async insertOutbound(m: OutboundMessage) {
    this.outbound.push(structuredClone(m));
  }

  // ---- everything else: flush, then one statement as PgTownRepo does it

  private async direct<T>(fn: () => Promise<T>): Promise<T> {
    await this.flush();
    return fn();
  }
  getConvoy(convoyBeadId: string) {
    return this.direct(() => this.inner.getConvoy(convoyBeadId));
  }
  getRig(id: string) {
    return this.direct(() => this.inner.getRig(id));
  }
  findMayor() {
    return this.direct(() => this.inner.findMayor());
  }
  findRefinery(rigId: string) {
    return this.direct(() => this.inner.findRefinery(rigId));
  }
  findIdlePolecat(rigId: string) {
    return this.direct(() => this.inner.findIdlePolecat(rigId));
  }
  listAgentsHookedTo(beadId: string) {
    return this.direct(() => this.inner.listAgentsHookedTo(beadId));
  }
  listAgentNames() {
    return this.direct(() => this.inner.listAgentNames());
  }
  listDependencies(beadId: string, type: DependencyType) {
    return this.direct(() => this.inner.listDependencies(beadId, type));
  }
  listDependents(beadId: string, type: DependencyType) {
    return this.direct(() => this.inner.listDependents(beadId, type));
  }
  listMrsTracking(beadId: string) {
    return this.direct(() => this.inner.listMrsTracking(beadId));
  }
  findLatestActiveMrAssignedTo(agentId: string) {
    return this.direct(() => this.inner.findLatestActiveMrAssignedTo(agentId));
  }
  listBeadsAssignedTo(agentId: string) {
    return this.direct(() => this.inner.listBeadsAssignedTo(agentId));
  }
  listActiveBeadsWithLabel(label: string) {
    return this.direct(() => this.inner.listActiveBeadsWithLabel(label));
  }
  updateConvoy(convoyBeadId: string, patch: ConvoyPatch) {
    return this.direct(() => this.inner.updateConvoy(convoyBeadId, patch));
  }
  insertDependency(dep: NewDependency) {
    return this.direct(() => this.inner.insertDependency(dep));
  }
  async insertBead(input: NewBead): Promise<Bead> {
    const bead = await this.direct(() => this.inner.insertBead(input));
    this.beads.cache.set(bead.id, structuredClone(bead));
    this.reviews.cache.delete(bead.id);
    return bead;
  }
  async insertAgent(input: NewAgent): Promise<Agent> {
    const agent = await this.direct(() => this.inner.insertAgent(input));
    this.agents.cache.set(agent.id, structuredClone(agent));
    this.beads.cache.delete(agent.id);
    return agent;
  }
  async deleteAgent(id: string) {
    await this.direct(() => this.inner.deleteAgent(id));
    // the delete cascades (metadata, nudges, dependencies, hooks): forget everything rather than guess
    for (const t of [this.beads, this.agents, this.reviews] as Table<unknown>[]) t.cache.clear();
  }
}
