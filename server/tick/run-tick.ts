import { randomUUID } from "node:crypto";
import type pg from "pg";
import { actionTarget, hasSideEffect, type Action } from "../domain/actions";
import { checkInvariants, type Violation } from "../domain/invariants";
import { outbound } from "../domain/notify";
import { evaluateCircuitBreaker } from "../domain/rules/circuit-breaker";
import { reconcileDetailed } from "../domain/reconcile";
import { applyStateAction, type DispatchResolution } from "../domain/state-actions";
import type { TownConfig } from "../domain/settings";
import type { World } from "../domain/types";
import type { AgentRuntime, AgentStartSpec } from "../adapters/agent-runtime/types";
import type { TownRef } from "../adapters/github/tenancy";
import type { SqlClient } from "../db/pool";
import { drainEvents } from "./drain";
import { insertOutboundMessages } from "./outbox";
import { loadWorld, loadWorldSnapshot, type WorldSnapshot } from "./load-world";
import { PgTownRepo } from "./pg-repo";
import { BatchTownRepo } from "./batch-repo";
import { buildSideEffect, type SideEffectJob } from "./side-effects";
import { TickTx } from "./tx";
import { dispatchSpec } from "./dispatch-spec";
import { housekeeping } from "./housekeeping";
import { townRedactor } from "../secrets/town-secrets";
import { lazyRedactor } from "../secrets/redact";
import type { RecordedAction, SideEffectOutcome, TickDeps, TickOptions, TickReport, TickSummary } from "./types";
import { observe, runSideEffects, type ObservedAgent } from "./outside-phases";
import { reportError, tickLog } from "./report";

// One tick of one town (SPEC.md §3b, DOMAIN.md §5.2):
//   lease → observe → drain → load world → reconcile → apply state actions (from-guarded, one savepoint
//   each) → commit → side effects (concurrent, isolated, writing only events) → invariants → record →
//   housekeeping → next due time, lease released.
// Cost is flat in the town's size and tiny when nothing happens (the idle fast path of §3b, issue 7): the
// lease claim also returns the town config, the agents to observe and the pending count; the world is one
// statement and also yields the pending count and the activity for the next due time; no transaction is
// opened when there is nothing to apply; housekeeping is one statement; the last update releases the lease.
// An idle town costs 4 statements.
// `now` is a parameter: nothing below reads the clock for a decision. A dry run does drain + reconcile +
// apply inside one transaction that is always rolled back and never runs a side effect.

export type { RecordedAction, SideEffectOutcome, TickDeps, TickOptions, TickReport, TickSummary } from "./types";
export { SIDE_EFFECT_TIMEOUT_MS } from "./outside-phases";

export const ACTIVE_INTERVAL_MS = 5_000;
export const IDLE_INTERVAL_MS = 60_000;
const DEFAULT_LEASE_MS = 60_000;

/** What the lease claim returns with it, in the same statement. */
interface Claim {
  townConfig: TownConfig;
  /** the town id and its owner's email, for the shared-token policy */
  town: TownRef;
  /** `working`/`stalled` agents with the runtime each was started on, for the observation pre-phase */
  observe: ObservedAgent[];
  pendingEvents: number;
}

/** Claims the town's tick lease (null when another caller holds an unexpired one), reading in the same
 *  statement what the tick needs before its drain. */
async function claimTick(client: SqlClient, townId: string, owner: string, now: Date, leaseMs: number): Promise<Claim | null> {
  const { rows } = await client.query(
    `UPDATE towns SET tick_lease_owner = $2, tick_lease_until = $3 WHERE id = $1 AND tick_lease_until < $4
     RETURNING (SELECT config FROM town_settings WHERE town_id = $1) AS config,
               (SELECT email FROM users WHERE users.id = towns.owner_user_id) AS owner_email,
               (SELECT coalesce(json_agg(json_build_object('id', bead_id, 'runtime', runtime_name)), '[]') FROM agent_metadata WHERE town_id = $1 AND (status IN ('working', 'stalled') OR (role = 'mayor' AND status = 'waiting'))) AS observe,
               (SELECT count(*)::int FROM town_events
                 WHERE town_id = $1 AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL) AS pending`,
    [townId, owner, new Date(now.getTime() + leaseMs), now],
  );
  if (!rows[0]) return null;
  return {
    townConfig: (rows[0].config ?? {}) as TownConfig,
    town: { id: townId, ownerEmail: (rows[0].owner_email as string | null) ?? null },
    observe: rows[0].observe as ObservedAgent[], pendingEvents: Number(rows[0].pending) };
}

