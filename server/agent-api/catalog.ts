import type { z } from "zod";
import type { AgentRole } from "../domain/types";
import {
  AgentCompletedBodySchema,
  BeadStatusBodySchema,
  BeadUpdateBodySchema,
  CheckpointBodySchema,
  ContainerStatusBodySchema,
  ConvoyRefBodySchema,
  EmptyBodySchema,
  EscalateBodySchema,
  GtDoneBodySchema,
  HeartbeatBodySchema,
  ListBeadsBodySchema,
  MAX_LIST_BEADS,
  MailSendBodySchema,
  ReplyBodySchema,
  RequestChangesBodySchema,
  SlingBatchBodySchema,
  SlingBodySchema,
} from "./schemas";

// What each agent API tool is, without how it runs: its body schema, who may call it and what it does, in
// words written for a model. The route (registry.ts) adds the server function; the agent kit builds its
// MCP tools and `gt` CLI from this same table, so a tool's schema exists once. Pure: zod and the schemas
// only, no database, so the kit can import it without the server.

export interface ToolSpec<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** The roles that may call it; absent = every role. */
  roles?: readonly AgentRole[];
  description: string;
  /** `callback`: the runtime's own calls (process exit, status), not offered to a model. */
  kind: "tool" | "callback";
}

const MAYOR_ONLY = ["mayor"] as const satisfies readonly AgentRole[];
const REFINERY_ONLY = ["refinery"] as const satisfies readonly AgentRole[];
const WORKERS = ["polecat", "refinery"] as const satisfies readonly AgentRole[];

const spec = <S extends z.ZodType>(s: ToolSpec<S>): ToolSpec<S> => s;

export const TOOL_CATALOG = {
  gt_prime: spec({
    kind: "tool",
    schema: EmptyBodySchema,
    description:
      "Fetch your start context: who you are, the bead on your hook (your task), unread mail (marked read), up to 20 open beads of your rig, and rework or PR-fixup context when your task continues an existing branch. Call it first.",
  }),
  gt_done: spec({
    kind: "tool",
    roles: WORKERS,
    schema: GtDoneBodySchema,
    description:
      "Report your task finished: {branch, pr_url?, summary?}. A polecat passes the branch it pushed (and the pull request URL with the `pr` merge strategy); a refinery passes the branch it reviewed or merged. It is recorded; the next tick unhooks you and moves the work on. Call it once, at the end.",
  }),
  gt_heartbeat: spec({
    kind: "tool",
    schema: HeartbeatBodySchema,
    description:
      "Prove you are alive, about every 30 s: {last_event_type?, last_event_at?, active_tools?, status?}. The answer carries your pending nudges and unread mail (each delivered once) and, when your token is over an hour old, a fresh `token` to use from then on. The mayor sends status `waiting` while it waits for people and `working` while it acts.",
  }),
  gt_request_changes: spec({
    kind: "tool",
    roles: REFINERY_ONLY,
    schema: RequestChangesBodySchema,
    description:
      "Refinery, hooked to a merge request, review mode `rework`: {feedback, files?}. Creates a gt:rework bead that blocks the merge request; a polecat fixes the same branch and the MR comes back to you.",
  }),
  gt_escalate: spec({
    kind: "tool",
    schema: EscalateBodySchema,
    description:
      "Ask people for help when you are stuck or something is wrong: {title, body?, priority? (low|medium|high|critical), metadata?}. Creates an escalation people see; above low the mayor is told.",
  }),
  gt_checkpoint: spec({
    kind: "tool",
    schema: CheckpointBodySchema,
    description:
      "Save crash-recovery state: {data: a JSON string}. If you are restarted on the same task, your prompt includes it. Cleared when you are unhooked.",
  }),
  gt_mail_send: spec({
    kind: "tool",
    schema: MailSendBodySchema,
    description: "Send mail to another agent of your town: {to_agent_id, subject, body}. It reaches them with their next heartbeat or prime.",
  }),
  gt_mail_check: spec({
    kind: "tool",
    schema: EmptyBodySchema,
    description: "Read your unread mail (each message is marked read and returned once).",
  }),
  gt_bead_status: spec({
    kind: "tool",
    schema: BeadStatusBodySchema,
    description: "Read one bead of your town by id: {bead_id}. Returns its type, status, title, body, labels, rig and assignee.",
  }),
  gt_sling: spec({
    kind: "tool",
    roles: MAYOR_ONLY,
    schema: SlingBodySchema,
    description:
      "Mayor: create an open issue in a rig for a polecat to work on: {rig_id, title, body?, metadata?, labels?, priority?}. The reconciler hooks and dispatches a polecat on a following tick. Use one issue per independent piece of work; say what done looks like in the body.",
  }),
  gt_sling_batch: spec({
    kind: "tool",
    roles: MAYOR_ONLY,
    schema: SlingBatchBodySchema,
    description:
      "Mayor: create a convoy of related tasks in one rig: {rig_id, convoy_title, tasks: [{title, body?, depends_on?: 0-based indices of tasks it waits for}], merge_mode? (review-then-land|review-and-merge), parallel?, staged?, metadata?}. A staged convoy waits for gt_convoy_start.",
  }),
  gt_list_beads: spec({
    kind: "tool",
    roles: MAYOR_ONLY,
    schema: ListBeadsBodySchema,
    description: `Mayor: list beads of the town, newest first: {rig_id?, status?, type?, limit? (at most ${MAX_LIST_BEADS})}. Use it to see what is already planned before you sling more.`,
  }),
  gt_bead_update: spec({
    kind: "tool",
    roles: MAYOR_ONLY,
    schema: BeadUpdateBodySchema,
    description: "Mayor: change a bead: {bead_id, title?, body?, status?, priority?, labels? (replaces all), reason?}. Finished beads cannot be changed.",
  }),
  gt_convoy_start: spec({
    kind: "tool",
    roles: MAYOR_ONLY,
    schema: ConvoyRefBodySchema,
    description: "Mayor: start a staged convoy so its tasks can be dispatched: {convoy_id}.",
  }),
  gt_convoy_close: spec({
    kind: "tool",
    roles: MAYOR_ONLY,
    schema: ConvoyRefBodySchema,
    description: "Mayor: force-close a convoy and every unfinished bead it tracks: {convoy_id}. Use it only when people ask to drop the work.",
  }),
  gt_reply: spec({
    kind: "tool",
    roles: MAYOR_ONLY,
    schema: ReplyBodySchema,
    description:
      "Mayor: answer the town's people in the Mayor conversation: {text}. Everything people should read goes through this tool; your other output is not shown to them. Keep it short: what you understood, what you slung, what you need from them.",
  }),
  agent_completed: spec({
    kind: "callback",
    schema: AgentCompletedBodySchema,
    description: "Runtime callback on process exit: {status: completed|failed, reason?}.",
  }),
  container_status: spec({
    kind: "callback",
    schema: ContainerStatusBodySchema,
    description: "Runtime callback with the agent's process status: {status, exit_reason?}.",
  }),
} satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOL_CATALOG;
export const TOOL_NAMES = Object.keys(TOOL_CATALOG) as ToolName[];

/** The tools (not callbacks) a role may call, in catalog order. */
export function toolsForRole(role: AgentRole): ToolName[] {
  return TOOL_NAMES.filter((name) => {
    const tool: ToolSpec = TOOL_CATALOG[name];
    return tool.kind === "tool" && (!tool.roles || tool.roles.includes(role));
  });
}
