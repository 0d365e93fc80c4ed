import { z } from "zod";
import { TOOL_CATALOG, TOOL_NAMES, toolsForRole, type ToolName, type ToolSpec } from "../../server/agent-api/catalog";
import type { AgentRole } from "../../server/domain/types";

// The tools an agent is offered, per role, straight from the server's catalog (server/agent-api/catalog.ts):
// the same zod schema the route parses with validates here first, and its JSON schema is what a model
// sees. Nothing is copied, so a tool changed on the server changes here too. Runtime callbacks
// (agent_completed, container_status) are the runtime's, never a model's, and are never offered.

/** A JSON schema for a tool's arguments; MCP wants `type: "object"` at the top. */
export interface JsonObjectSchema {
  type: "object";
  properties?: Record<string, JsonSchema>;
  required?: string[];
  [key: string]: unknown;
}
export type JsonSchema = Record<string, unknown>;

export interface KitTool {
  name: string;
  description: string;
  inputSchema: JsonObjectSchema;
}

/** A tool of the agent API: forwarded to POST /api/agent/<name> after local validation. */
export interface CatalogTool extends KitTool {
  name: ToolName;
  schema: z.ZodType;
}

/** What an extra (kit-local) tool's handler answers: a JSON answer, or a message for the model. */
export type ExtraToolResult = { ok: true; body: unknown } | { ok: false; message: string };

/**
 * A tool the kit handles itself, next to the agent, without the agent API (e.g. a refinery's
 * `gh_pr_comment`). Give `schema` (zod; arguments are validated with it and the JSON schema is generated)
 * or `inputSchema` (JSON schema only; arguments arrive unvalidated), or both.
 */
export interface ExtraTool {
  name: string;
  description: string;
  schema?: z.ZodType;
  inputSchema?: JsonObjectSchema;
  handler(args: Record<string, unknown>): Promise<ExtraToolResult> | ExtraToolResult;
}

/** The JSON schema of the arguments a caller sends (input side: the checkpoint's `data` is a string). */
export function toInputJsonSchema(schema: z.ZodType): JsonObjectSchema {
  // unrepresentable: "any" so a refinement or transform degrades to "anything" rather than throwing;
  // the zod schema still validates for real before the call.
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  if (json.type !== "object") throw new Error("A tool's arguments must be an object schema.");
  return json as JsonObjectSchema;
}

const cache = new Map<ToolName, CatalogTool>();

/** One catalog tool (callbacks included, for completeness), or null for an unknown name. */
export function getCatalogTool(name: string): CatalogTool | null {
  if (!(TOOL_NAMES as string[]).includes(name)) return null;
  const toolName = name as ToolName;
  let tool = cache.get(toolName);
  if (!tool) {
    const spec: ToolSpec = TOOL_CATALOG[toolName];
    tool = { name: toolName, description: spec.description, schema: spec.schema, inputSchema: toInputJsonSchema(spec.schema) };
    cache.set(toolName, tool);
  }
  return tool;
}

/** The agent API tools a role is offered, in catalog order (never the runtime callbacks). */
export function listToolsForRole(role: AgentRole): CatalogTool[] {
  return toolsForRole(role).map((name) => getCatalogTool(name)!);
}

/** Whether `name` is a tool this role is offered. */
export function isToolForRole(role: AgentRole, name: string): name is ToolName {
  return (toolsForRole(role) as string[]).includes(name);
}

/** Extra tools as offered to a model; refuses a name that would shadow an agent API tool or repeat. */
export function describeExtraTools(extraTools: readonly ExtraTool[]): KitTool[] {
  const seen = new Set<string>();
  return extraTools.map((tool) => {
    if ((TOOL_NAMES as string[]).includes(tool.name)) throw new Error(`Extra tool "${tool.name}" would shadow the agent API tool of that name.`);
    if (seen.has(tool.name)) throw new Error(`Extra tool "${tool.name}" is given twice.`);
    seen.add(tool.name);
    const inputSchema = tool.inputSchema ?? (tool.schema ? toInputJsonSchema(tool.schema) : { type: "object" as const, properties: {} });
    return { name: tool.name, description: tool.description, inputSchema };
  });
}

/** Validates arguments with a tool's zod schema, locally, before anything is sent. */
export function validateArgs(schema: z.ZodType, args: unknown): { ok: true } | { ok: false; issues: z.core.$ZodIssue[] } {
  const parsed = schema.safeParse(args);
  return parsed.success ? { ok: true } : { ok: false, issues: parsed.error.issues };
}