export async function runTick(deps: TickDeps, townId: string, options: TickOptions): Promise<TickReport | null> {
  if (options.dryRun) return dryRunTick(deps, townId, options);
  const started = performance.now();
  const now = options.now;
  // The tick's id: in its lease owner, on its log lines and on its record in `ticks` (when it records one).
  const tickId = randomUUID();
  const owner = `${deps.instanceId}:${tickId}`;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const claim = await claimTick(deps.pool, townId, owner, now, leaseMs);
  if (!claim) return null;
  const log = tickLog(deps).child({ town_id: townId, tick_id: tickId });
  deps = { ...deps, log };
  // Every text from outside that this tick stores or returns (runtime and GitHub answers, apply errors, the
  // tick record) passes the town's redactor (SPEC.md §5).
  // Built on first use: an idle tick stores and returns no outside text, and pays nothing for it.
  const secrets = lazyRedactor(() => townRedactor(townId, claim.townConfig));

  // The lease outlives a slow tick (observe and side effects may each take SIDE_EFFECT_TIMEOUT_MS): it is
  // renewed every third of its length, in the tick's own time line (`now` + elapsed), and only while it
  // is still ours. A lost lease is reported; the final update then writes nothing. The timer runs only
  // when the tick has an outside call or a drain ahead of it (an idle tick is four short statements; the
  // side effects renew around themselves below).
  const renewer = new LeaseRenewer(deps, townId, owner, () => new Date(now.getTime() + (performance.now() - started) + leaseMs));
  let renewTimer: ReturnType<typeof setInterval> | undefined;
  if (claim.observe.length > 0 || claim.pendingEvents > 0) {
    renewTimer = setInterval(() => void renewer.renew(), Math.max(10, Math.floor(leaseMs / 3)));
    renewTimer.unref?.();
  }

  let released = false;
  try {
    const townConfig = claim.townConfig;
    const town = claim.town;
    const runtime = safeRuntime(deps, townConfig);
    const observed = await observe(deps, runtime, townId, now, claim.observe);

    const client = await deps.pool.connect();
    let drain: Awaited<ReturnType<typeof drainEvents>>;
    let state: StateResult;
    try {
      const tx = new TickTx(client, false);
      // Nothing was pending at the claim and observe queued nothing: no drain. (An event enqueued in between
      // made the town due; it is drained next tick, as SPEC.md §3b allows for late events.)
      drain =
        claim.pendingEvents + observed > 0
          ? await drainEvents(tx, townId, now, { apply: deps.applyEvent, maxEvents: options.maxEvents, redact: secrets.text })
          : { drained: 0, poisoned: [], failed: 0, actions: [], emittedBy: new Map() };
      await deps.onPhase?.("drained");
      try {
        state = await statePhase(deps, tx, town, townConfig, now, drain.actions, drain.emittedBy);
      } catch (err) {
        // The drain already committed: its events are applied. The stops they asked for (a cancelled bead's
        // agent) need no state, so they still run; everything else is decided again next tick.
        reportError(deps, err, { town_id: townId, phase: "state" }, "state phase failed; the drained events' stops still run");
        state = await stateFailedFallback(deps, client, town, townConfig, now, drain.actions, drain.emittedBy, err);
      }
    } finally {
      client.release();
    }
    for (const p of drain.poisoned) {
      reportError(deps, p.cause ?? new Error(p.error), { town_id: townId, event_id: p.eventId, event_type: p.eventType, poison_reason: p.reason }, "event poisoned");
    }

    await deps.onPhase?.("state_applied");
    // Around the side effects (up to 30 s each) the lease is renewed; an idle tick has none and pays nothing
    // (the timer covers a slow drain or state phase).
    let outcomes: SideEffectOutcome[] = [];
    if (state.jobs.length > 0) {
      await renewer.renew();
      outcomes = await runSideEffects(deps, townId, state.jobs, runtime, now, secrets);
      await renewer.renew();
    }
    const somethingHappened = drain.drained + drain.poisoned.length + drain.failed + state.recorded.length > 0;
    // The state phase's world already shows the drained events; only applied actions (and the side effects
    // they ran) change it again, and then it is loaded anew.
    let latest: WorldSnapshot | null = state.snapshot;
    let violations: Violation[] = [];
    try {
      if (!latest || state.recorded.length > 0) latest = await loadWorldSnapshot(deps.pool, townId, now);
      violations = checkInvariants(latest.world);
    } catch (err) {
      reportError(deps, err, { town_id: townId, phase: "invariants" }, "invariant check failed");
    }

    const pending = latest ? latest.pendingEvents : 1; // unknown: look again soon
    const active = latest ? hasActiveWork(latest.world) : true;
    const nextDue = pending > 0 ? now : new Date(now.getTime() + (active ? ACTIVE_INTERVAL_MS : IDLE_INTERVAL_MS));
    const raw = buildReport(townId, drain, state, outcomes, violations, pending, started, false);
    // Only a tick that did something carries outside text (apply errors, runtime and GitHub answers).
    const report = somethingHappened || outcomes.length > 0 ? secrets.deep(raw) : raw;
    if (somethingHappened || violations.length > 0) await recordTick(deps.pool, tickId, report, now);
    // One line per tick that did something (info), or per idle one at debug: the summary of SPEC.md §4.2.
    log[somethingHappened || violations.length > 0 ? "info" : "debug"]({ ...summaryOf(report), townId: undefined }, "tick");
    await housekeeping(deps, townId, latest?.world ?? state.world, now);
    clearInterval(renewTimer);
    // Next due time, metrics and the lease release in one statement, only while the lease is still ours: a
    // tick that lost it (another instance took the town over) must not overwrite that tick's bookkeeping.
    const final = await deps.pool.query(
      `UPDATE towns SET last_tick_at = $2, next_tick_at = LEAST($3, CASE WHEN next_tick_at > $2 THEN next_tick_at ELSE $3 END),
              has_active_work = $4, last_metrics = $5::jsonb, breaker_open = $6,
              tick_lease_owner = NULL, tick_lease_until = 'epoch'::timestamptz
        WHERE id = $1 AND tick_lease_owner = $7`,
      [townId, now, nextDue, active, JSON.stringify(summaryOf(report)), state.breakerOpen, owner],
    );
    if (final.rowCount === 0) renewer.reportLost("final update");
    released = true;
    return report;
  } finally {
    clearInterval(renewTimer);
    // Release the lease (only ours) if the tick stopped before its last update; a crashed tick's lease
    // simply expires.
    if (!released) {
      await deps.pool
        .query(`UPDATE towns SET tick_lease_owner = NULL, tick_lease_until = 'epoch' WHERE id = $1 AND tick_lease_owner = $2`, [townId, owner])
        .catch(() => {});
    }
  }
}

