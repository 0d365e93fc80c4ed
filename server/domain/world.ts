import { dispatchCooldownMs, HEARTBEAT_STALE_MS, LABELS } from "./constants";
import { effectiveSettings, type EffectiveSettings } from "./settings";
import {
  isTerminal,
  type Agent,
  type Bead,
  type BeadDependency,
  type ConvoyMetadata,
  type Mr,
  type ReviewMetadata,
  type Rig,
  type World,
} from "./types";

// Read helpers over a World snapshot, shared by the rules, the invariants and explainBead. The index is
// built once per world (cached by identity), so every rule can ask "who is hooked to this bead?" in O(1).

export interface WorldIndex {
  world: World;
  beads: Map<string, Bead>;
  agents: Map<string, Agent>;
  reviews: Map<string, ReviewMetadata>;
  convoys: Map<string, ConvoyMetadata>;
  rigs: Map<string, Rig>;
  /** dependencies by the dependent bead (`beadId`) */
  depsFrom: Map<string, BeadDependency[]>;
  /** dependencies by the depended-on bead (`dependsOnBeadId`) */
  depsTo: Map<string, BeadDependency[]>;
  agentsByHook: Map<string, Agent[]>;
  /** MR beads (with review metadata) by the bead they track */
  mrsBySource: Map<string, Mr[]>;
  mrs: Mr[];
  townSettings: EffectiveSettings;
}

const cache = new WeakMap<World, WorldIndex>();

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function indexWorld(world: World): WorldIndex {
  const cached = cache.get(world);
  if (cached) return cached;
  const beads = new Map(world.beads.map((b) => [b.id, b]));
  const agents = new Map(world.agents.map((a) => [a.id, a]));
  const reviews = new Map(world.reviews.map((r) => [r.beadId, r]));
  const convoys = new Map(world.convoys.map((c) => [c.beadId, c]));
  const rigs = new Map(world.rigs.map((r) => [r.id, r]));
  const depsFrom = new Map<string, BeadDependency[]>();
  const depsTo = new Map<string, BeadDependency[]>();
  for (const dep of world.dependencies) {
    push(depsFrom, dep.beadId, dep);
    push(depsTo, dep.dependsOnBeadId, dep);
  }
  const agentsByHook = new Map<string, Agent[]>();
  for (const agent of world.agents) if (agent.currentHookBeadId) push(agentsByHook, agent.currentHookBeadId, agent);
  const mrs: Mr[] = [];
  const mrsBySource = new Map<string, Mr[]>();
  for (const bead of world.beads) {
    if (bead.type !== "merge_request") continue;
    const review = reviews.get(bead.id);
    if (!review) continue;
    const mr = { bead, review };
    mrs.push(mr);
    for (const dep of depsFrom.get(bead.id) ?? []) if (dep.dependencyType === "tracks") push(mrsBySource, dep.dependsOnBeadId, mr);
  }
  const index: WorldIndex = {
    world,
    beads,
    agents,
    reviews,
    convoys,
    rigs,
    depsFrom,
    depsTo,
    agentsByHook,
    mrsBySource,
    mrs,
    townSettings: effectiveSettings(world.townSettings, {}),
  };
  cache.set(world, index);
  return index;
}

// ------------------------------------------------------------------------------------------ time

/** True when `at` is more than `ms` before `now`. A null timestamp counts as stale (DOMAIN.md §5.3). */
export function olderThan(at: Date | null | undefined, now: Date, ms: number): boolean {
  if (!at) return true;
  return now.getTime() - at.getTime() > ms;
}

/** A heartbeat within 90 s: the agent is alive even if its status says otherwise (§11 #6). */
export function hasFreshHeartbeat(agent: Agent, now: Date): boolean {
  return !olderThan(agent.lastActivityAt, now, HEARTBEAT_STALE_MS);
}

// ------------------------------------------------------------------------------------------ settings

/** The effective settings of a rig; beads without a rig (convoys, town-level) use the town's. */
export function settingsFor(index: WorldIndex, rigId: string | null | undefined): EffectiveSettings {
  if (rigId) {
    const rig = index.rigs.get(rigId);
    if (rig) return rig.settings;
  }
  return index.townSettings;
}

// ------------------------------------------------------------------------------------------ beads

export function hasLabel(bead: Pick<Bead, "labels">, label: string): boolean {
  return Array.isArray(bead.labels) && bead.labels.includes(label);
}

/** Held MRs/beads (label `gt:held`) are never dispatched and never auto-merged (SPEC.md §4.1, §3b). */
export function isHeld(bead: Pick<Bead, "labels">): boolean {
  return hasLabel(bead, LABELS.held);
}

export function isTriageRequest(bead: Pick<Bead, "labels">): boolean {
  return hasLabel(bead, LABELS.triageRequest);
}

export function isOpenMr(mr: Mr): boolean {
  return mr.bead.status === "open" || mr.bead.status === "in_progress";
}

/** MRs (with review metadata) that track the bead: its review attempts, or a convoy's landing MRs. */
export function mrsTracking(index: WorldIndex, beadId: string): Mr[] {
  return index.mrsBySource.get(beadId) ?? [];
}

export function agentsHookedTo(index: WorldIndex, beadId: string): Agent[] {
  return index.agentsByHook.get(beadId) ?? [];
}

/** Why a `blocks` blocker still holds its dependent (SPEC.md §3 #14, the stricter rule everywhere). */
export type BlockerState = "not_closed" | "failed" | "mr_pending";

