import { z } from "zod";
import type { EffectiveSettings, RigOverrideConfig, TownConfig } from "./settings";

// The domain's view of a town: the rows of prisma/schema.prisma in camelCase, so the tick can load a world
// snapshot straight from the tables. Statuses are zod enums (they are validated at every boundary); the
// rows themselves are plain interfaces because they come from our own database, not from a caller.

export const BEAD_TYPES = ["issue", "message", "escalation", "merge_request", "convoy", "molecule", "agent"] as const;
export const BeadTypeSchema = z.enum(BEAD_TYPES);
export type BeadType = z.infer<typeof BeadTypeSchema>;

export const BEAD_STATUSES = ["open", "in_progress", "in_review", "closed", "failed"] as const;
export const BeadStatusSchema = z.enum(BEAD_STATUSES);
export type BeadStatus = z.infer<typeof BeadStatusSchema>;

export const TERMINAL_BEAD_STATUSES: readonly BeadStatus[] = ["closed", "failed"];
export function isTerminal(status: string): boolean {
  return status === "closed" || status === "failed";
}

export const PRIORITIES = ["low", "medium", "high", "critical"] as const;
export const PrioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof PrioritySchema>;

export const AGENT_ROLES = ["mayor", "polecat", "refinery"] as const;
export const AgentRoleSchema = z.enum(AGENT_ROLES);
export type AgentRole = z.infer<typeof AgentRoleSchema>;

/** A person's role in a town (town_members.role): what the tRPC layer and the services check. */
export const TOWN_ROLES = ["owner", "member", "viewer"] as const;
export type Role = (typeof TOWN_ROLES)[number];

export const AGENT_STATUSES = ["idle", "working", "waiting", "stalled", "dead"] as const;
export const AgentStatusSchema = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const DEPENDENCY_TYPES = ["blocks", "tracks", "parent-child"] as const;
export const DependencyTypeSchema = z.enum(DEPENDENCY_TYPES);
export type DependencyType = z.infer<typeof DependencyTypeSchema>;

export const NudgeModeSchema = z.enum(["wait-idle", "immediate", "queue"]);
export type NudgeMode = z.infer<typeof NudgeModeSchema>;
export const NudgePrioritySchema = z.enum(["normal", "urgent"]);
export type NudgePriority = z.infer<typeof NudgePrioritySchema>;