/** SPEC.md §3b cadence (DOMAIN.md §5.1 hasActiveWork): a running or hooked agent, an MR under way, or
 *  open rig-bound work nobody holds. */
export function hasActiveWork(world: World): boolean {
  return (
    world.agents.some((a) => a.status === "working" || a.status === "stalled" || (a.status === "idle" && !!a.currentHookBeadId)) ||
    world.beads.some(
      (b) =>
        (b.type === "merge_request" && (b.status === "open" || b.status === "in_progress")) ||
        (b.type === "issue" && b.status === "open" && !!b.rigId && !b.assigneeAgentBeadId),
    )
  );
}

/** "What will the next tick do?" — drain + reconcile + apply in a transaction that is always rolled back. */
async function dryRunTick(deps: TickDeps, townId: string, options: TickOptions): Promise<TickReport> {
  const started = performance.now();
  const client = await deps.pool.connect();
  try {
    await client.query("BEGIN");
    const tx = new TickTx(client, true);
    const { townConfig, town } = await loadTownConfigRow(client, townId);
    const secrets = townRedactor(townId, townConfig);
    const drain = await drainEvents(tx, townId, options.now, { apply: deps.applyEvent, maxEvents: options.maxEvents, redact: secrets.text });
    const state = await statePhase({ ...deps, mintToken: async () => "dry-run" }, tx, town, townConfig, options.now, drain.actions, drain.emittedBy);
    const after = await loadWorldSnapshot(client, townId, options.now);
    return secrets.deep(buildReport(townId, drain, state, [], checkInvariants(after.world), after.pendingEvents, started, true));
  } finally {
    await client.query("ROLLBACK").catch(() => {});
    client.release();
  }
}

interface StateResult {
  world: World;
  /** the world with the pending count, as it stands after the state phase; null when unknown (phase failed) */
  snapshot: WorldSnapshot | null;
  recorded: RecordedAction[];
  jobs: SideEffectJob[];
  breakerOpen: boolean;
}

