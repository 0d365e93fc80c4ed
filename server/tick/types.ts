import type pg from "pg";
import type { Action } from "../domain/actions";
import type { Violation } from "../domain/invariants";
import type { reconcileDetailed } from "../domain/reconcile";
import type { AgentRuntime } from "../adapters/agent-runtime/types";
import type { GitHub } from "../adapters/github/types";
import type { TownRef } from "../adapters/github/tenancy";
import type { SqlClient } from "../db/pool";
import type { Logger } from "../log";
import type { ApplyEventFn, PoisonedEvent } from "./drain";

// The tick's shared types: what it needs (TickDeps), how it is asked (TickOptions) and what it reports.
// In their own module so run-tick.ts and its phases (dispatch-spec, side-effects, housekeeping, replay,
// deps) import them without importing each other, and services/routers need not import run-tick for a type.

export interface TickDeps {
  pool: pg.Pool;
  github: GitHub;
  /** The town's runtime by the name its owner picked (null = the operator's default). May throw. */
  runtimeFor(name: string | null | undefined): AgentRuntime;
  /** The town's GitHub token: its own, else the operator's if GASTOWN_SHARED_GITHUB_TOKEN allows the town, else null. */
  resolveGitHubToken(town: TownRef, townToken: unknown): string | null;
  /** Why no clone, poll or merge may touch this repository (GASTOWN_ALLOWED_REPOS), or null. */
  repoRefusal(gitUrl: string | null | undefined): string | null;
  mintToken(client: SqlClient, claims: { townId: string; agentId: string; role: string }, now: Date): Promise<string>;
  applyEvent: ApplyEventFn;
  /** Base URL agents call back (GASTOWN_API_URL). */
  apiUrl: string;
  /** Error reporting (Sentry in the app); tests pass a recorder. */
  captureException(err: unknown, tags: Record<string, string>): void;
  /** Where the tick's lines go (server/log.ts); default the process's logger. runTick gives each tick a
   *  child with town_id and tick_id; the cron route passes one bound to its call. */
  log?: Logger;
  /** Distinguishes lease holders across instances. */
  instanceId: string;
  /** Override of SIDE_EFFECT_TIMEOUT_MS (tests). */
  sideEffectTimeoutMs?: number;
  /** The reconciler; tests may wrap it (e.g. to make the state phase fail). */
  reconcile?: typeof reconcileDetailed;
  /** Called at each phase boundary; the crash tests kill the process there. */
  onPhase?: (phase: "drained" | "state_applied") => void | Promise<void>;
}

export interface TickOptions {
  now: Date;
  dryRun?: boolean;
  leaseMs?: number;
  /** Events drained per tick at most; the rest next tick. */
  maxEvents?: number;
}

export interface RecordedAction {
  type: Action["type"];
  rule: string;
  reason: string;
  target: { kind: string; id: string | null };
  /** the event that emitted it (event actions run first) */
  eventId?: string;
  state: "applied" | "skipped" | "failed" | "no_state_part";
  note?: string;
}

export interface SideEffectOutcome {
  type: Action["type"];
  target: string | null;
  ok: boolean;
  detail?: string;
}

/** SPEC.md §4.2 — what the cron route returns per town. */
export interface TickSummary {
  townId: string;
  eventsDrained: number;
  eventsPoisoned: number;
  actionsEmitted: number;
  actionsByType: Record<string, number>;
  sideEffectsAttempted: number;
  sideEffectsSucceeded: number;
  sideEffectsFailed: number;
  invariantViolations: number;
  wallClockMs: number;
  pendingEventCount: number;
}

export interface TickReport extends TickSummary {
  actions: RecordedAction[];
  sideEffectOutcomes: SideEffectOutcome[];
  violations: Violation[];
  poisoned: Omit<PoisonedEvent, "cause">[];
  breakerOpen: boolean;
  dryRun: boolean;
}