/** `beads` (DOMAIN.md §2.1). `labels` and `metadata` are the jsonb columns. */
export interface Bead {
  id: string;
  townId: string;
  type: BeadType;
  status: BeadStatus;
  title: string;
  body: string | null;
  rigId: string | null;
  parentBeadId: string | null;
  assigneeAgentBeadId: string | null;
  priority: Priority;
  labels: string[];
  metadata: Record<string, unknown>;
  dispatchAttempts: number;
  lastDispatchAttemptAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

/** `agent_metadata` joined with its agent bead: name = bead title, rig = bead rig_id (DOMAIN.md §2.2). */
export interface Agent {
  id: string;
  townId: string;
  name: string;
  rigId: string | null;
  role: AgentRole;
  identity: string;
  containerProcessId: string | null;
  status: AgentStatus;
  currentHookBeadId: string | null;
  dispatchAttempts: number;
  checkpoint: unknown;
  lastActivityAt: Date | null;
  agentStatusMessage: string | null;
  agentStatusUpdatedAt: Date | null;
  lastEventType: string | null;
  lastEventAt: Date | null;
  activeTools: string[];
  stalledAt: Date | null;
  dispatchedAt: Date | null;
  runtimeName: string | null;
  pid: number | null;
  logPath: string | null;
  createdAt: Date;
}

/** `review_metadata` (1:1 with a merge_request bead). */
export interface ReviewMetadata {
  beadId: string;
  townId: string;
  branch: string;
  targetBranch: string;
  mergeCommit: string | null;
  prUrl: string | null;
  retryCount: number;
  autoMergeReadySince: Date | null;
  lastFeedbackCheckAt: Date | null;
}

/** `convoy_metadata` (1:1 with a convoy bead). */
export interface ConvoyMetadata {
  beadId: string;
  townId: string;
  totalBeads: number;
  closedBeads: number;
  landedAt: Date | null;
  featureBranch: string | null;
  mergeMode: string | null;
  staged: boolean;
  readyToLand: boolean;
}

/** `escalation_metadata`. */
export interface EscalationMetadata {
  beadId: string;
  townId: string;
  severity: Priority;
  category: string | null;
  acknowledged: boolean;
  reEscalationCount: number;
  acknowledgedAt: Date | null;
}

/** `bead_dependencies`: `beadId` depends on `dependsOnBeadId` (blocks: cannot start until it resolves;
 *  tracks: is tracked by it — task → convoy, MR → source). */
export interface BeadDependency {
  townId: string;
  beadId: string;
  dependsOnBeadId: string;
  dependencyType: DependencyType;
  createdAt: Date;
}

/** `agent_nudges`. */
export interface AgentNudge {
  id: string;
  townId: string;
  agentBeadId: string;
  message: string;
  mode: NudgeMode;
  priority: NudgePriority;
  source: string;
  createdAt: Date;
  deliveredAt: Date | null;
  expiresAt: Date | null;
}

/** A `town_events` row as the drain hands it over (payload not yet validated). */
export interface TownEventRow {
  id: string;
  seq?: bigint | number;
  eventType: string;
  agentId: string | null;
  beadId: string | null;
  payload: unknown;
  createdAt: Date;
}

/** `bead_events` (audit timeline) as the domain writes it. */
export interface BeadEventRecord {
  beadId: string;
  agentId: string | null;
  /** the person who made the change (people's writes); absent for agents and the reconciler */
  actorUserId?: string | null;
  eventType: string;
  oldValue: string | null;
  newValue: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

/** A rig with its overrides and the effective settings resolved through the settings chain. */
export interface Rig {
  id: string;
  townId: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  config: RigOverrideConfig;
  settings: EffectiveSettings;
}

/** A merge-request bead together with its review metadata. */
export interface Mr {
  bead: Bead;
  review: ReviewMetadata;
}

/**
 * Everything `reconcile` reads, loaded once per tick. The loader must include:
 * - every non-terminal bead (except mail, which no rule reads), plus the terminal beads that a non-terminal
 *   bead depends on or is tracked by (failed blockers keep dependents blocked, B4 reads terminal MRs) —
 *   loading every non-message bead is the simple correct choice;
 * - every agent (joined with its agent bead); agent beads themselves need not be in `beads`;
 * - review/convoy/escalation metadata of the loaded beads, and every dependency between loaded beads;
 * - nudges created within the last hour (GUPP's dedupe window) or still undelivered.
 */
export interface World {
  townId: string;
  townSettings: TownConfig;
  rigs: Rig[];
  beads: Bead[];
  agents: Agent[];
  reviews: ReviewMetadata[];
  convoys: ConvoyMetadata[];
  escalations: EscalationMetadata[];
  dependencies: BeadDependency[];
  nudges: AgentNudge[];
  /** `dispatch_failed` events recorded in the last 30 min (SPEC.md §2 breaker input). */
  recentDispatchFailures: number;
  /** Whether the breaker was open at the previous tick, so the mayor is told once when it opens. */
  breakerWasOpen: boolean;
  /** Unread mail (open `message` beads) addressed to the mayor: what starts a mayor that is not alive. */
  mayorUnreadMail: number;
  /** Container drain flag (DOMAIN.md §5.10). Always false until drain exists, but the rules honour it. */
  draining: boolean;
  /** Verified GitHub webhook deliveries of the last WEBHOOK_FRESH_MS (issue 16), for R1's cadence: the
   *  latest per rig of the delivery's repository, and the latest per MR that asked for a poll. Absent or
   *  empty = no webhook, polling at the base cadence. */
  webhooks?: WebhookActivity;
}

export interface WebhookActivity {
  lastDeliveryAtByRig: Record<string, Date>;
  pollRequestedAtByMr: Record<string, Date>;
}

/** A failure reason recorded with a `failed` transition (DOMAIN.md §2.1). */
export interface FailureReason {
  code: string;
  message: string;
  source: string;
}

/** A bead label (jsonb array element): no spaces or quotes, so containment queries stay simple. */
export const LabelSchema = z.string().trim().min(1).max(100).regex(/^[^\s"]+$/, "Labels have no spaces or quotes.");
