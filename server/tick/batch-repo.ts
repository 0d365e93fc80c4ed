import { randomUUID } from "node:crypto";
import type { SqlClient } from "../db/pool";
import type { OutboundMessage } from "../domain/notify";
import type { AgentPatch, BeadPatch, ConvoyPatch, NewAgent, NewBead, NewDependency, NewNotification, NewNudge, ReviewPatch, TownRepo } from "../domain/repo";
import { newBeadRow } from "../domain/repo";
import type { Agent, Bead, BeadEventRecord, ConvoyMetadata, DependencyType, Mr, ReviewMetadata, Rig } from "../domain/types";
import { AGENT_PATCH, BEAD_PATCH, CONVOY_PATCH, PgTownRepo, REVIEW_PATCH, type ColumnMap } from "./pg-repo";
import { insertOutboundMessages } from "./outbox";
import { AGENT_COLUMNS, AGENT_FROM, BEAD_COLUMNS, agentFromRow, beadFromRow, convoyFromRow, reviewFromRow } from "./rows";

// The drain's fast path applies a whole batch of events in one transaction (SPEC.md §3b). Done with
// PgTownRepo that costs a round trip for every read and every write of every event — most of a tick's time.
// This repo is a unit of work over the same client and transaction:
//   - `prefetch` reads, in one statement, every bead, agent, review and convoy the batch's events name, the
//     beads those agents are hooked to, the dependencies of all of these in both directions (two hops: an MR,
//     the source it tracks, the source's other MRs and convoys) and every agent hooked to them;
//     getBead/getAgent/getReview/getConvoy, listDependencies/listDependents/listMrsTracking and
//     listAgentsHookedTo then answer from these maps;
//   - updates of beads, agents, reviews and convoys, and inserts of beads (with their review / convoy /
//     escalation rows), dependencies, bead events, notifications, nudges and outbox rows are buffered and
//     written by `flush` in a few set-based statements, in an order that respects the foreign keys (new
//     beads, their satellites, updates, dependencies, then the audit rows);
//   - the maps are kept current as buffered writes land (a patch is applied to the cached row, a new bead or
//     dependency is added to the maps), so every read sees every earlier write: the events of a batch still
//     apply strictly in order, each seeing the ones before it;
//   - a read the maps cannot answer honestly (a bead whose dependencies were never loaded, an agent whose hook
//     moved while it was not cached) flushes, loads that bead's neighbourhood the same way, and answers;
//     the rare rest (names, idle polecats, assigned MRs, labels, new agents, deletes) flush and run on
//     PgTownRepo. Rigs and the town's settings are never written through the port: cached per batch.
// Only the columns a patch names are written (as PgTownRepo does), so concurrent writers of other columns are
// not overwritten. Reads return copies (the domain mutates what it reads), with jsonb values round-tripped
// as the database would. A buffered insert returns the row its INSERT … RETURNING would (ids are made here,
// as PgTownRepo makes them). After a failed batch the caller discards the repo: its cache then describes
// writes that were rolled back. A failing flush throws BatchFlushError, which belongs to no single event.

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

/** One bead_dependencies row as the maps keep it. */
interface Edge {
  beadId: string;
  dependsOnBeadId: string;
  type: DependencyType;
  createdAt: Date;
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
/** A value Postgres would refuse fails in the event that wrote it, as PgTownRepo's statement would — not later
 *  in the batch's flush, where no single event can be blamed. */
function checkTimestamp(v: unknown) {
  if (v !== null && v !== undefined && outOfTimestampRange(v)) {
    throw new Error(`timestamp out of range: "${v instanceof Date ? v.toISOString() : String(v)}"`);
  }
}
const dateOrNull = (v: Date | null | undefined) => (v === null || v === undefined ? null : new Date(v));

function table<T>(map: ColumnMap, name: string, key: string): Table<T> {
  return { cache: new Map(), dirty: new Map(), map, table: name, key };
}

function ids(values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v.length > 0))];
}

/** A deep copy of what the maps hold — plain objects, arrays, Dates and primitives only (rows as the database
 *  returns them) — several times cheaper than structuredClone on the drain's hot path. */
function copy<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(copy) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copy((value as Record<string, unknown>)[key]);
  return out as T;
}

