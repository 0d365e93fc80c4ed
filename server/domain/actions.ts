import { z } from "zod";
import { AgentStatusSchema, BeadStatusSchema } from "./types";

// Actions (DOMAIN.md §4, without `report_wasteland_done`): what the reconciler and event applies ask the
// tick to do. Every action names the rule that emitted it ("B1", "R4", "event:bead_cancelled") and a
// human reason, so the tick record and the bead page can say why something happened.
// Type names are snake_case (wire), fields camelCase (TypeScript).

const Id = z.string().min(1);
const base = { rule: z.string().min(1), reason: z.string() };

export const TRIAGE_TYPES = ["dirty_polecat", "stuck_agent", "help_request", "zombie_confirm", "crash_loop", "escalation"] as const;
export const TriageTypeSchema = z.enum(TRIAGE_TYPES);
export type TriageType = z.infer<typeof TriageTypeSchema>;

export const NudgeTierSchema = z.enum(["warn", "escalate", "force_stop"]);
export type NudgeTier = z.infer<typeof NudgeTierSchema>;

export const NotificationKindSchema = z.enum(["mayor_notice", "breaker_open", "poisoned_event", "escalation"]);
export type NotificationKind = z.infer<typeof NotificationKindSchema>;

export const TransitionBeadSchema = z.object({
  type: z.literal("transition_bead"),
  ...base,
  beadId: Id,
  /** Compare-and-set: skip when the bead is no longer in this status. null = unconditional. */
  from: BeadStatusSchema.nullable(),
  to: BeadStatusSchema,
  actor: z.string().optional(),
});
export const AssignBeadSchema = z.object({ type: z.literal("assign_bead"), ...base, beadId: Id, agentId: Id });
export const ClearBeadAssigneeSchema = z.object({ type: z.literal("clear_bead_assignee"), ...base, beadId: Id });
export const CreateMrBeadSchema = z.object({
  type: z.literal("create_mr_bead"),
  ...base,
  sourceBeadId: Id,
  agentId: Id,
  rigId: Id,
  branch: z.string(),
  targetBranch: z.string(),
  prUrl: z.string().nullish(),
  summary: z.string().nullish(),
});
export const CreateLandingMrSchema = z.object({
  type: z.literal("create_landing_mr"),
  ...base,
  convoyId: Id,
  rigId: Id,
  featureBranch: z.string(),
  targetBranch: z.string(),
});
export const CloseSiblingMrsSchema = z.object({ type: z.literal("close_sibling_mrs"), ...base, sourceBeadId: Id, excludeMrId: Id });
export const SetReviewPrUrlSchema = z.object({ type: z.literal("set_review_pr_url"), ...base, beadId: Id, prUrl: z.string() });
export const TransitionAgentSchema = z.object({
  type: z.literal("transition_agent"),
  ...base,
  agentId: Id,
  from: AgentStatusSchema.nullable(),
  to: AgentStatusSchema,
});
export const ResetAgentDispatchAttemptsSchema = z.object({ type: z.literal("reset_agent_dispatch_attempts"), ...base, agentId: Id });
export const HookAgentSchema = z.object({ type: z.literal("hook_agent"), ...base, agentId: Id, beadId: Id });
export const UnhookAgentSchema = z.object({ type: z.literal("unhook_agent"), ...base, agentId: Id });
export const ClearAgentCheckpointSchema = z.object({ type: z.literal("clear_agent_checkpoint"), ...base, agentId: Id });
export const DeleteAgentSchema = z.object({ type: z.literal("delete_agent"), ...base, agentId: Id });
export const UpdateConvoyProgressSchema = z.object({
  type: z.literal("update_convoy_progress"),
  ...base,
  convoyId: Id,
  closedBeads: z.number().int().min(0),
  totalBeads: z.number().int().min(0),
});
export const SetConvoyReadyToLandSchema = z.object({ type: z.literal("set_convoy_ready_to_land"), ...base, convoyId: Id });
export const CloseConvoySchema = z.object({ type: z.literal("close_convoy"), ...base, convoyId: Id });
export const FailConvoySchema = z.object({ type: z.literal("fail_convoy"), ...base, convoyId: Id });
export const CreateTriageRequestSchema = z.object({
  type: z.literal("create_triage_request"),
  ...base,
  agentId: Id,
  triageType: TriageTypeSchema,
});
export const NotifyMayorSchema = z.object({
  type: z.literal("notify_mayor"),
  ...base,
  message: z.string(),
  kind: NotificationKindSchema.default("mayor_notice"),
});
export const EmitEventSchema = z.object({
  type: z.literal("emit_event"),
  ...base,
  eventName: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export const DispatchAgentSchema = z.object({
  type: z.literal("dispatch_agent"),
  ...base,
  /** null (DOMAIN.md's '') = resolve at apply time: the rig's refinery (found or created) for an MR, a new
   *  polecat otherwise — the reconciler names a reusable idle polecat itself when there is one. */
  agentId: z.string().nullable(),
  beadId: Id,
  rigId: z.string().nullable(),
});
/** Ours (SPEC.md §4.4b): start the hookless mayor through the town's runtime (mail waits for it). */
export const StartMayorSchema = z.object({ type: z.literal("start_mayor"), ...base, agentId: Id });
export const StopAgentSchema = z.object({ type: z.literal("stop_agent"), ...base, agentId: Id });
export const PollPrSchema = z.object({ type: z.literal("poll_pr"), ...base, beadId: Id, prUrl: z.string() });
export const MergePrSchema = z.object({ type: z.literal("merge_pr"), ...base, beadId: Id, prUrl: z.string() });
export const SendNudgeSchema = z.object({
  type: z.literal("send_nudge"),
  ...base,
  agentId: Id,
  message: z.string(),
  tier: NudgeTierSchema,
});

export const ActionSchema = z.discriminatedUnion("type", [
  TransitionBeadSchema,
  AssignBeadSchema,
  ClearBeadAssigneeSchema,
  CreateMrBeadSchema,
  CreateLandingMrSchema,
  CloseSiblingMrsSchema,
  SetReviewPrUrlSchema,
  TransitionAgentSchema,
  ResetAgentDispatchAttemptsSchema,
  HookAgentSchema,
  UnhookAgentSchema,
  ClearAgentCheckpointSchema,
  DeleteAgentSchema,
  UpdateConvoyProgressSchema,
  SetConvoyReadyToLandSchema,
  CloseConvoySchema,
  FailConvoySchema,
  CreateTriageRequestSchema,
  NotifyMayorSchema,
  EmitEventSchema,
  DispatchAgentSchema,
  StartMayorSchema,
  StopAgentSchema,
  PollPrSchema,
  MergePrSchema,
  SendNudgeSchema,
]);
export type Action = z.output<typeof ActionSchema>;
export type ActionType = Action["type"];
export type ActionOf<T extends ActionType> = Extract<Action, { type: T }>;

/**
 * Which phase of the tick runs an action (SPEC.md §2, DOMAIN.md §4):
 * - `state`: a synchronous write in the tick's state phase (`applyStateAction`);
 * - `side_effect`: only an outside call after the state phase (runtime, GitHub); it never writes state,
 *   it enqueues events;
 * - `split`: a state part in the state phase, then a side effect — `dispatch_agent` (hook, working,
 *   in_progress, counters; then the runtime start), `poll_pr` (last_poll_at pre-write; then GitHub),
 *   `send_nudge` (the nudge row; delivery rides on the next heartbeat answer).
 */
export type ActionPhase = "state" | "side_effect" | "split";

export const ACTION_PHASES = {
  transition_bead: "state",
  assign_bead: "state",
  clear_bead_assignee: "state",
  create_mr_bead: "state",
  create_landing_mr: "state",
  close_sibling_mrs: "state",
  set_review_pr_url: "state",
  transition_agent: "state",
  reset_agent_dispatch_attempts: "state",
  hook_agent: "state",
  unhook_agent: "state",
  clear_agent_checkpoint: "state",
  delete_agent: "state",
  update_convoy_progress: "state",
  set_convoy_ready_to_land: "state",
  close_convoy: "state",
  fail_convoy: "state",
  create_triage_request: "state",
  notify_mayor: "state",
  emit_event: "state",
  dispatch_agent: "split",
  start_mayor: "split",
  stop_agent: "side_effect",
  poll_pr: "split",
  merge_pr: "side_effect",
  send_nudge: "split",
} as const satisfies { [K in ActionType]: ActionPhase };

export const ACTION_TYPES = Object.keys(ACTION_PHASES) as ActionType[];

export function hasStatePart(type: ActionType): boolean {
  return ACTION_PHASES[type] !== "side_effect";
}

export function hasSideEffect(type: ActionType): boolean {
  return ACTION_PHASES[type] !== "state";
}

export function isStateAction(action: Action): boolean {
  return hasStatePart(action.type);
}

export function isSideEffectAction(action: Action): boolean {
  return hasSideEffect(action.type);
}

/** The entity an action is about, for tick records ("type, target, rule/reason"). */
export function actionTarget(action: Action): { kind: "bead" | "agent" | "convoy" | "town"; id: string | null } {
  switch (action.type) {
    case "transition_bead":
    case "assign_bead":
    case "clear_bead_assignee":
    case "set_review_pr_url":
    case "dispatch_agent":
    case "poll_pr":
    case "merge_pr":
      return { kind: "bead", id: action.beadId };
    case "create_mr_bead":
    case "close_sibling_mrs":
      return { kind: "bead", id: action.sourceBeadId };
    case "transition_agent":
    case "reset_agent_dispatch_attempts":
    case "hook_agent":
    case "unhook_agent":
    case "clear_agent_checkpoint":
    case "delete_agent":
    case "create_triage_request":
    case "stop_agent":
    case "start_mayor":
    case "send_nudge":
      return { kind: "agent", id: action.agentId };
    case "create_landing_mr":
    case "update_convoy_progress":
    case "set_convoy_ready_to_land":
    case "close_convoy":
    case "fail_convoy":
      return { kind: "convoy", id: action.convoyId };
    case "notify_mayor":
    case "emit_event":
      return { kind: "town", id: null };
  }
}
