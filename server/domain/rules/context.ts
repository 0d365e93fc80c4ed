import type { Action } from "../actions";
import { agentsHookedTo, polecatsHoldingWork, runningPolecats, settingsFor, type WorldIndex } from "../world";
import { isTerminal, type World } from "../types";

// What every rule receives, and the plan that guarantees one consistent decision per entity per tick.
//
// A rule yields *decisions*: the actions it wants for one target, accepted or dropped together (R7's
// stop + unhook + idle must not be half-applied). The plan accepts a decision only if it does not move a
// bead or agent to a different state than an earlier accepted decision, and never dispatches the same
// bead or agent twice. Rules run in the order of DOMAIN.md §5.3, so earlier families win. Rules are
// generators: the plan is updated between two yields, so a rule can read counters (the concurrency cap)
// that include its own earlier decisions.

export type Decision = readonly Action[];

export interface Move {
  kind: "bead" | "agent";
  id: string;
  /** the status the entity ends in; `deleted` for delete_agent */
  to: string;
}

/** The status changes an action causes, as far as the snapshot can tell. `hook_agent` is not a move: it
 *  only ever targets an idle agent (R5), and dispatch's own hook is part of the dispatch. */
export function actionMoves(action: Action, index: WorldIndex): Move[] {
  switch (action.type) {
    case "transition_bead":
      return [{ kind: "bead", id: action.beadId, to: action.to }];
    case "transition_agent":
      return [{ kind: "agent", id: action.agentId, to: action.to }];
    case "dispatch_agent": {
      const moves: Move[] = [{ kind: "bead", id: action.beadId, to: "in_progress" }];
      if (action.agentId) moves.push({ kind: "agent", id: action.agentId, to: "working" });
      return moves;
    }
    case "unhook_agent":
      return [{ kind: "agent", id: action.agentId, to: "idle" }];
    case "start_mayor":
      return [{ kind: "agent", id: action.agentId, to: "working" }];
    case "clear_bead_assignee":
      return agentsHookedTo(index, action.beadId).map((a) => ({ kind: "agent" as const, id: a.id, to: "idle" }));
    case "delete_agent":
      return [{ kind: "agent", id: action.agentId, to: "deleted" }];
    case "close_convoy":
      return [{ kind: "bead", id: action.convoyId, to: "closed" }];
    case "fail_convoy":
      return [{ kind: "bead", id: action.convoyId, to: "failed" }];
    default:
      return [];
  }
}

export interface DroppedDecision {
  actions: Decision;
  conflict: string;
}

interface RigDispatchCount {
  /** polecat dispatches planned this tick */
  running: number;
  /** of those, polecats that did not hold work before (new work taking a slot) */
  newHolders: number;
}

export class Plan {
  private readonly accepted: Action[] = [];
  private readonly droppedDecisions: DroppedDecision[] = [];
  private readonly claims = new Map<string, { to: string; rule: string }>();
  private readonly dispatchedBeads = new Set<string>();
  private readonly dispatchedAgents = new Set<string>();
  private readonly stoppedAgents = new Set<string>();
  private readonly rigDispatches = new Map<string, RigDispatchCount>();

  constructor(private readonly index: WorldIndex) {}

  /** Actions that must happen before ours (the event-emitted ones, merged ahead by the tick): they claim
   *  their moves but are not returned by reconcile. */
  seed(actions: readonly Action[]) {
    for (const action of actions) this.record(action, false);
  }

  /** Accepts the decision if it is consistent with everything accepted so far. */
  offer(decision: Decision): boolean {
    const conflict = this.findConflict(decision);
    if (conflict) {
      this.droppedDecisions.push({ actions: decision, conflict });
      return false;
    }
    for (const action of decision) this.record(action, true);
    return true;
  }

