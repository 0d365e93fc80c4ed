import type { Action } from "./actions";
import { applyEvent } from "./apply-event";
import { makeEvent, type EventPayloadInput, type EventType, type TownEvent } from "./events";
import { MemoryTownRepo } from "./memory-repo";
import type { TownRepo } from "./repo";
import { reconcile } from "./reconcile";
import { applyStateAction, type StateActionResult } from "./state-actions";
import { actionMoves } from "./rules/context";
import { indexWorld } from "./world";
import { TownConfigSchema, effectiveSettings, type RigOverrideConfig, type TownConfig } from "./settings";
import type {
  Agent,
  AgentNudge,
  Bead,
  BeadDependency,
  ConvoyMetadata,
  EscalationMetadata,
  ReviewMetadata,
  Rig,
  World,
} from "./types";

// Builders for pure tests (STYLE.md #10): every field has a sensible default so a test states only what
// its rule reads. Time is relative to one fixed instant, NOW, so a test reads "updatedAt: ago(31)".

export const NOW = new Date("2026-03-01T12:00:00.000Z");
export const TOWN_ID = "town-00000001";
export const RIG_ID = "rig-00000001";

/** `minutes` before `from` (default NOW). Fractions are fine: ago(0.5) is 30 s. */
export function ago(minutes: number, from: Date = NOW): Date {
  return new Date(from.getTime() - minutes * 60_000);
}
export function agoSeconds(seconds: number, from: Date = NOW): Date {
  return new Date(from.getTime() - seconds * 1000);
}
export function later(minutes: number, from: Date = NOW): Date {
  return new Date(from.getTime() + minutes * 60_000);
}

