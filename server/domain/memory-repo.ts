import { LABELS } from "./constants";
import type { OutboundMessage } from "./notify";
import type { AgentPatch, BeadPatch, ConvoyPatch, NewAgent, NewBead, NewDependency, NewNotification, NewNudge, ReviewPatch, TownRepo } from "./repo";
import { newBeadRow } from "./repo";
import {
  isTerminal,
  type Agent,
  type Bead,
  type BeadEventRecord,
  type DependencyType,
  type Mr,
  type Rig,
  type World,
} from "./types";

// TownRepo over an in-memory World, for pure tests of event applies and state actions. It behaves like
// the database: reads return copies (so a missing write is a failing test, not a silent shared mutation),
// inserts get ids, dependencies are insert-or-ignore. `snapshot()` gives the World to reconcile next.

// Like the database: a patch writes only its defined keys (undefined means "leave it"), and json columns
// hold JSON (a Date inside metadata reads back as its ISO string).
const BEAD_JSON = ["labels", "metadata"];
const AGENT_JSON = ["checkpoint", "activeTools"];
const asJson = <T>(v: T): T => (v == null ? v : JSON.parse(JSON.stringify(v)));
function stored<T extends object>(patch: T, jsonKeys: string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = jsonKeys.includes(k) ? asJson(v) : structuredClone(v);
  }
  return out as Partial<T>;
}

export interface StoredNotification extends NewNotification {
  id: string;
}

export class MemoryTownRepo implements TownRepo {
  readonly townId: string;
  private world: World;
  readonly beadEvents: BeadEventRecord[] = [];
  readonly notifications: StoredNotification[] = [];
  /** notifications out (issue 16): the messages written, before the fan-out to channels */
  readonly outbound: OutboundMessage[] = [];
  private seq = 0;

  constructor(world: World) {
    this.world = structuredClone(world);
    this.townId = world.townId;
  }

  private nextId(prefix: string) {
    this.seq += 1;
    return `${prefix}-mem-${String(this.seq).padStart(4, "0")}`;
  }

  /** A copy of the current state, to reconcile or assert on. */
  snapshot(): World {
    const world = structuredClone(this.world);
    // Mail is not part of the world's beads in Postgres either: only its count for the mayor is.
    const mayor = world.agents.find((a) => a.role === "mayor");
    const mail = world.beads.filter((b) => b.type === "message");
    world.mayorUnreadMail = mayor ? mail.filter((b) => b.status === "open" && b.assigneeAgentBeadId === mayor.id).length : 0;
    world.beads = world.beads.filter((b) => b.type !== "message");
    return world;
  }

  // ---- reads

  async getBead(id: string) {
    const bead = this.world.beads.find((b) => b.id === id);
    return bead ? structuredClone(bead) : null;
  }
  async getAgent(id: string) {
    const agent = this.world.agents.find((a) => a.id === id);
    return agent ? structuredClone(agent) : null;
  }
  async getReview(mrBeadId: string) {
    const review = this.world.reviews.find((r) => r.beadId === mrBeadId);
    return review ? structuredClone(review) : null;
  }
  async getConvoy(convoyBeadId: string) {
    const convoy = this.world.convoys.find((c) => c.beadId === convoyBeadId);
    return convoy ? structuredClone(convoy) : null;
  }
  async getRig(id: string): Promise<Rig | null> {
    const rig = this.world.rigs.find((r) => r.id === id);
    return rig ? structuredClone(rig) : null;
  }
  async findMayor() {
    const mayor = this.world.agents.find((a) => a.role === "mayor");
    return mayor ? structuredClone(mayor) : null;
  }
  async findRefinery(rigId: string) {
    const refinery = this.world.agents.find((a) => a.role === "refinery" && a.rigId === rigId);
    return refinery ? structuredClone(refinery) : null;
  }
  async findIdlePolecat(rigId: string) {
    const idle = this.world.agents
      .filter((a) => a.role === "polecat" && a.rigId === rigId && a.status === "idle" && !a.currentHookBeadId)
      .sort((x, y) => (y.lastActivityAt?.getTime() ?? 0) - (x.lastActivityAt?.getTime() ?? 0))[0];
    return idle ? structuredClone(idle) : null;
  }
  async listAgentsHookedTo(beadId: string) {
    return structuredClone(this.world.agents.filter((a) => a.currentHookBeadId === beadId));
  }
  async listAgentNames() {
    return this.world.agents.map((a) => a.name);
  }
  async listDependencies(beadId: string, type: DependencyType) {
    const ids = this.world.dependencies.filter((d) => d.beadId === beadId && d.dependencyType === type).map((d) => d.dependsOnBeadId);
    return structuredClone(this.world.beads.filter((b) => ids.includes(b.id)));
  }
  async listDependents(beadId: string, type: DependencyType) {
    const ids = this.world.dependencies.filter((d) => d.dependsOnBeadId === beadId && d.dependencyType === type).map((d) => d.beadId);
    return structuredClone(this.world.beads.filter((b) => ids.includes(b.id)));
  }
  async listMrsTracking(beadId: string): Promise<Mr[]> {
    const out: Mr[] = [];
    for (const bead of await this.listDependents(beadId, "tracks")) {
      if (bead.type !== "merge_request") continue;
      const review = await this.getReview(bead.id);
      if (review) out.push({ bead, review });
    }
    return out;
  }
  async findLatestActiveMrAssignedTo(agentId: string): Promise<Mr | null> {
    const bead = this.world.beads
      .filter((b) => b.type === "merge_request" && b.assigneeAgentBeadId === agentId && !isTerminal(b.status))
      .sort((x, y) => y.updatedAt.getTime() - x.updatedAt.getTime())[0];
    if (!bead) return null;
    const review = await this.getReview(bead.id);
    return review ? { bead: structuredClone(bead), review } : null;
  }
  async listBeadsAssignedTo(agentId: string) {
    return structuredClone(this.world.beads.filter((b) => b.assigneeAgentBeadId === agentId));
  }
  async listActiveBeadsWithLabel(label: string) {
    return structuredClone(this.world.beads.filter((b) => (b.status === "open" || b.status === "in_progress") && b.labels.includes(label)));
  }