/** Loads the world, reconciles, and applies the actions in one transaction (`outer`), each in its own
 *  savepoint. With nothing to apply and no breaker change no transaction is opened at all. */
async function statePhase(
  deps: TickDeps,
  outer: TickTx,
  town: TownRef,
  townConfig: TownConfig,
  now: Date,
  eventActions: Action[],
  emittedBy: Map<Action, string>,
): Promise<StateResult> {
  const client = outer.client;
  const townId = town.id;
  const snapshot = await loadWorldSnapshot(client, townId, now);
  const world = snapshot.world;
  const { actions: reconciled, breaker } = (deps.reconcile ?? reconcileDetailed)(world, now, { precedingActions: eventActions });
  const all = [...eventActions, ...reconciled];
  if (all.length === 0 && breaker.open === world.breakerWasOpen) return { world, snapshot, recorded: [], jobs: [], breakerOpen: breaker.open };
  const result = await outer.run(() => applyActions(deps, client, town, townConfig, now, world, all, emittedBy, breaker.open));
  return all.length === 0 ? { ...result, snapshot } : result;
}

async function applyActions(
  deps: TickDeps,
  client: pg.PoolClient,
  town: TownRef,
  townConfig: TownConfig,
  now: Date,
  world: World,
  all: Action[],
  emittedBy: Map<Action, string>,
  breakerOpen: boolean,
): Promise<StateResult> {
  const townId = town.id;
  const tx = new TickTx(client, true);
  // Fast path: every action through one unit of work in one savepoint. If any action (or the flush) fails, that
  // savepoint is rolled back and the actions are applied again one savepoint each, below, so a failing action
  // is skipped and reported and the others still apply — the same outcome, at the slow path's price.
  const fast = all.length > 1 ? await applyActionsBatched(deps, client, tx, town, townConfig, now, world, all, emittedBy) : null;
  const recorded: RecordedAction[] = fast?.recorded ?? [];
  const jobs: SideEffectJob[] = fast?.jobs ?? [];
  const repo = new PgTownRepo(client, townId);

  for (const action of fast ? [] : all) {
    const rec = recordOf(action, emittedBy, "applied");
    recorded.push(rec);
    await tx.begin();
    try {
      const result = await applyStateAction(repo, action, now);
      let dispatch: { resolution: DispatchResolution; spec: AgentStartSpec } | undefined;
      if (result.status === "applied" && result.dispatch) {
        dispatch = { resolution: result.dispatch, spec: await dispatchSpec(deps, client, repo, town, townConfig, result.dispatch, now) };
      }
      await tx.commit();
      rec.state = result.status === "skipped" ? "skipped" : result.status === "no_state_part" ? "no_state_part" : "applied";
      if (result.status === "skipped") rec.note = result.reason;
      // A split action whose state part was skipped (from-guard) must not run its side effect.
      if (hasSideEffect(action.type) && result.status !== "skipped") {
        const job = buildSideEffect(action, { world, town, townConfig, deps, dispatch: dispatch?.spec, dispatchedAt: dispatch?.resolution.dispatchedAt });
        if (job) jobs.push(job);
      }
    } catch (err) {
      await tx.rollback();
      rec.state = "failed";
      rec.note = err instanceof Error ? err.message : String(err);
      reportError(deps, err, { town_id: townId, action_type: action.type, rule: action.rule }, `${action.type} could not be applied`);
    }
  }
  // In this transaction, so the mayor's breaker notice and the flag that says it was sent commit together —
  // and so do the outbox rows that tell the town's channels it opened or closed (issue 16).
  if (breakerOpen !== world.breakerWasOpen) {
    await client.query(`UPDATE towns SET breaker_open = $2 WHERE id = $1`, [townId, breakerOpen]);
    const { failures, windowMinutes } = evaluateCircuitBreaker(world);
    await insertOutboundMessages(client, townId, [outbound.breaker(breakerOpen, failures, windowMinutes, now)]);
  }
  return { world, snapshot: null, recorded, jobs, breakerOpen };
}

/** The actions through one BatchTownRepo inside one savepoint: one prefetch of the rows they name, buffered
 *  writes, one flush; then each dispatch's start spec (token, prompt) from the flushed state. Null (and nothing
 *  written) if anything threw: the caller applies them one by one. */