let counter = 0;
function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${String(counter).padStart(4, "0")}`;
}

export function bead(overrides: Partial<Bead> = {}): Bead {
  return {
    id: overrides.id ?? nextId("bead"),
    townId: TOWN_ID,
    type: "issue",
    status: "open",
    title: "Do the thing",
    body: null,
    rigId: RIG_ID,
    parentBeadId: null,
    assigneeAgentBeadId: null,
    priority: "medium",
    labels: [],
    metadata: {},
    dispatchAttempts: 0,
    lastDispatchAttemptAt: null,
    createdBy: null,
    createdAt: NOW,
    updatedAt: NOW,
    closedAt: null,
    ...overrides,
  };
}

export function agent(overrides: Partial<Agent> = {}): Agent {
  const id = overrides.id ?? nextId("agent");
  const role = overrides.role ?? "polecat";
  const name = overrides.name ?? (role === "mayor" ? "Mayor" : role === "refinery" ? "Refinery" : `Pole-${id}`);
  return {
    id,
    townId: TOWN_ID,
    name,
    rigId: role === "mayor" ? null : RIG_ID,
    role,
    identity: `${name}-${role}-${id}`,
    containerProcessId: null,
    status: "idle",
    currentHookBeadId: null,
    dispatchAttempts: 0,
    checkpoint: null,
    lastActivityAt: NOW,
    agentStatusMessage: null,
    agentStatusUpdatedAt: null,
    lastEventType: null,
    lastEventAt: null,
    activeTools: [],
    stalledAt: null,
    dispatchedAt: null,
    runtimeName: null,
    pid: null,
    logPath: null,
    createdAt: NOW,
    ...overrides,
  };
}

export interface MrFixture {
  bead: Bead;
  review: ReviewMetadata;
  dependencies: BeadDependency[];
}

/** A merge_request bead with its review metadata and the `tracks` edge to its source. */
export function mr(
  overrides: Partial<Bead> & {
    sourceBeadId?: string | null;
    prUrl?: string | null;
    branch?: string;
    targetBranch?: string;
    review?: Partial<ReviewMetadata>;
  } = {},
): MrFixture {
  const { sourceBeadId, prUrl, branch, targetBranch, review, ...beadFields } = overrides;
  const b = bead({
    type: "merge_request",
    title: `Review: ${branch ?? "gt/feature"}`,
    labels: ["gt:merge-request"],
    metadata: sourceBeadId ? { source_bead_id: sourceBeadId } : {},
    ...beadFields,
  });
  return {
    bead: b,
    review: {
      beadId: b.id,
      townId: TOWN_ID,
      branch: branch ?? "gt/feature",
      targetBranch: targetBranch ?? "main",
      mergeCommit: null,
      prUrl: prUrl ?? null,
      retryCount: 0,
      autoMergeReadySince: null,
      lastFeedbackCheckAt: null,
      ...review,
    },
    dependencies: sourceBeadId ? [tracks(b.id, sourceBeadId)] : [],
  };
}

export interface ConvoyFixture {
  bead: Bead;
  convoy: ConvoyMetadata;
  dependencies: BeadDependency[];
}

/** A convoy bead with its metadata and a `tracks` edge from each tracked bead. */
export function convoy(
  overrides: Partial<Bead> & { tracks?: string[]; meta?: Partial<ConvoyMetadata> } = {},
): ConvoyFixture {
  const { tracks: tracked = [], meta, ...beadFields } = overrides;
  const b = bead({ type: "convoy", title: "Convoy", rigId: null, labels: ["gt:convoy"], ...beadFields });
  return {
    bead: b,
    convoy: {
      beadId: b.id,
      townId: TOWN_ID,
      totalBeads: tracked.length,
      closedBeads: 0,
      landedAt: null,
      featureBranch: null,
      mergeMode: "review-then-land",
      staged: false,
      readyToLand: false,
      ...meta,
    },
    dependencies: tracked.map((id) => tracks(id, b.id)),
  };
}

export function blocks(beadId: string, blockerId: string): BeadDependency {
  return { townId: TOWN_ID, beadId, dependsOnBeadId: blockerId, dependencyType: "blocks", createdAt: NOW };
}

export function tracks(beadId: string, trackedById: string): BeadDependency {
  return { townId: TOWN_ID, beadId, dependsOnBeadId: trackedById, dependencyType: "tracks", createdAt: NOW };
}

export function nudge(overrides: Partial<AgentNudge> & { agentBeadId: string }): AgentNudge {
  return {
    id: nextId("nudge"),
    townId: TOWN_ID,
    message: "hello",
    mode: "immediate",
    priority: "urgent",
    source: "reconciler:warn",
    createdAt: NOW,
    deliveredAt: null,
    expiresAt: null,
    ...overrides,
  };
}

export function escalation(overrides: Partial<EscalationMetadata> & { beadId: string }): EscalationMetadata {
  return {
    townId: TOWN_ID,
    severity: "high",
    category: null,
    acknowledged: false,
    reEscalationCount: 0,
    acknowledgedAt: null,
    ...overrides,
  };
}

export interface RigFixture {
  id?: string;
  name?: string;
  gitUrl?: string;
  defaultBranch?: string;
  config?: RigOverrideConfig;
}

export interface WorldParts {
  townSettings?: unknown;
  rigs?: RigFixture[];
  beads?: Bead[];
  agents?: Agent[];
  mrs?: MrFixture[];
  convoys?: ConvoyFixture[];
  dependencies?: BeadDependency[];
  nudges?: AgentNudge[];
  escalations?: EscalationMetadata[];
  recentDispatchFailures?: number;
  breakerWasOpen?: boolean;
  draining?: boolean;
  mayorUnreadMail?: number;
}

export function rig(fixture: RigFixture, town: TownConfig): Rig {
  const id = fixture.id ?? RIG_ID;
  const config = fixture.config ?? {};
  return {
    id,
    townId: TOWN_ID,
    name: fixture.name ?? `rig-${id}`,
    gitUrl: fixture.gitUrl ?? "https://github.com/acme/widgets.git",
    defaultBranch: fixture.defaultBranch ?? "main",
    config,
    settings: effectiveSettings(town, config),
  };
}

/** A world from parts; one rig (RIG_ID) unless `rigs` says otherwise. */
export function makeWorld(parts: WorldParts = {}): World {
  const townSettings = TownConfigSchema.parse(parts.townSettings ?? {});
  const mrs = parts.mrs ?? [];
  const convoys = parts.convoys ?? [];
  return {
    townId: TOWN_ID,
    townSettings,
    rigs: (parts.rigs ?? [{}]).map((r) => rig(r, townSettings)),
    beads: [...(parts.beads ?? []), ...mrs.map((m) => m.bead), ...convoys.map((c) => c.bead)],
    agents: parts.agents ?? [],
    reviews: mrs.map((m) => m.review),
    convoys: convoys.map((c) => c.convoy),
    escalations: parts.escalations ?? [],
    dependencies: [...(parts.dependencies ?? []), ...mrs.flatMap((m) => m.dependencies), ...convoys.flatMap((c) => c.dependencies)],
    nudges: parts.nudges ?? [],
    recentDispatchFailures: parts.recentDispatchFailures ?? 0,
    breakerWasOpen: parts.breakerWasOpen ?? false,
    draining: parts.draining ?? false,
    mayorUnreadMail: parts.mayorUnreadMail ?? 0,
  };
}

/** Actions of one rule, for assertions. */
export function byRule<T extends { rule: string }>(actions: T[], rule: string): T[] {
  return actions.filter((a) => a.rule === rule);
}

/** For assertions: the entities the actions move to two different states (should be none). */
export function conflictingMoves(world: World, actions: Action[]): string[] {
  const index = indexWorld(world);
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  for (const action of actions) {
    for (const move of actionMoves(action, index)) {
      const key = `${move.kind}:${move.id}`;
      const prev = seen.get(key);
      if (prev !== undefined && prev !== move.to) conflicts.push(`${key}: ${prev} vs ${move.to} (${action.rule})`);
      seen.set(key, move.to);
    }
  }
  return conflicts;
}


/** A repo that can also hand out the World the reconciler reads (MemoryTownRepo; a Postgres one in tests). */
export interface TickableRepo extends TownRepo {
  snapshot(now: Date): World | Promise<World>;
}

/** One tick over a repo, the way the tick pipeline runs it (minus side effects): apply the events, merge
 *  their actions ahead of the reconciler's, apply every state part in order. */
export async function simulateTick(
  repo: TickableRepo,
  events: TownEvent[],
  now: Date,
  overrides: Partial<Pick<World, "recentDispatchFailures" | "breakerWasOpen" | "draining">> = {},
): Promise<{ actions: Action[]; results: StateActionResult[] }> {
  const eventActions: Action[] = [];
  for (const event of events) eventActions.push(...(await applyEvent(repo, event, now)));
  const world = { ...(await repo.snapshot(now)), ...overrides };
  const actions = [...eventActions, ...reconcile(world, now, { precedingActions: eventActions })];
  const results: StateActionResult[] = [];
  for (const action of actions) results.push(await applyStateAction(repo, action, now));
  return { actions, results };
}

/** A PR URL on github.com, as agents report them. */
export const PR_URL = "https://github.com/acme/widgets/pull/12";

/** An in-memory repository over a world built from parts. */
export const repoOf = (parts: WorldParts) => new MemoryTownRepo(makeWorld(parts));

/** An event as the queue would hold it, created at NOW unless said otherwise. */
export function ev<T extends EventType>(type: T, fields: { agentId?: string | null; beadId?: string | null; createdAt?: Date; payload: EventPayloadInput<T> }) {
  return makeEvent(type, { createdAt: NOW, ...fields });
}