  // ---- writes

  private mustFind<T>(list: T[], pred: (x: T) => boolean, what: string): T {
    const found = list.find(pred);
    if (!found) throw new Error(`MemoryTownRepo: ${what} not found`);
    return found;
  }

  async updateBead(id: string, patch: BeadPatch) {
    Object.assign(this.mustFind(this.world.beads, (b) => b.id === id, `bead ${id}`), stored(patch, BEAD_JSON));
  }
  async updateAgent(id: string, patch: AgentPatch) {
    Object.assign(this.mustFind(this.world.agents, (a) => a.id === id, `agent ${id}`), stored(patch, AGENT_JSON));
  }
  async updateReview(mrBeadId: string, patch: ReviewPatch) {
    Object.assign(this.mustFind(this.world.reviews, (r) => r.beadId === mrBeadId, `review ${mrBeadId}`), stored(patch, []));
  }
  async updateConvoy(convoyBeadId: string, patch: ConvoyPatch) {
    Object.assign(this.mustFind(this.world.convoys, (c) => c.beadId === convoyBeadId, `convoy ${convoyBeadId}`), stored(patch, []));
  }

  async insertBead(input: NewBead): Promise<Bead> {
    const id = this.nextId(input.type);
    const bead = newBeadRow(id, this.townId, input);
    this.world.beads.push(structuredClone(bead));
    if (input.review) this.world.reviews.push({ ...structuredClone(input.review), beadId: id, townId: this.townId });
    if (input.convoy) this.world.convoys.push({ ...structuredClone(input.convoy), beadId: id, townId: this.townId });
    if (input.escalation) this.world.escalations.push({ ...structuredClone(input.escalation), beadId: id, townId: this.townId });
    return bead;
  }

  async insertAgent(input: NewAgent): Promise<Agent> {
    const id = this.nextId(input.role);
    const agent: Agent = {
      id,
      townId: this.townId,
      name: input.name,
      rigId: input.rigId,
      role: input.role,
      identity: input.identity,
      containerProcessId: null,
      status: input.status,
      currentHookBeadId: null,
      dispatchAttempts: 0,
      checkpoint: null,
      lastActivityAt: input.lastActivityAt,
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
      createdAt: input.createdAt,
    };
    if (this.world.agents.some((a) => a.identity === agent.identity)) throw new Error(`MemoryTownRepo: identity ${agent.identity} taken`);
    this.world.agents.push(structuredClone(agent));
    return agent;
  }

  async insertDependency(dep: NewDependency) {
    if (this.world.dependencies.some((d) => d.beadId === dep.beadId && d.dependsOnBeadId === dep.dependsOnBeadId)) return;
    this.world.dependencies.push({ ...dep, townId: this.townId });
  }

  async insertBeadEvent(event: BeadEventRecord) {
    if (!this.world.beads.some((b) => b.id === event.beadId)) throw new Error(`MemoryTownRepo: bead event for missing bead ${event.beadId}`);
    this.beadEvents.push(structuredClone(event));
  }

  async insertNudge(nudge: NewNudge) {
    this.world.nudges.push({ ...structuredClone(nudge), id: this.nextId("nudge"), townId: this.townId, deliveredAt: null });
  }

  async insertNotification(notification: NewNotification) {
    this.notifications.push({ ...structuredClone(notification), id: this.nextId("notification") });
  }

  async insertOutbound(message: OutboundMessage) {
    this.outbound.push(structuredClone(message));
  }

  async deleteAgent(id: string) {
    this.world.agents = this.world.agents.filter((a) => a.id !== id);
    this.world.nudges = this.world.nudges.filter((n) => n.agentBeadId !== id);
    this.world.dependencies = this.world.dependencies.filter((d) => d.beadId !== id && d.dependsOnBeadId !== id);
  }

  // ---- test conveniences

  bead(id: string): Bead {
    return structuredClone(this.mustFind(this.world.beads, (b) => b.id === id, `bead ${id}`));
  }
  agent(id: string): Agent {
    return structuredClone(this.mustFind(this.world.agents, (a) => a.id === id, `agent ${id}`));
  }
  review(id: string) {
    return structuredClone(this.mustFind(this.world.reviews, (r) => r.beadId === id, `review ${id}`));
  }
  convoy(id: string) {
    return structuredClone(this.mustFind(this.world.convoys, (c) => c.beadId === id, `convoy ${id}`));
  }
  beadsOfType(type: Bead["type"]): Bead[] {
    return structuredClone(this.world.beads.filter((b) => b.type === type));
  }
  mailTo(agentId: string): Bead[] {
    return structuredClone(this.world.beads.filter((b) => b.type === "message" && b.assigneeAgentBeadId === agentId && b.labels.includes(LABELS.message)));
  }
  eventsOf(beadId: string, eventType?: string): BeadEventRecord[] {
    return this.beadEvents.filter((e) => e.beadId === beadId && (!eventType || e.eventType === eventType));
  }
}
