import type { Readable, Writable } from "node:stream";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AgentRole } from "../../server/domain/types";
import { createAgentApi, formatApiError, formatIssues, readAgentEnv, withoutToken, type AgentApi, type AgentEnv } from "./api-client";
import { describeExtraTools, isToolForRole, listToolsForRole, getCatalogTool, validateArgs, type ExtraTool, type KitTool } from "./tools";

// The MCP face of the kit (SPEC.md §4.4b): a stdio server named `gastown` that a coding agent (Claude
// Code, Codex) starts from its MCP config. It offers the agent API's tools for the agent's role,
// validates arguments with the catalog's zod schema, forwards them, and answers with the JSON. Every
// failure is a tool result with isError and one line the model can act on, never a protocol error the
// model cannot see. stdout is the protocol: logs go to stderr, and neither ever carries the token.

export const MCP_SERVER_NAME = "gastown";
const VERSION = "1.0.0";

export interface GastownMcpOptions {
  role: AgentRole;
  api: AgentApi;
  /** Kit-local tools (e.g. a refinery's GitHub review tools), offered after the agent API's. */
  extraTools?: readonly ExtraTool[];
  /** One line per call (tool, outcome); defaults to stderr. Lines are redacted before they get here. */
  log?: (line: string) => void;
}

const text = (value: string, isError = false): CallToolResult => ({ content: [{ type: "text", text: value }], ...(isError ? { isError: true } : {}) });
const json = (value: unknown): string => JSON.stringify(value, null, 2) ?? "null";

/** The MCP server, not yet connected: `connect(transport)` it (stdio in production, in-memory in tests). */
export function createGastownMcpServer(options: GastownMcpOptions): Server {
  const { role, api } = options;
  const log = (line: string) => (options.log ?? ((l) => process.stderr.write(`${l}\n`)))(api.redact(`[gastown-mcp] ${line}`));
  const extraTools = options.extraTools ?? [];
  const extraListed = describeExtraTools(extraTools);
  const extraByName = new Map(extraTools.map((t) => [t.name, t]));
  const listed: KitTool[] = [
    ...listToolsForRole(role).map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
    ...extraListed,
  ];

  const server = new Server(
    { name: MCP_SERVER_NAME, version: VERSION },
    {
      capabilities: { tools: {} },
      instructions: `Tools of Gastown, the town that gave you your task, for a ${role}. Start with gt_prime.`,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: listed }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const name = request.params.name;
    const args: Record<string, unknown> = request.params.arguments ?? {};
    try {
      const extra = extraByName.get(name);
      if (extra) return await callExtra(extra, args);

      if (!isToolForRole(role, name)) {
        log(`${name}: refused (not a ${role} tool)`);
        const why = getCatalogTool(name) ? `${name} is not available to a ${role}` : `There is no tool "${name.slice(0, 100)}"`;
        return text(`${why}. Your tools: ${listed.map((t) => t.name).join(", ")}.`, true);
      }
      const tool = getCatalogTool(name)!;
      const valid = validateArgs(tool.schema, args);
      if (!valid.ok) {
        log(`${name}: invalid arguments`);
        return text(`Invalid arguments for ${name}: ${formatIssues(valid.issues)}`, true);
      }
      // The raw arguments, not the parsed ones: the API parses again, and a transform's output (the
      // checkpoint's parsed JSON) is not what its input schema accepts.
      const result = await api.call(name, args);
      if (!result.ok) {
        log(`${name}: ${result.status || result.code}`);
        return text(formatApiError(result), true);
      }
      log(`${name}: ${result.status}`);
      return text(api.redact(json(withoutToken(result.body))));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`${name}: failed: ${message}`);
      return text(api.redact(`${name} failed inside the gastown MCP server: ${message}`), true);
    }
  });

  async function callExtra(tool: ExtraTool, args: Record<string, unknown>): Promise<CallToolResult> {
    let input: Record<string, unknown> = args;
    if (tool.schema) {
      const parsed = tool.schema.safeParse(args);
      if (!parsed.success) {
        log(`${tool.name}: invalid arguments`);
        return text(`Invalid arguments for ${tool.name}: ${formatIssues(parsed.error.issues)}`, true);
      }
      input = parsed.data as Record<string, unknown>;
    }
    const result = await tool.handler(input);
    log(`${tool.name}: ${result.ok ? "ok" : "error"}`);
    return result.ok ? text(api.redact(json(result.body))) : text(api.redact(result.message), true);
  }

  return server;
}

/** What a module given to `gastown-agent mcp --extra-tools <module>` exports as `createExtraTools`. */
export type ExtraToolsFactory = (env: AgentEnv) => readonly ExtraTool[] | Promise<readonly ExtraTool[]>;

export interface RunMcpOptions {
  env?: Record<string, string | undefined>;
  /** Kit-local tools, or a function building them from the agent's env (called once, at start). */
  extraTools?: readonly ExtraTool[] | ExtraToolsFactory;
  stdin?: Readable;
  stdout?: Writable;
}

/**
 * Serves MCP over stdio until the client disconnects (stdin closes). Reads the agent env
 * (GASTOWN_API_URL, GASTOWN_AGENT_TOKEN, GASTOWN_AGENT_ROLE); throws AgentEnvError if it is incomplete.
 */
export async function runMcpServer(options: RunMcpOptions = {}): Promise<void> {
  const env = readAgentEnv(options.env ?? process.env);
  const api = createAgentApi({ apiUrl: env.apiUrl, token: env.token });
  const extraTools = typeof options.extraTools === "function" ? await options.extraTools(env) : (options.extraTools ?? []);
  const server = createGastownMcpServer({ role: env.role, api, extraTools });
  const transport = new StdioServerTransport(options.stdin, options.stdout);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  process.stderr.write(`[gastown-mcp] serving ${listToolsForRole(env.role).length} tools for a ${env.role}${extraTools.length ? ` and ${extraTools.length} kit-local` : ""}\n`);
  // The stdio transport does not notice stdin closing by itself; the agent closing it means "done".
  const input = options.stdin ?? process.stdin;
  input.once("end", () => void server.close());
  await closed;
}