const byCreatedAt = <T extends { createdAt: Date }>(a: T, b: T) => a.createdAt.getTime() - b.createdAt.getTime();

/** What the units of work of one drain share: rigs (never written through the port, so what the drain first
 *  read holds for its whole transaction) and whether the runs so far needed the dependency graph (then the
 *  next run's prefetch loads it at once instead of in a second statement). */
export class DrainMemo {
  readonly rigs = new Map<string, Rig | null>();
  wantsGraph = false;
}

export class BatchTownRepo implements TownRepo {
  private readonly inner: PgTownRepo;
  private readonly beads = table<Bead>(BEAD_PATCH, "beads", "bead_id");
  private readonly agents = table<Agent>(AGENT_PATCH, "agent_metadata", "bead_id");
  private readonly reviews = table<ReviewMetadata>(REVIEW_PATCH, "review_metadata", "bead_id");
  private readonly convoys = table<ConvoyMetadata>(CONVOY_PATCH, "convoy_metadata", "bead_id");
  /** every dependency of the bead (it depends on …), present only when complete */
  private readonly dependsOn = new Map<string, Edge[]>();
  /** every dependency on the bead (… depends on it), present only when complete */
  private readonly dependedOn = new Map<string, Edge[]>();
  /** beads every hooked agent of which is in the agent map (listAgentsHookedTo answers by scanning it) */
  private readonly hookComplete = new Set<string>();
  /** the mayor's id once asked (undefined: not known yet) */
  private mayorId: string | null | undefined = undefined;
  /** what `prefetch` was asked for, until the first read that needs the graph around it */
  private named: { beadIds: string[]; agentIds: string[] } | null = null;
  private newBeads: Record<string, unknown>[] = [];
  private newReviews: Record<string, unknown>[] = [];
  private newConvoys: Record<string, unknown>[] = [];
  private newEscalations: Record<string, unknown>[] = [];
  private newDependencies: Edge[] = [];
  private readonly pendingPairs = new Set<string>();
  private beadEvents: BeadEventRecord[] = [];
  private notifications: NewNotification[] = [];
  private outbound: OutboundMessage[] = [];
  private nudges: NewNudge[] = [];

  private readonly client: SqlClient;
  /** undo steps of the current event's changes to the maps (null outside beginEvent/endEvent) */
  private journal: (() => void)[] | null = null;
  /** lengths of the insert buffers when the current event began */
  private marks: number[] = [];
  /** the current event reached the database (a flush or a direct write ran, or a statement failed): its
   *  changes can no longer be undone in memory */
  private tainted = false;

  constructor(
    client: SqlClient,
    readonly townId: string,
    private readonly memo: DrainMemo = new DrainMemo(),
  ) {
    // a failed statement aborts the transaction: only a savepoint rollback recovers from that
    this.client = {
      query: (async (...args: Parameters<SqlClient["query"]>) => {
        try {
          return await client.query(...args);
        } catch (err) {
          this.tainted = true;
          throw err;
        }
      }) as SqlClient["query"],
    };
    this.inner = new PgTownRepo(this.client, townId);
  }

  private lists(): unknown[][] {
    return [this.newBeads, this.newReviews, this.newConvoys, this.newEscalations, this.newDependencies, this.beadEvents, this.notifications, this.outbound, this.nudges];
  }

  /** Starts recording one event's changes so that `undoEvent` can take them back. */
  beginEvent(): void {
    this.journal = [];
    this.marks = this.lists().map((l) => l.length);
    this.tainted = false;
  }
  endEvent(): void {
    this.journal = null;
  }
  /** Takes back what the current event buffered — as if it had run in its own savepoint that was rolled back —
   *  and returns true; false when it cannot (the event reached the database: the caller rolls back instead). */
  undoEvent(): boolean {
    const journal = this.journal;
    this.journal = null;
    if (!journal || this.tainted) return false;
    for (let i = journal.length - 1; i >= 0; i--) journal[i]();
    this.lists().forEach((l, i) => (l.length = this.marks[i]));
    return true;
  }
  private undo(step: () => void) {
    this.journal?.push(step);
  }

