import type { Action, ActionOf, NudgeTier, TriageType } from "../actions";
import type { AgentStatus, BeadStatus } from "../types";

// Small constructors so a rule reads like its one-line description in DOMAIN.md.

export const act = {
  transitionBead: (rule: string, beadId: string, from: BeadStatus | null, to: BeadStatus, reason: string): ActionOf<"transition_bead"> => ({
    type: "transition_bead", rule, reason, beadId, from, to, actor: "reconciler",
  }),
  transitionAgent: (rule: string, agentId: string, from: AgentStatus | null, to: AgentStatus, reason: string): ActionOf<"transition_agent"> => ({
    type: "transition_agent", rule, reason, agentId, from, to,
  }),
  clearBeadAssignee: (rule: string, beadId: string, reason: string): ActionOf<"clear_bead_assignee"> => ({
    type: "clear_bead_assignee", rule, reason, beadId,
  }),
  hookAgent: (rule: string, agentId: string, beadId: string, reason: string): ActionOf<"hook_agent"> => ({
    type: "hook_agent", rule, reason, agentId, beadId,
  }),
  unhookAgent: (rule: string, agentId: string, reason: string): ActionOf<"unhook_agent"> => ({
    type: "unhook_agent", rule, reason, agentId,
  }),
  clearAgentCheckpoint: (rule: string, agentId: string, reason: string): ActionOf<"clear_agent_checkpoint"> => ({
    type: "clear_agent_checkpoint", rule, reason, agentId,
  }),
  dispatchAgent: (rule: string, agentId: string | null, beadId: string, rigId: string | null, reason: string): ActionOf<"dispatch_agent"> => ({
    type: "dispatch_agent", rule, reason, agentId, beadId, rigId,
  }),
  startMayor: (rule: string, agentId: string, reason: string): ActionOf<"start_mayor"> => ({
    type: "start_mayor", rule, reason, agentId,
  }),
  stopAgent: (rule: string, agentId: string, reason: string): ActionOf<"stop_agent"> => ({
    type: "stop_agent", rule, reason, agentId,
  }),
  deleteAgent: (rule: string, agentId: string, reason: string): ActionOf<"delete_agent"> => ({
    type: "delete_agent", rule, reason, agentId,
  }),
  pollPr: (rule: string, beadId: string, prUrl: string, reason: string): ActionOf<"poll_pr"> => ({
    type: "poll_pr", rule, reason, beadId, prUrl,
  }),
  mergePr: (rule: string, beadId: string, prUrl: string, reason: string): ActionOf<"merge_pr"> => ({
    type: "merge_pr", rule, reason, beadId, prUrl,
  }),
  sendNudge: (rule: string, agentId: string, tier: NudgeTier, message: string, reason: string): ActionOf<"send_nudge"> => ({
    type: "send_nudge", rule, reason, agentId, tier, message,
  }),
  createTriageRequest: (rule: string, agentId: string, triageType: TriageType, reason: string): ActionOf<"create_triage_request"> => ({
    type: "create_triage_request", rule, reason, agentId, triageType,
  }),
  notifyMayor: (rule: string, message: string, kind: ActionOf<"notify_mayor">["kind"], reason: string): ActionOf<"notify_mayor"> => ({
    type: "notify_mayor", rule, reason, message, kind,
  }),
  updateConvoyProgress: (rule: string, convoyId: string, closedBeads: number, totalBeads: number, reason: string): ActionOf<"update_convoy_progress"> => ({
    type: "update_convoy_progress", rule, reason, convoyId, closedBeads, totalBeads,
  }),
  setConvoyReadyToLand: (rule: string, convoyId: string, reason: string): ActionOf<"set_convoy_ready_to_land"> => ({
    type: "set_convoy_ready_to_land", rule, reason, convoyId,
  }),
  closeConvoy: (rule: string, convoyId: string, reason: string): ActionOf<"close_convoy"> => ({
    type: "close_convoy", rule, reason, convoyId,
  }),
  createLandingMr: (rule: string, convoyId: string, rigId: string, featureBranch: string, targetBranch: string, reason: string): ActionOf<"create_landing_mr"> => ({
    type: "create_landing_mr", rule, reason, convoyId, rigId, featureBranch, targetBranch,
  }),
} satisfies Record<string, (...args: never[]) => Action>;
