import * as Sentry from "@sentry/nextjs";
import { z } from "zod";
import { containsNul } from "../validation";
import type { PrismaClient } from "../db/generated/client";
import { errorResponse, toAgentApiError, zodIssues } from "./errors";
import { AGENT_TOOL_NAMES, getAgentTool } from "./registry";
import { TOKEN_REFUSAL_MESSAGES, verifyAgentToken } from "../secrets/agent-tokens";
import { getLogger, type Logger } from "../log";
import type { FeatureBranchCreator } from "./tools/define";

// One agent API request, from raw Request to Response (SPEC.md §4.3), in this order: declared size (413),
// bearer token (401) — before a byte of the body is read, so nobody without a token can make the server
// buffer a megabyte —, body size (413), JSON (400), tool (404 with the list), body schema (400 with the zod issues), role (403),
// then the tool's one server function. Expected refusals from the tool keep their status (404 unknown
// bead, 409 terminal bead …); anything else is a 500 reported to Sentry. The token is never logged, and
// neither are headers or bodies: each request makes one log line (a child logger with town_id, agent_id and
// tool once the token says who calls) with its status and duration.

/** SPEC.md §3b: any body over 1 MiB is refused. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface AgentApiDeps {
  db: PrismaClient;
  now: Date;
  /** Creates convoy feature branches on GitHub; absent = skipped. */
  github?: FeatureBranchCreator | null;
  /** Token signing key; defaults to GASTOWN_TOKEN_KEY. */
  tokenKey?: string;
  /** Default: the process's logger (server/log.ts). */
  log?: Logger;
}

/** The body's bytes, or null as soon as it grows past `max` (the rest is never read). */
export async function readBodyCapped(req: Request, max: number): Promise<Uint8Array | null> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const tooLarge = () => errorResponse(413, "payload_too_large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes (1 MiB).`);

export async function handleAgentRequest(req: Request, toolName: string, deps: AgentApiDeps): Promise<Response> {
  const started = performance.now();
  const state = { log: (deps.log ?? getLogger()).child({ tool: toolName.slice(0, 100) }) };
  const response = await handle(req, toolName, deps, state);
  const ms = Math.round(performance.now() - started);
  // 5xx were logged with their error where they happened; a refused token is worth a warning (a stale or
  // forged caller), other statuses are the agents' ordinary traffic.
  if (response.status < 500) state.log[response.status === 401 ? "warn" : "info"]({ status: response.status, ms }, "agent api");
  return response;
}

async function handle(req: Request, toolName: string, deps: AgentApiDeps, state: { log: Logger }): Promise<Response> {
  let context = { tool: toolName, town: "", agent: "" };
  try {
    const declared = req.headers.get("content-length")?.trim();
    if (declared && /^\d+$/.test(declared) && Number(declared) > MAX_BODY_BYTES) return tooLarge();

    const auth = await verifyAgentToken(deps.db, req.headers.get("authorization"), deps.now, deps.tokenKey ? { key: deps.tokenKey } : undefined);
    if (!auth.ok) {
      // The body is never read: dropped unread.
      void req.body?.cancel().catch(() => {});
      return errorResponse(401, "unauthorized", TOKEN_REFUSAL_MESSAGES[auth.reason], { reason: auth.reason }, { "www-authenticate": 'Bearer error="invalid_token"' });
    }
    const principal = { townId: auth.townId, agentId: auth.agentId, role: auth.role, tokenId: auth.tokenId };
    context = { tool: toolName, town: auth.townId, agent: auth.agentId };
    state.log = (deps.log ?? getLogger()).child({ town_id: auth.townId, agent_id: auth.agentId, tool: toolName.slice(0, 100) });
    const raw = await readBodyCapped(req, MAX_BODY_BYTES);
    if (raw === null) return tooLarge();

    let body: unknown = {};
    try {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
      if (text.trim() !== "") body = JSON.parse(text);
    } catch {
      return errorResponse(400, "invalid_json", "The body is not valid UTF-8 JSON.");
    }
    // Postgres text and jsonb cannot hold NUL characters: refuse them here rather than fail on insert.
    if (containsNul(body)) return errorResponse(400, "invalid_body", "Strings may not contain NUL (\\u0000) characters.");

    const tool = getAgentTool(toolName);
    if (!tool) {
      return errorResponse(404, "unknown_tool", `There is no agent tool "${toolName.slice(0, 100)}".`, { tools: AGENT_TOOL_NAMES });
    }
    const parsed = tool.schema.safeParse(body);
    if (!parsed.success) {
      return errorResponse(400, "invalid_body", z.prettifyError(parsed.error), { issues: zodIssues(parsed.error) });
    }
    if (tool.roles && !tool.roles.includes(principal.role)) {
      return errorResponse(403, "forbidden", `${toolName} is for the ${tool.roles.join(" or ")}; you are a ${principal.role}.`);
    }

    const result = await tool.run({ db: deps.db, principal, now: deps.now, github: deps.github, tokenKey: deps.tokenKey }, parsed.data);
    return Response.json(result.body, { status: result.status ?? 200, headers: { "cache-control": "no-store" } });
  } catch (error) {
    const mapped = toAgentApiError(error);
    if (mapped) return errorResponse(mapped.status, mapped.code, mapped.message, mapped.extra);
    // The error (redacted by the logger), never the request: headers (the token) and bodies stay out of logs.
    state.log.error({ err: error, status: 500 }, "agent api call failed");
    Sentry.captureException(error, { tags: { tool: context.tool, town: context.town, agent: context.agent } });
    return errorResponse(500, "internal", "The agent API failed on this call; it is safe to retry.");
  }
}