  /** Loads the rows the events name (ids from the event envelope and the usual payload keys) in one statement.
   *  Their dependencies and hooked agents are loaded by the first read that needs them (`load` with the graph),
   *  for all of them at once: a batch that never asks (the light mix) does not pay for them. */
  async prefetch(events: { beadId: string | null; agentId: string | null; payload: unknown }[]): Promise<void> {
    const beadIds: unknown[] = [];
    const agentIds: unknown[] = [];
    for (const e of events) {
      const p = (e.payload ?? {}) as Record<string, unknown>;
      beadIds.push(e.beadId, p.mr_bead_id, p.bead_id, p.convoy_id);
      agentIds.push(e.agentId, p.agent_id);
    }
    this.named = { beadIds: ids(beadIds), agentIds: ids(agentIds) };
    const graph = this.memo.wantsGraph;
    await this.load(this.named.beadIds, this.named.agentIds, graph);
    if (graph) this.named = null;
  }

  /**
   * One statement: the named agents; the named beads and the beads those agents are hooked to (w), with their
   * reviews and convoys. With `graph`, also every dependency touching them and the beads at the other end (n1); every dependency touching n1 and the beads
   * at its other end (n2); the reviews and convoys of n2; every agent hooked to a bead of n1. For n1 the
   * dependency lists (both directions) and the hooked agents are then complete. Flushes first, so what it
   * reads includes every buffered write; rows already in the maps are kept (they equal what it reads).
   */
  private async load(beadIds: string[], agentIds: string[], graph: boolean): Promise<void> {
    if (beadIds.length === 0 && agentIds.length === 0) return;
    await this.flush();
    // id sets travel as arrays joined through unnest: the planner then probes the indexes row by row instead
    // of hashing the town's whole tables on a guessed set size (or comparing every row with a long array)
    const { rows } = await this.client.query(
      !graph
        ? `WITH w AS (SELECT array(SELECT unnest($2::text[]) UNION
                                   SELECT m.current_hook_bead_id FROM agent_metadata m
                                    WHERE m.town_id = $1 AND m.bead_id = ANY($3::text[]) AND m.current_hook_bead_id IS NOT NULL) AS ids)
           SELECT (SELECT coalesce(json_agg(a), '[]') FROM (SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.bead_id = ANY($3::text[])) a) AS agents,
                  (SELECT coalesce(json_agg(x), '[]') FROM (SELECT ${BEAD_COLUMNS} FROM unnest((SELECT ids FROM w)) x(id) JOIN beads b ON b.bead_id = x.id WHERE b.town_id = $1) x) AS beads,
                  (SELECT coalesce(json_agg(r), '[]') FROM unnest((SELECT ids FROM w)) x(id) JOIN review_metadata r ON r.bead_id = x.id WHERE r.town_id = $1) AS reviews,
                  (SELECT coalesce(json_agg(c), '[]') FROM unnest((SELECT ids FROM w)) x(id) JOIN convoy_metadata c ON c.bead_id = x.id WHERE c.town_id = $1) AS convoys,
                  '[]'::json AS edges, '{}'::text[] AS complete, (SELECT ids FROM w) AS known`
        :       `WITH w AS (SELECT array(SELECT unnest($2::text[]) UNION
                               SELECT m.current_hook_bead_id FROM agent_metadata m
                                WHERE m.town_id = $1 AND m.bead_id = ANY($3::text[]) AND m.current_hook_bead_id IS NOT NULL) AS ids),
            e1 AS (SELECT d.bead_id, d.depends_on_bead_id FROM unnest((SELECT ids FROM w)) x(id) JOIN bead_dependencies d ON d.bead_id = x.id WHERE d.town_id = $1
                   UNION SELECT d.bead_id, d.depends_on_bead_id FROM unnest((SELECT ids FROM w)) x(id) JOIN bead_dependencies d ON d.depends_on_bead_id = x.id WHERE d.town_id = $1),
            n1 AS (SELECT array(SELECT unnest(ids) FROM w UNION SELECT bead_id FROM e1 UNION SELECT depends_on_bead_id FROM e1) AS ids),
            e2 AS (SELECT d.bead_id, d.depends_on_bead_id, d.dependency_type, d.created_at
                     FROM unnest((SELECT ids FROM n1)) x(id) JOIN bead_dependencies d ON d.bead_id = x.id WHERE d.town_id = $1
                   UNION SELECT d.bead_id, d.depends_on_bead_id, d.dependency_type, d.created_at
                     FROM unnest((SELECT ids FROM n1)) x(id) JOIN bead_dependencies d ON d.depends_on_bead_id = x.id WHERE d.town_id = $1),
            n2 AS (SELECT array(SELECT unnest(ids) FROM n1 UNION SELECT bead_id FROM e2 UNION SELECT depends_on_bead_id FROM e2) AS ids)
       SELECT (SELECT coalesce(json_agg(a), '[]') FROM (
                 SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.bead_id = ANY($3::text[])
                 UNION ALL
                 SELECT ${AGENT_COLUMNS} FROM unnest((SELECT ids FROM n1)) x(id) JOIN ${AGENT_FROM} ON m.current_hook_bead_id = x.id
                  WHERE m.town_id = $1 AND NOT (m.bead_id = ANY($3::text[]))) a) AS agents,
              (SELECT coalesce(json_agg(x), '[]') FROM (SELECT ${BEAD_COLUMNS} FROM unnest((SELECT ids FROM n2)) x(id) JOIN beads b ON b.bead_id = x.id WHERE b.town_id = $1) x) AS beads,
              (SELECT coalesce(json_agg(r), '[]') FROM unnest((SELECT ids FROM n2)) x(id) JOIN review_metadata r ON r.bead_id = x.id WHERE r.town_id = $1) AS reviews,
              (SELECT coalesce(json_agg(c), '[]') FROM unnest((SELECT ids FROM n2)) x(id) JOIN convoy_metadata c ON c.bead_id = x.id WHERE c.town_id = $1) AS convoys,
              (SELECT coalesce(json_agg(e2 ORDER BY e2.created_at), '[]') FROM e2) AS edges,
              (SELECT ids FROM n1) AS complete,
              (SELECT ids FROM n2) AS known`,
      [this.townId, beadIds, agentIds],
    );
    const r = rows[0];
    const keep = <T>(t: Table<T>, id: string, row: T | null) => {
      if (!t.cache.has(id)) t.cache.set(id, row);
    };
    for (const b of (r.beads as Record<string, unknown>[]).map(beadFromRow)) keep(this.beads, b.id, b);
    for (const v of (r.reviews as Record<string, unknown>[]).map(reviewFromRow)) keep(this.reviews, v.beadId, v);
    for (const c of (r.convoys as Record<string, unknown>[]).map(convoyFromRow)) keep(this.convoys, c.beadId, c);
    for (const a of (r.agents as Record<string, unknown>[]).map(agentFromRow)) keep(this.agents, a.id, a);
    for (const id of r.known as string[]) {
      keep(this.beads, id, null);
      keep(this.reviews, id, null);
      keep(this.convoys, id, null);
    }
    for (const id of agentIds) keep(this.agents, id, null);
    const freshOut = new Set<string>();
    const freshIn = new Set<string>();
    for (const id of r.complete as string[]) {
      this.hookComplete.add(id);
      if (!this.dependsOn.has(id)) {
        this.dependsOn.set(id, []);
        freshOut.add(id);
      }
      if (!this.dependedOn.has(id)) {
        this.dependedOn.set(id, []);
        freshIn.add(id);
      }
    }
    for (const e of r.edges as Record<string, unknown>[]) {
      const edge: Edge = {
        beadId: e.bead_id as string,
        dependsOnBeadId: e.depends_on_bead_id as string,
        type: e.dependency_type as DependencyType,
        createdAt: new Date(e.created_at as string),
      };
      if (freshOut.has(edge.beadId)) this.dependsOn.get(edge.beadId)!.push(edge);
      if (freshIn.has(edge.dependsOnBeadId)) this.dependedOn.get(edge.dependsOnBeadId)!.push(edge);
    }
  }

