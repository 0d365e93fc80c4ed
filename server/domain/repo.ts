import type { NotificationKind } from "./actions";
import type { OutboundMessage } from "./notify";
import type {
  Agent,
  AgentRole,
  AgentStatus,
  Bead,
  BeadEventRecord,
  BeadStatus,
  BeadType,
  ConvoyMetadata,
  DependencyType,
  EscalationMetadata,
  Mr,
  NudgeMode,
  NudgePriority,
  Priority,
  ReviewMetadata,
  Rig,
} from "./types";

// The port through which event applies and state actions read and write a town. Primitive, SQL-friendly
// operations only — each is one statement in Postgres (server/tick implements it inside the tick's
// transaction) and a few lines over arrays in MemoryTownRepo (tests). The domain decides; the repo just
// reads and writes rows. Every timestamp comes from the domain's `now`, never from the repo's clock.

export type BeadPatch = Partial<
  Pick<
    Bead,
    | "status" | "title" | "body" | "assigneeAgentBeadId" | "priority" | "labels" | "metadata" | "parentBeadId"
    | "dispatchAttempts" | "lastDispatchAttemptAt" | "updatedAt" | "closedAt"
  >
>;
export type AgentPatch = Partial<Omit<Agent, "id" | "townId" | "name" | "rigId" | "role" | "identity" | "createdAt">>;
export type ReviewPatch = Partial<Omit<ReviewMetadata, "beadId" | "townId">>;
export type ConvoyPatch = Partial<Omit<ConvoyMetadata, "beadId" | "townId">>;

export interface NewBead {
  type: BeadType;
  title: string;
  status?: BeadStatus;
  body?: string | null;
  rigId?: string | null;
  parentBeadId?: string | null;
  assigneeAgentBeadId?: string | null;
  priority?: Priority;
  labels?: string[];
  metadata?: Record<string, unknown>;
  createdBy?: string | null;
  createdAt: Date;
  /** satellites inserted with the bead (same id) */
  review?: Omit<ReviewMetadata, "beadId" | "townId">;
  convoy?: Omit<ConvoyMetadata, "beadId" | "townId">;
  escalation?: Omit<EscalationMetadata, "beadId" | "townId">;
}

/** The row a new bead is stored as — the columns' defaults, json columns as JSON round-trips them — the one
 *  definition the repositories that build rows themselves (memory, the drain's unit of work) share with
 *  Postgres's defaults (the contract suite holds them equal). */
export function newBeadRow(id: string, townId: string, input: NewBead): Bead {
  const json = <T>(v: T): T => JSON.parse(JSON.stringify(v));
  return {
    id,
    townId,
    type: input.type,
    status: input.status ?? "open",
    title: input.title,
    body: input.body ?? null,
    rigId: input.rigId ?? null,
    parentBeadId: input.parentBeadId ?? null,
    assigneeAgentBeadId: input.assigneeAgentBeadId ?? null,
    priority: input.priority ?? "medium",
    labels: json(input.labels ?? []),
    metadata: json(input.metadata ?? {}),
    dispatchAttempts: 0,
    lastDispatchAttemptAt: null,
    createdBy: input.createdBy ?? null,
    createdAt: new Date(input.createdAt),
    updatedAt: new Date(input.createdAt),
    closedAt: null,
  };
}

/** An agent bead (title = name, rig) plus its agent_metadata row. */
export interface NewAgent {
  name: string;
  role: AgentRole;
  rigId: string | null;
  identity: string;
  status: AgentStatus;
  lastActivityAt: Date | null;
  createdAt: Date;
}

export interface NewDependency {
  beadId: string;
  dependsOnBeadId: string;
  dependencyType: DependencyType;
  createdAt: Date;
}

export interface NewNudge {
  agentBeadId: string;
  message: string;
  mode: NudgeMode;
  priority: NudgePriority;
  source: string;
  createdAt: Date;
  expiresAt: Date | null;
}

export interface NewNotification {
  kind: NotificationKind;
  message: string;
  beadId: string | null;
  eventId: string | null;
  createdAt: Date;
}

export interface TownRepo {
  readonly townId: string;

  // ---- reads
  getBead(id: string): Promise<Bead | null>;
  getAgent(id: string): Promise<Agent | null>;
  getReview(mrBeadId: string): Promise<ReviewMetadata | null>;
  getConvoy(convoyBeadId: string): Promise<ConvoyMetadata | null>;
  /** with its effective settings resolved through the settings chain */
  getRig(id: string): Promise<Rig | null>;
  findMayor(): Promise<Agent | null>;
  /** the rig's refinery, whatever its status */
  findRefinery(rigId: string): Promise<Agent | null>;
  /** an idle, unhooked polecat of the rig (most recently active first), if any */
  findIdlePolecat(rigId: string): Promise<Agent | null>;
  listAgentsHookedTo(beadId: string): Promise<Agent[]>;
  /** names of every agent of the town (polecat names are town-global) */
  listAgentNames(): Promise<string[]>;
  /** beads that `beadId` depends on with this dependency type (its blockers, the convoy it is tracked by) */
  listDependencies(beadId: string, type: DependencyType): Promise<Bead[]>;
  /** beads that depend on `beadId` with this type (its dependents, the tasks a convoy tracks) */
  listDependents(beadId: string, type: DependencyType): Promise<Bead[]>;
  /** merge_request beads (with review metadata) that track the bead */
  listMrsTracking(beadId: string): Promise<Mr[]>;
  /** the agent's most recently updated non-terminal MR (assignee = agent) */
  findLatestActiveMrAssignedTo(agentId: string): Promise<Mr | null>;
  listBeadsAssignedTo(agentId: string): Promise<Bead[]>;
  /** beads carrying the label whose status is open or in_progress */
  listActiveBeadsWithLabel(label: string): Promise<Bead[]>;

  // ---- writes
  updateBead(id: string, patch: BeadPatch): Promise<void>;
  updateAgent(id: string, patch: AgentPatch): Promise<void>;
  updateReview(mrBeadId: string, patch: ReviewPatch): Promise<void>;
  updateConvoy(convoyBeadId: string, patch: ConvoyPatch): Promise<void>;
  insertBead(bead: NewBead): Promise<Bead>;
  insertAgent(agent: NewAgent): Promise<Agent>;
  /** insert or ignore: one row per ordered pair */
  insertDependency(dep: NewDependency): Promise<void>;
  insertBeadEvent(event: BeadEventRecord): Promise<void>;
  insertNudge(nudge: NewNudge): Promise<void>;
  insertNotification(notification: NewNotification): Promise<void>;
  /** Notifications out (issue 16): the outbox rows of one message, one per channel of the town that wants
   *  it, in the caller's transaction (server/tick/outbox.ts says why there). */
  insertOutbound(message: OutboundMessage): Promise<void>;
  /** deletes the agent bead and its satellites (nudges, tokens, its own bead events, dependencies) */
  deleteAgent(id: string): Promise<void>;
}