export interface BlockerInfo {
  beadId: string;
  title: string;
  status: string;
  state: BlockerState;
  /** open/in_progress MRs of the blocker (state `mr_pending`) */
  pendingMrIds: string[];
}

/** A blocker is resolved only when it is `closed` and none of its MRs is open/in_progress; a `failed`
 *  blocker keeps blocking until it is retried or the dependency removed. A blocker that no longer exists
 *  blocks nothing (deleting a bead deletes its dependency rows). */
export function blockerState(index: WorldIndex, blocker: Bead): BlockerState | null {
  if (blocker.status === "failed") return "failed";
  if (blocker.status !== "closed") return "not_closed";
  if (mrsTracking(index, blocker.id).some(isOpenMr)) return "mr_pending";
  return null;
}

/** The unresolved `blocks` blockers of a bead, with the reason each still blocks. */
export function unresolvedBlockers(index: WorldIndex, beadId: string, onlyLabel?: string): BlockerInfo[] {
  const out: BlockerInfo[] = [];
  for (const dep of index.depsFrom.get(beadId) ?? []) {
    if (dep.dependencyType !== "blocks") continue;
    const blocker = index.beads.get(dep.dependsOnBeadId);
    if (!blocker) continue;
    if (onlyLabel && !hasLabel(blocker, onlyLabel)) continue;
    const state = blockerState(index, blocker);
    if (!state) continue;
    out.push({
      beadId: blocker.id,
      title: blocker.title,
      status: blocker.status,
      state,
      pendingMrIds: state === "mr_pending" ? mrsTracking(index, blocker.id).filter(isOpenMr).map((m) => m.bead.id) : [],
    });
  }
  return out;
}

/** Whether a bead may not start yet, and the blockers that say so. */
export function isBlocked(world: World, beadId: string): { blocked: boolean; blockers: BlockerInfo[] } {
  const blockers = unresolvedBlockers(indexWorld(world), beadId);
  return { blocked: blockers.length > 0, blockers };
}

/** The convoys a bead is tracked by (task → convoy). */
export function convoysTracking(index: WorldIndex, beadId: string): ConvoyMetadata[] {
  const out: ConvoyMetadata[] = [];
  for (const dep of index.depsFrom.get(beadId) ?? []) {
    if (dep.dependencyType !== "tracks") continue;
    const convoy = index.convoys.get(dep.dependsOnBeadId);
    if (convoy) out.push(convoy);
  }
  return out;
}

/** A staged convoy hides its tracked beads from dispatch until it is started (§11 #16). */
export function stagedConvoyOf(index: WorldIndex, beadId: string): ConvoyMetadata | null {
  return convoysTracking(index, beadId).find((c) => c.staged && index.beads.get(c.beadId)?.status !== "closed") ?? null;
}

/** The bead's backoff deadline from its own counters (never the agent's: §11 #7); null = no wait. */
export function cooldownUntil(bead: Pick<Bead, "dispatchAttempts" | "lastDispatchAttemptAt">, _settings?: EffectiveSettings): Date | null {
  if (!bead.lastDispatchAttemptAt) return null;
  return new Date(bead.lastDispatchAttemptAt.getTime() + dispatchCooldownMs(bead.dispatchAttempts));
}

export function inCooldown(bead: Pick<Bead, "dispatchAttempts" | "lastDispatchAttemptAt">, now: Date): boolean {
  const until = cooldownUntil(bead);
  return until !== null && until.getTime() > now.getTime();
}

/** The attempt cap of the settings chain (rig ?? town ?? 5) is reached. */
export function attemptsExhausted(bead: Pick<Bead, "dispatchAttempts">, settings: EffectiveSettings): boolean {
  return bead.dispatchAttempts >= settings.maxDispatchAttempts;
}

/** The source of an MR: metadata `source_bead_id`, else the bead it `tracks`. */
export function mrSourceId(index: WorldIndex, mr: Mr): string | null {
  const fromMeta = mr.bead.metadata?.source_bead_id;
  if (typeof fromMeta === "string" && fromMeta) return fromMeta;
  const dep = (index.depsFrom.get(mr.bead.id) ?? []).find((d) => d.dependencyType === "tracks");
  return dep?.dependsOnBeadId ?? null;
}

/** SPEC.md §3 #7: "parent is a review-and-merge convoy" = the MR's source is tracked by such a convoy. */
export function isReviewAndMergeConvoyMr(index: WorldIndex, mr: Mr): boolean {
  const sourceId = mrSourceId(index, mr);
  if (!sourceId) return false;
  return convoysTracking(index, sourceId).some((c) => c.mergeMode === "review-and-merge");
}

/** Polecats of a rig that hold a run slot now (working or stalled). */
export function runningPolecats(index: WorldIndex, rigId: string): Agent[] {
  return index.world.agents.filter((a) => a.role === "polecat" && a.rigId === rigId && (a.status === "working" || a.status === "stalled"));
}

/** Polecats of a rig that hold work: running, or idle but hooked to a non-terminal bead (they will be
 *  redispatched by B2, so new work must not take their slot). */
export function polecatsHoldingWork(index: WorldIndex, rigId: string): Agent[] {
  return index.world.agents.filter((a) => {
    if (a.role !== "polecat" || a.rigId !== rigId) return false;
    if (a.status === "working" || a.status === "stalled") return true;
    if (!a.currentHookBeadId) return false;
    const hooked = index.beads.get(a.currentHookBeadId);
    return !!hooked && !isTerminal(hooked.status);
  });
}