  private findConflict(decision: Decision): string | null {
    // The net move per entity inside one decision (its own sequence is intentional, e.g. fail + unhook).
    const net = new Map<string, string>();
    for (const action of decision) {
      for (const move of actionMoves(action, this.index)) net.set(`${move.kind}:${move.id}`, move.to);
      if (action.type === "dispatch_agent") {
        if (this.dispatchedBeads.has(action.beadId)) return `bead ${action.beadId} is already dispatched this tick`;
        if (action.agentId && this.dispatchedAgents.has(action.agentId)) return `agent ${action.agentId} is already dispatched this tick`;
        if (action.agentId && this.stoppedAgents.has(action.agentId)) return `agent ${action.agentId} is being stopped this tick`;
      }
    }
    for (const [key, to] of net) {
      const claim = this.claims.get(key);
      if (claim && claim.to !== to) return `${key} is already moved to ${claim.to} by ${claim.rule}`;
    }
    return null;
  }

  private record(action: Action, keep: boolean) {
    if (keep) this.accepted.push(action);
    for (const move of actionMoves(action, this.index)) {
      const key = `${move.kind}:${move.id}`;
      if (!this.claims.has(key)) this.claims.set(key, { to: move.to, rule: action.rule });
    }
    if (action.type === "stop_agent") this.stoppedAgents.add(action.agentId);
    if (action.type === "dispatch_agent") {
      this.dispatchedBeads.add(action.beadId);
      if (action.agentId) this.dispatchedAgents.add(action.agentId);
      this.countPolecatDispatch(action);
    }
  }

  private countPolecatDispatch(action: Extract<Action, { type: "dispatch_agent" }>) {
    const bead = this.index.beads.get(action.beadId);
    if (!bead || bead.type === "merge_request") return; // refinery work does not count against the cap
    const rigId = action.rigId ?? bead.rigId;
    if (!rigId) return;
    const agent = action.agentId ? this.index.agents.get(action.agentId) : undefined;
    if (agent && agent.role !== "polecat") return;
    const count = this.rigDispatches.get(rigId) ?? { running: 0, newHolders: 0 };
    count.running += 1;
    const heldWorkBefore =
      !!agent?.currentHookBeadId && !isTerminal(this.index.beads.get(agent.currentHookBeadId)?.status ?? "closed");
    if (!heldWorkBefore) count.newHolders += 1;
    this.rigDispatches.set(rigId, count);
  }

  /** The entity already has a planned status change this tick. */
  isMoved(kind: "bead" | "agent", id: string): boolean {
    return this.claims.has(`${kind}:${id}`);
  }

  isAgentTaken(agentId: string): boolean {
    return this.dispatchedAgents.has(agentId) || this.stoppedAgents.has(agentId) || this.claims.has(`agent:${agentId}`);
  }

  /** SPEC.md §3 #9: may one more polecat run in this rig? `newWork` = the dispatch takes a new slot (B1)
   *  rather than resuming hooked work (B2). */
  hasPolecatCapacity(rigId: string, newWork: boolean): boolean {
    const cap = settingsFor(this.index, rigId).maxConcurrentPolecats;
    const planned = this.rigDispatches.get(rigId) ?? { running: 0, newHolders: 0 };
    const running = runningPolecats(this.index, rigId).length + planned.running;
    if (running >= cap) return false;
    if (!newWork) return true;
    const holding = polecatsHoldingWork(this.index, rigId).length + planned.newHolders;
    return holding < cap;
  }

  actions(): Action[] {
    return [...this.accepted];
  }

  dropped(): DroppedDecision[] {
    return [...this.droppedDecisions];
  }
}

export interface RuleContext {
  world: World;
  index: WorldIndex;
  now: Date;
  /** SPEC.md §2: evaluated once per tick, before every rule. */
  breakerOpen: boolean;
  plan: Plan;
}

/** A rule family: yields decisions in order; the plan accepts or drops each one. */
export type Rule = (ctx: RuleContext) => Iterable<Decision>;