async function applyActionsBatched(
  deps: TickDeps,
  client: pg.PoolClient,
  tx: TickTx,
  town: TownRef,
  townConfig: TownConfig,
  now: Date,
  world: World,
  all: Action[],
  emittedBy: Map<Action, string>,
): Promise<{ recorded: RecordedAction[]; jobs: SideEffectJob[] } | null> {
  const repo = new BatchTownRepo(client, town.id);
  await tx.begin();
  try {
    await repo.prefetch(all.map(namedRows));
    const applied: { action: Action; rec: RecordedAction; status: string; dispatch?: DispatchResolution }[] = [];
    for (const action of all) {
      const result = await applyStateAction(repo, action, now);
      const rec = recordOf(action, emittedBy, result.status === "skipped" ? "skipped" : result.status === "no_state_part" ? "no_state_part" : "applied");
      if (result.status === "skipped") rec.note = result.reason;
      applied.push({ action, rec, status: result.status, ...(result.status === "applied" && result.dispatch ? { dispatch: result.dispatch } : {}) });
    }
    await repo.flush();
    const jobs: SideEffectJob[] = [];
    for (const { action, status, dispatch } of applied) {
      // A split action whose state part was skipped (from-guard) must not run its side effect.
      if (!hasSideEffect(action.type) || status === "skipped") continue;
      const spec = dispatch ? await dispatchSpec(deps, client, repo, town, townConfig, dispatch, now) : undefined;
      const job = buildSideEffect(action, { world, town, townConfig, deps, dispatch: spec, dispatchedAt: dispatch?.dispatchedAt });
      if (job) jobs.push(job);
    }
    await repo.flush(); // dispatchSpec reads only, but keep the unit of work honest
    await tx.commit();
    return { recorded: applied.map((a) => a.rec), jobs };
  } catch {
    repo.discard();
    await tx.rollback();
    return null;
  }
}

/** How the tick record shows an action (SPEC.md §4.2). */
function recordOf(action: Action, emittedBy: Map<Action, string>, state: RecordedAction["state"]): RecordedAction {
  return {
    type: action.type,
    rule: action.rule,
    reason: action.reason,
    target: actionTarget(action),
    ...(emittedBy.has(action) ? { eventId: emittedBy.get(action) } : {}),
    state,
  };
}

/** The rows an action names, in the shape BatchTownRepo.prefetch reads. */
function namedRows(action: Action): { beadId: string | null; agentId: string | null; payload: unknown } {
  const a = action as { beadId?: unknown; agentId?: unknown };
  return { beadId: typeof a.beadId === "string" ? a.beadId : null, agentId: typeof a.agentId === "string" ? a.agentId : null, payload: null };
}

async function stateFailedFallback(
  deps: TickDeps,
  client: pg.PoolClient,
  town: TownRef,
  townConfig: TownConfig,
  now: Date,
  eventActions: Action[],
  emittedBy: Map<Action, string>,
  err: unknown,
): Promise<StateResult> {
  const townId = town.id;
  const note = `state phase failed: ${err instanceof Error ? err.message : String(err)}`;
  // Loaded first: the stops below go to the runtime each agent was started on.
  const world = await loadWorld(client, townId, now).catch(() => emptyWorld(townId));
  const recorded: RecordedAction[] = [];
  const jobs: SideEffectJob[] = [];
  for (const action of eventActions) {
    const runsAnyway = action.type === "stop_agent";
    recorded.push({ ...recordOf(action, emittedBy, runsAnyway ? "no_state_part" : "failed"), note });
    if (runsAnyway) {
      const job = buildSideEffect(action, { world, town, townConfig, deps });
      if (job) jobs.push(job);
    }
  }
  return { world, snapshot: null, recorded, jobs, breakerOpen: world.breakerWasOpen };
}

function emptyWorld(townId: string): World {
  return {
    townId,
    townSettings: {} as TownConfig,
    rigs: [],
    beads: [],
    agents: [],
    reviews: [],
    convoys: [],
    escalations: [],
    dependencies: [],
    nudges: [],
    recentDispatchFailures: 0,
    breakerWasOpen: false,
    draining: false,
    mayorUnreadMail: 0,
  };
}

/** Extends the tick's lease while it is still ours; remembers (and reports once) when it is not. */
class LeaseRenewer {
  lost = false;
  private inFlight: Promise<void> | null = null;
  constructor(
    private readonly deps: TickDeps,
    private readonly townId: string,
    private readonly owner: string,
    private readonly until: () => Date,
  ) {}

