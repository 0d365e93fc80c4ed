import type { z } from "zod";
import { isDomainError, type DomainErrorCode } from "../domain/errors";

// Errors of the agent API as HTTP answers: `{error: {code, message, issues?}}` (SPEC.md §4.3). Tool
// functions throw AgentApiError for expected refusals; the handler turns anything else into a 500.

export type AgentApiErrorCode =
  | "payload_too_large"
  | "unauthorized"
  | "invalid_json"
  | "unknown_tool"
  | "invalid_body"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "internal";

export interface WireIssue {
  path: (string | number)[];
  message: string;
  code?: string;
}

export class AgentApiError extends Error {
  override readonly name = "AgentApiError";
  constructor(
    readonly status: number,
    readonly code: AgentApiErrorCode,
    message: string,
    readonly extra: { issues?: WireIssue[] } & Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new AgentApiError(404, "not_found", message);
export const conflict = (message: string) => new AgentApiError(409, "conflict", message);
export const badRequest = (message: string, issues?: WireIssue[]) =>
  new AgentApiError(400, "invalid_body", message, issues ? { issues } : {});

/** Domain / service errors (DomainError from server/domain/errors.ts) as statuses; a code not listed
 *  (upstream_failed) is a 500. */
const DOMAIN_CODE_STATUS: Partial<Record<DomainErrorCode, [number, AgentApiErrorCode]>> = {
  not_found: [404, "not_found"],
  entity_not_found: [404, "not_found"],
  forbidden: [403, "forbidden"],
  invalid_transition: [409, "conflict"],
  conflict: [409, "conflict"],
  bad_request: [400, "invalid_body"],
  invalid_payload: [400, "invalid_body"],
};

export function toAgentApiError(error: unknown): AgentApiError | null {
  if (error instanceof AgentApiError) return error;
  if (isDomainError(error)) {
    const mapped = DOMAIN_CODE_STATUS[error.code];
    if (mapped) return new AgentApiError(mapped[0], mapped[1], error.message);
  }
  return null;
}

export function zodIssues(error: z.ZodError): WireIssue[] {
  return error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: i.message, code: i.code }));
}

export function errorResponse(status: number, code: AgentApiErrorCode, message: string, extra: Record<string, unknown> = {}, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message, ...extra } }, { status, headers: { "cache-control": "no-store", ...headers } });
}
