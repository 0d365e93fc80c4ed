import { agentCompleted, containerStatus, gtDone } from "./tools/callbacks";
import type { ToolName } from "./catalog";
import type { AgentTool } from "./tools/define";
import { gtCheckpoint, gtHeartbeat, gtMailCheck, gtPrime } from "./tools/liveness";
import { gtBeadUpdate, gtConvoyClose, gtConvoyStart, gtListBeads, gtReply, gtSling, gtSlingBatch } from "./tools/mayor";
import { gtBeadStatus, gtEscalate, gtMailSend, gtRequestChanges } from "./tools/work";

// Every tool of the agent API by its wire name (SPEC.md §4.3): POST /api/agent/<name>.
export const AGENT_TOOLS = {
  gt_prime: gtPrime,
  gt_done: gtDone,
  gt_heartbeat: gtHeartbeat,
  gt_request_changes: gtRequestChanges,
  gt_escalate: gtEscalate,
  gt_checkpoint: gtCheckpoint,
  gt_mail_send: gtMailSend,
  gt_mail_check: gtMailCheck,
  gt_bead_status: gtBeadStatus,
  // mayor only
  gt_sling: gtSling,
  gt_sling_batch: gtSlingBatch,
  gt_list_beads: gtListBeads,
  gt_bead_update: gtBeadUpdate,
  gt_convoy_start: gtConvoyStart,
  gt_convoy_close: gtConvoyClose,
  gt_reply: gtReply,
  // runtime callbacks (same token)
  agent_completed: agentCompleted,
  container_status: containerStatus,
} satisfies Record<ToolName, AgentTool>;

export type AgentToolName = keyof typeof AGENT_TOOLS;
export const AGENT_TOOL_NAMES = Object.keys(AGENT_TOOLS) as AgentToolName[];

export function getAgentTool(name: string): AgentTool | null {
  return Object.hasOwn(AGENT_TOOLS, name) ? (AGENT_TOOLS[name as AgentToolName] as AgentTool) : null;
}