  renew(): Promise<void> {
    if (this.lost) return Promise.resolve();
    this.inFlight ??= this.deps.pool
      .query(`UPDATE towns SET tick_lease_until = $3 WHERE id = $1 AND tick_lease_owner = $2`, [this.townId, this.owner, this.until()])
      .then((res) => {
        if (res.rowCount === 0) this.reportLost("renewal");
      })
      .catch((err) => reportError(this.deps, err, { town_id: this.townId, phase: "lease_renewal" }, "could not renew the tick lease"))
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  reportLost(at: string) {
    if (this.lost) return;
    this.lost = true;
    reportError(this.deps, new Error(`tick lease lost (${at}): another tick holds town ${this.townId}`), { town_id: this.townId, phase: "lease" }, "tick lease lost");
  }
}

function safeRuntime(deps: TickDeps, townConfig: TownConfig): AgentRuntime | null {
  try {
    return deps.runtimeFor(townConfig.agent_runtime ?? null);
  } catch {
    return null;
  }
}

async function loadTownConfigRow(client: SqlClient, townId: string): Promise<{ townConfig: TownConfig; town: TownRef }> {
  const { rows } = await client.query(
    `SELECT (SELECT config FROM town_settings WHERE town_id = $1) AS config,
            (SELECT u.email FROM towns t JOIN users u ON u.id = t.owner_user_id WHERE t.id = $1) AS owner_email`,
    [townId],
  );
  return { townConfig: (rows[0]?.config ?? {}) as TownConfig, town: { id: townId, ownerEmail: (rows[0]?.owner_email as string | null) ?? null } };
}

function buildReport(
  townId: string,
  drain: Awaited<ReturnType<typeof drainEvents>>,
  state: StateResult,
  outcomes: SideEffectOutcome[],
  violations: Violation[],
  pending: number,
  started: number,
  dryRun: boolean,
): TickReport {
  const actionsByType: Record<string, number> = {};
  for (const a of state.recorded) actionsByType[a.type] = (actionsByType[a.type] ?? 0) + 1;
  return {
    townId,
    eventsDrained: drain.drained,
    eventsPoisoned: drain.poisoned.length,
    actionsEmitted: state.recorded.length,
    actionsByType,
    sideEffectsAttempted: outcomes.length,
    sideEffectsSucceeded: outcomes.filter((o) => o.ok).length,
    sideEffectsFailed: outcomes.filter((o) => !o.ok).length,
    invariantViolations: violations.length,
    wallClockMs: Math.round(performance.now() - started),
    pendingEventCount: pending,
    actions: state.recorded,
    sideEffectOutcomes: outcomes,
    violations,
    poisoned: drain.poisoned.map(({ cause: _c, ...p }) => p),
    breakerOpen: state.breakerOpen,
    dryRun,
  };
}

export function summaryOf(r: TickReport): TickSummary {
  return {
    townId: r.townId,
    eventsDrained: r.eventsDrained,
    eventsPoisoned: r.eventsPoisoned,
    actionsEmitted: r.actionsEmitted,
    actionsByType: r.actionsByType,
    sideEffectsAttempted: r.sideEffectsAttempted,
    sideEffectsSucceeded: r.sideEffectsSucceeded,
    sideEffectsFailed: r.sideEffectsFailed,
    invariantViolations: r.invariantViolations,
    wallClockMs: r.wallClockMs,
    pendingEventCount: r.pendingEventCount,
  };
}

async function recordTick(client: SqlClient, tickId: string, r: TickReport, now: Date) {
  await client.query(
    `INSERT INTO ticks (tick_id, town_id, started_at, finished_at, wall_clock_ms, events_drained, events_poisoned, actions_emitted, actions_by_type,
                        actions, side_effects_attempted, side_effects_succeeded, side_effects_failed, side_effect_outcomes,
                        invariant_violations, violations, pending_event_count, breaker_open)
     VALUES ($18, $1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13::jsonb, $14, $15::jsonb, $16, $17)`,
    [
      r.townId,
      now,
      new Date(now.getTime() + r.wallClockMs),
      r.wallClockMs,
      r.eventsDrained,
      r.eventsPoisoned,
      r.actionsEmitted,
      JSON.stringify(r.actionsByType),
      JSON.stringify(r.actions),
      r.sideEffectsAttempted,
      r.sideEffectsSucceeded,
      r.sideEffectsFailed,
      JSON.stringify(r.sideEffectOutcomes),
      r.invariantViolations,
      JSON.stringify(r.violations),
      r.pendingEventCount,
      r.breakerOpen,
      tickId,
    ],
  );
}