  /** Writes every buffered insert and update. */
  async flush(): Promise<void> {
    if (!this.hasPending()) return;
    this.tainted = true;
    try {
      await this.flushNewBeads();
      for (const t of [this.beads, this.agents, this.reviews, this.convoys] as Table<unknown>[]) await this.flushUpdates(t);
      await this.flushInserts();
    } catch (err) {
      throw new BatchFlushError(err);
    }
  }

  /** Forgets everything (after a rollback). */
  discard(): void {
    this.forgetRows();
    for (const t of [this.beads, this.agents, this.reviews, this.convoys] as Table<unknown>[]) t.dirty.clear();
    this.named = null;
    this.newBeads = [];
    this.newReviews = [];
    this.newConvoys = [];
    this.newEscalations = [];
    this.newDependencies = [];
    this.pendingPairs.clear();
    this.beadEvents = [];
    this.notifications = [];
    this.outbound = [];
    this.nudges = [];
  }

  private forgetRows() {
    for (const t of [this.beads, this.agents, this.reviews, this.convoys] as Table<unknown>[]) t.cache.clear();
    this.dependsOn.clear();
    this.dependedOn.clear();
    this.hookComplete.clear();
    this.mayorId = undefined;
  }

  private hasPending(): boolean {
    return (
      this.newBeads.length + this.newDependencies.length + this.beadEvents.length + this.notifications.length + this.outbound.length + this.nudges.length > 0 ||
      this.beads.dirty.size + this.agents.dirty.size + this.reviews.dirty.size + this.convoys.dirty.size > 0
    );
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

  /** New beads and their satellite rows, before any update (which may patch them) or dependency (which
   *  references them). One INSERT per table; a parent inserted in the same statement satisfies its foreign key,
   *  which Postgres checks at the end of the statement. */
  private async flushNewBeads() {
    const [beads, reviews, convoys, escalations] = [this.newBeads, this.newReviews, this.newConvoys, this.newEscalations];
    this.newBeads = [];
    this.newReviews = [];
    this.newConvoys = [];
    this.newEscalations = [];
    if (beads.length) {
      await this.client.query(
        `INSERT INTO beads (bead_id, town_id, type, status, title, body, rig_id, parent_bead_id, assignee_agent_bead_id, priority,
                            labels, metadata, created_by, created_at, updated_at)
         SELECT v.bead_id, $1, v.type, v.status, v.title, v.body, v.rig_id, v.parent_bead_id, v.assignee_agent_bead_id, v.priority,
                v.labels, v.metadata, v.created_by, v.created_at, v.created_at
           FROM jsonb_to_recordset($2::jsonb) AS v(bead_id text, type text, status text, title text, body text, rig_id text, parent_bead_id text,
                assignee_agent_bead_id text, priority text, labels jsonb, metadata jsonb, created_by text, created_at timestamptz)`,
        [this.townId, JSON.stringify(beads)],
      );
    }
    if (reviews.length) {
      await this.client.query(
        `INSERT INTO review_metadata (bead_id, town_id, branch, target_branch, merge_commit, pr_url, retry_count, auto_merge_ready_since, last_feedback_check_at)
         SELECT v.bead_id, $1, v.branch, v.target_branch, v.merge_commit, v.pr_url, v.retry_count, v.auto_merge_ready_since, v.last_feedback_check_at
           FROM jsonb_to_recordset($2::jsonb) AS v(bead_id text, branch text, target_branch text, merge_commit text, pr_url text, retry_count int,
                auto_merge_ready_since timestamptz, last_feedback_check_at timestamptz)`,
        [this.townId, JSON.stringify(reviews)],
      );
    }
    if (convoys.length) {
      await this.client.query(
        `INSERT INTO convoy_metadata (bead_id, town_id, total_beads, closed_beads, landed_at, feature_branch, merge_mode, staged, ready_to_land)
         SELECT v.bead_id, $1, v.total_beads, v.closed_beads, v.landed_at, v.feature_branch, v.merge_mode, v.staged, v.ready_to_land
           FROM jsonb_to_recordset($2::jsonb) AS v(bead_id text, total_beads int, closed_beads int, landed_at timestamptz, feature_branch text,
                merge_mode text, staged boolean, ready_to_land boolean)`,
        [this.townId, JSON.stringify(convoys)],
      );
    }
    if (escalations.length) {
      await this.client.query(
        `INSERT INTO escalation_metadata (bead_id, town_id, severity, category, acknowledged, re_escalation_count, acknowledged_at)
         SELECT v.bead_id, $1, v.severity, v.category, v.acknowledged, v.re_escalation_count, v.acknowledged_at
           FROM jsonb_to_recordset($2::jsonb) AS v(bead_id text, severity text, category text, acknowledged boolean, re_escalation_count int,
                acknowledged_at timestamptz)`,
        [this.townId, JSON.stringify(escalations)],
      );
    }
  }

  private async flushInserts() {
    const [deps, events, notifications, nudges, outbound] = [this.newDependencies, this.beadEvents, this.notifications, this.nudges, this.outbound];
    this.newDependencies = [];
    this.pendingPairs.clear();
    this.beadEvents = [];
    this.notifications = [];
    this.nudges = [];
    this.outbound = [];
    if (deps.length) {
      // insert-or-ignore like PgTownRepo's; the buffer holds each ordered pair once (the first), so the
      // first type wins within the batch too
      await this.client.query(
        `INSERT INTO bead_dependencies (town_id, bead_id, depends_on_bead_id, dependency_type, created_at)
         SELECT $1, v.bead_id, v.depends_on_bead_id, v.dependency_type, v.created_at
           FROM jsonb_to_recordset($2::jsonb) AS v(bead_id text, depends_on_bead_id text, dependency_type text, created_at timestamptz)
         ON CONFLICT DO NOTHING`,
        [this.townId, JSON.stringify(deps.map((d) => ({ bead_id: d.beadId, depends_on_bead_id: d.dependsOnBeadId, dependency_type: d.type, created_at: d.createdAt })))],
      );
    }
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
    return hit === null ? null : copy(hit);
  }

  private buffer<T>(t: Table<T>, id: string, patch: object): Patch {
    const defined: Patch = {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (!t.map[k]) throw new Error(`PgTownRepo: unknown patch key "${k}"`);
      if (t.map[k].type === "timestamptz") checkTimestamp(v);
      defined[k] = v;
    }
    if (Object.keys(defined).length === 0) return defined;
    const before = t.dirty.get(id);
    t.dirty.set(id, { ...(before ?? {}), ...defined });
    this.undo(() => (before ? t.dirty.set(id, before) : t.dirty.delete(id)));
    const row = t.cache.get(id) as Patch | null | undefined;
    if (row) {
      const previous: Patch = {};
      for (const [k, v] of Object.entries(defined)) {
        previous[k] = row[k];
        row[k] = stored(v, t.map[k]);
      }
      this.undo(() => Object.assign(row, previous));
    }
    return defined;
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
  getConvoy(convoyBeadId: string) {
    return this.cached(this.convoys, convoyBeadId, () => this.inner.getConvoy(convoyBeadId));
  }
  /** Rigs and the town's settings are not written through the port: what the drain first read holds for it. */
  async getRig(id: string) {
    const rigs = this.memo.rigs;
    if (!rigs.has(id)) rigs.set(id, await this.inner.getRig(id));
    const rig = rigs.get(id) ?? null;
    return rig === null ? null : copy(rig);
  }
  async findMayor() {
    if (this.mayorId === undefined) {
      await this.flush();
      const mayor = await this.inner.findMayor();
      this.mayorId = mayor?.id ?? null;
      if (mayor && !this.agents.cache.has(mayor.id)) this.agents.cache.set(mayor.id, mayor);
    }
    return this.mayorId === null ? null : this.getAgent(this.mayorId);
  }

  /** The beads at the other end of the bead's dependencies of this type, or null when the maps cannot say. */
  private edgeBeads(edges: Edge[] | undefined, type: DependencyType, other: (e: Edge) => string): Bead[] | null {
    if (!edges) return null;
    const out: Bead[] = [];
    for (const e of edges.filter((x) => x.type === type).sort(byCreatedAt)) {
      const bead = this.beads.cache.get(other(e));
      if (!bead) return null;
      out.push(bead);
    }
    return copy(out);
  }

  /** Answers from the maps, else loads the bead's neighbourhood (after a flush) and answers again, else asks SQL. */
  private async fromMaps<T>(beadId: string, answer: () => T | null, fallback: () => Promise<T>): Promise<T> {
    const first = answer();
    if (first !== null) return first;
    // the first miss loads the graph around every bead the batch names (and this one); later misses, this one's
    const named = this.named;
    this.named = null;
    this.memo.wantsGraph = true;
    await this.load(named ? [...named.beadIds, beadId] : [beadId], named?.agentIds ?? [], true);
    return answer() ?? (await this.direct(fallback));
  }

  listDependencies(beadId: string, type: DependencyType) {
    return this.fromMaps(
      beadId,
      () => this.edgeBeads(this.dependsOn.get(beadId), type, (e) => e.dependsOnBeadId),
      () => this.inner.listDependencies(beadId, type),
    );
  }
  listDependents(beadId: string, type: DependencyType) {
    return this.fromMaps(
      beadId,
      () => this.edgeBeads(this.dependedOn.get(beadId), type, (e) => e.beadId),
      () => this.inner.listDependents(beadId, type),
    );
  }
  listMrsTracking(beadId: string) {
    return this.fromMaps(
      beadId,
      () => {
        const edges = this.dependedOn.get(beadId);
        if (!edges) return null;
        const out: Mr[] = [];
        for (const e of edges) {
          if (e.type !== "tracks") continue;
          const bead = this.beads.cache.get(e.beadId);
          if (!bead) return null;
          if (bead.type !== "merge_request") continue;
          const review = this.reviews.cache.get(e.beadId);
          if (review === undefined) return null;
          if (review) out.push({ bead, review });
        }
        return copy(out.sort((a, b) => byCreatedAt(a.bead, b.bead)));
      },
      () => this.inner.listMrsTracking(beadId),
    );
  }
  listAgentsHookedTo(beadId: string) {
    return this.fromMaps(
      beadId,
      () => {
        if (!this.hookComplete.has(beadId)) return null;
        const out: Agent[] = [];
        for (const a of this.agents.cache.values()) if (a && a.currentHookBeadId === beadId) out.push(a);
        return copy(out);
      },
      () => this.inner.listAgentsHookedTo(beadId),
    );
  }

  // ---- buffered writes

  async updateBead(id: string, patch: BeadPatch) {
    const written = this.buffer(this.beads, id, patch);
    // an agent's name is its bead's title
    const agent = this.agents.cache.get(id);
    if (agent && typeof written.title === "string") {
      const name = agent.name;
      agent.name = written.title;
      this.undo(() => (agent.name = name));
    }
  }
  async updateAgent(id: string, patch: AgentPatch) {
    const written = this.buffer(this.agents, id, patch);
    // hooked to a bead while not in the map: the map no longer knows every agent hooked to that bead
    const hook = written.currentHookBeadId;
    if (typeof hook === "string" && !this.agents.cache.get(id) && this.hookComplete.delete(hook)) this.undo(() => this.hookComplete.add(hook));
  }
  async updateReview(mrBeadId: string, patch: ReviewPatch) {
    this.buffer(this.reviews, mrBeadId, patch);
  }
  async updateConvoy(convoyBeadId: string, patch: ConvoyPatch) {
    this.buffer(this.convoys, convoyBeadId, patch);
  }

  async insertBead(input: NewBead): Promise<Bead> {
    checkTimestamp(input.createdAt);
    const id = randomUUID();
    const bead = newBeadRow(id, this.townId, input);
    let review: ReviewMetadata | null = null;
    let convoy: ConvoyMetadata | null = null;
    if (input.review) {
      const r = input.review;
      checkTimestamp(r.autoMergeReadySince);
      checkTimestamp(r.lastFeedbackCheckAt);
      review = {
        beadId: id,
        townId: this.townId,
        branch: r.branch,
        targetBranch: r.targetBranch,
        mergeCommit: r.mergeCommit ?? null,
        prUrl: r.prUrl ?? null,
        retryCount: r.retryCount,
        autoMergeReadySince: dateOrNull(r.autoMergeReadySince),
        lastFeedbackCheckAt: dateOrNull(r.lastFeedbackCheckAt),
      };
    }
    if (input.convoy) {
      const c = input.convoy;
      checkTimestamp(c.landedAt);
      convoy = {
        beadId: id,
        townId: this.townId,
        totalBeads: c.totalBeads,
        closedBeads: c.closedBeads,
        landedAt: dateOrNull(c.landedAt),
        featureBranch: c.featureBranch ?? null,
        mergeMode: c.mergeMode ?? null,
        staged: c.staged,
        readyToLand: c.readyToLand,
      };
    }
    if (input.escalation) checkTimestamp(input.escalation.acknowledgedAt);

    this.newBeads.push({
      bead_id: id,
      type: bead.type,
      status: bead.status,
      title: bead.title,
      body: bead.body,
      rig_id: bead.rigId,
      parent_bead_id: bead.parentBeadId,
      assignee_agent_bead_id: bead.assigneeAgentBeadId,
      priority: bead.priority,
      labels: bead.labels,
      metadata: bead.metadata,
      created_by: bead.createdBy,
      created_at: bead.createdAt,
    });
    if (review) {
      this.newReviews.push({
        bead_id: id,
        branch: review.branch,
        target_branch: review.targetBranch,
        merge_commit: review.mergeCommit,
        pr_url: review.prUrl,
        retry_count: review.retryCount,
        auto_merge_ready_since: review.autoMergeReadySince,
        last_feedback_check_at: review.lastFeedbackCheckAt,
      });
    }
    if (convoy) {
      this.newConvoys.push({
        bead_id: id,
        total_beads: convoy.totalBeads,
        closed_beads: convoy.closedBeads,
        landed_at: convoy.landedAt,
        feature_branch: convoy.featureBranch,
        merge_mode: convoy.mergeMode,
        staged: convoy.staged,
        ready_to_land: convoy.readyToLand,
      });
    }
    if (input.escalation) {
      const e = input.escalation;
      this.newEscalations.push({
        bead_id: id,
        severity: e.severity,
        category: e.category,
        acknowledged: e.acknowledged,
        re_escalation_count: e.reEscalationCount,
        acknowledged_at: e.acknowledgedAt,
      });
    }
    // a new bead: no dependencies yet, nobody hooked to it
    this.beads.cache.set(id, bead);
    this.reviews.cache.set(id, review);
    this.convoys.cache.set(id, convoy);
    this.dependsOn.set(id, []);
    this.dependedOn.set(id, []);
    this.hookComplete.add(id);
    this.undo(() => {
      for (const t of [this.beads, this.reviews, this.convoys] as Table<unknown>[]) t.cache.delete(id);
      this.dependsOn.delete(id);
      this.dependedOn.delete(id);
      this.hookComplete.delete(id);
    });
    return copy(bead);
  }

  async insertDependency(dep: NewDependency) {
    checkTimestamp(dep.createdAt);
    const pair = `${dep.beadId}\u0000${dep.dependsOnBeadId}`;
    if (this.pendingPairs.has(pair)) return; // already buffered: the first one wins, as ON CONFLICT DO NOTHING
    const from = this.dependsOn.get(dep.beadId);
    const to = this.dependedOn.get(dep.dependsOnBeadId);
    // either complete list tells whether the pair exists already (then the insert is ignored)
    if (from?.some((e) => e.dependsOnBeadId === dep.dependsOnBeadId)) return;
    if (to?.some((e) => e.beadId === dep.beadId)) return;
    const edge: Edge = { beadId: dep.beadId, dependsOnBeadId: dep.dependsOnBeadId, type: dep.dependencyType, createdAt: new Date(dep.createdAt) };
    this.pendingPairs.add(pair);
    this.newDependencies.push(edge);
    from?.push(edge);
    to?.push(edge);
    this.undo(() => {
      this.pendingPairs.delete(pair);
      for (const list of [from, to]) if (list) list.splice(list.lastIndexOf(edge), 1);
    });
    // neither list known: neither needs the edge (a later load flushes it first)
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
  findRefinery(rigId: string) {
    return this.direct(() => this.inner.findRefinery(rigId));
  }
  findIdlePolecat(rigId: string) {
    return this.direct(() => this.inner.findIdlePolecat(rigId));
  }
  listAgentNames() {
    return this.direct(() => this.inner.listAgentNames());
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
  async insertAgent(input: NewAgent): Promise<Agent> {
    this.tainted = true;
    const agent = await this.direct(() => this.inner.insertAgent(input));
    this.agents.cache.set(agent.id, structuredClone(agent));
    this.beads.cache.delete(agent.id);
    if (input.role === "mayor" && this.mayorId === null) this.mayorId = agent.id;
    return agent;
  }
  async deleteAgent(id: string) {
    this.tainted = true;
    await this.direct(() => this.inner.deleteAgent(id));
    // the delete cascades (metadata, nudges, dependencies, hooks): forget every row rather than guess
    this.forgetRows();
  }
}
