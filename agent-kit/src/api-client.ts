import { z } from "zod";
import { AgentRoleSchema, type AgentRole } from "../../server/domain/types";

// The agent API (SPEC.md §4.3) as the kit sees it: one POST per tool with the agent's bearer token, the
// answer or the error envelope parsed, never a throw for an HTTP or network failure (the MCP server and
// the CLI turn every failure into a message a model or a person can act on). The token lives only in
// this closure: it is never a property, never part of a message, and anything that might echo it
// (a fetch error, a proxy's error page) is scrubbed before it leaves.

/** One call, at most 30 s: a hung API must not hang the agent's tool call forever. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface WireIssue {
  path: (string | number)[];
  message: string;
  code?: string;
}

export type AgentApiResult =
  | { ok: true; status: number; body: unknown }
  | {
      ok: false;
      /** HTTP status, or 0 when no answer came (network error, timeout). */
      status: number;
      /** The API's error code (`invalid_body`, `unauthorized` …), or `network_error` / `timeout` / `http_<status>`. */
      code: string;
      message: string;
      issues?: WireIssue[];
    };

export interface AgentApi {
  readonly apiUrl: string;
  /** POST /api/agent/<tool>. A gt_heartbeat answer carrying `token` switches this client to that token. */
  call(tool: string, body?: unknown): Promise<AgentApiResult>;
  /** gt_heartbeat; a refreshed `token` in the answer is used from then on (and reported to onTokenRefresh). */
  heartbeat(body?: Record<string, unknown>): Promise<AgentApiResult>;
  /** Use another token from now on (e.g. one a launcher got from its own heartbeat). */
  setToken(token: string): void;
  /** Replaces every token this client has held with `[redacted]`: for anything about to be printed. */
  redact(text: string): string;
}

export interface AgentApiOptions {
  apiUrl: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Called with the new token after a heartbeat refreshed it (a launcher may hand it on). */
  onTokenRefresh?: (token: string) => void;
}

const ErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z
      .array(z.object({ path: z.array(z.union([z.string(), z.number()])).catch([]), message: z.string(), code: z.string().optional() }))
      .optional()
      .catch(undefined),
  }),
});

const HeartbeatAnswerSchema = z.object({ token: z.string().min(1) });

export const REDACTED = "[redacted]";
const MIN_REDACTED_LENGTH = 8;

export function createAgentApi(options: AgentApiOptions): AgentApi {
  const apiUrl = options.apiUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let token = options.token;
  // Every token ever held: an old one may still show up in a late error text.
  const held = new Set<string>([token]);

  const redact = (text: string): string => {
    let out = text;
    // Real tokens are long signed strings; a toy one of a few letters would blank out ordinary words.
    for (const t of held) if (t.length >= MIN_REDACTED_LENGTH) out = out.split(t).join(REDACTED);
    return out;
  };
  const fail = (status: number, code: string, message: string, issues?: WireIssue[]): AgentApiResult => ({
    ok: false,
    status,
    code,
    message: redact(message),
    ...(issues ? { issues: issues.map((i) => ({ ...i, message: redact(i.message) })) } : {}),
  });
  const setToken = (next: string) => {
    if (!next) return;
    token = next;
    held.add(next);
  };

  async function call(tool: string, body: unknown = {}): Promise<AgentApiResult> {
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${apiUrl}/api/agent/${encodeURIComponent(tool)}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body ?? {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      if (name === "TimeoutError" || name === "AbortError") {
        return fail(0, "timeout", `The agent API did not answer ${tool} within ${Math.round(timeoutMs / 1000)} s; it may be safe to retry.`);
      }
      const cause = error instanceof Error ? (error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message) : String(error);
      return fail(0, "network_error", `Could not reach the agent API at ${apiUrl}: ${cause}`);
    }

    let json: unknown = undefined;
    try {
      json = text.trim() === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): the status and the start of the text say what happened.
    }
    if (response.ok) {
      if (json === undefined) return fail(response.status, "invalid_answer", `The agent API answered ${tool} with ${response.status} but not with JSON.`);
      if (tool === "gt_heartbeat") {
        const refreshed = HeartbeatAnswerSchema.safeParse(json);
        if (refreshed.success && refreshed.data.token !== token) {
          setToken(refreshed.data.token);
          options.onTokenRefresh?.(refreshed.data.token);
        }
      }
      return { ok: true, status: response.status, body: json };
    }
    const envelope = ErrorEnvelopeSchema.safeParse(json);
    if (envelope.success) {
      const { code, message, issues } = envelope.data.error;
      return fail(response.status, code, message, issues);
    }
    const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
    return fail(response.status, `http_${response.status}`, `The agent API answered ${tool} with HTTP ${response.status}${snippet ? `: ${snippet}` : ""}.`);
  }

  return {
    apiUrl,
    call,
    heartbeat: (body = {}) => call("gt_heartbeat", body),
    setToken,
    redact,
  };
}

/** A heartbeat answer as a model or a log may see it: a refreshed token is replaced, never shown. */
export function withoutToken(body: unknown): unknown {
  if (body && typeof body === "object" && !Array.isArray(body) && "token" in body) {
    return { ...(body as Record<string, unknown>), token: "[refreshed; applied by the gastown agent kit]" };
  }
  return body;
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** Issues as one line each: `title: A title is required.` */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map((i) => {
      const path = formatPath(i.path.map((p) => (typeof p === "symbol" ? String(p) : p)));
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join("; ");
}

/** A failed call as one line a model can act on: `400 invalid_body: title: A title is required.` */
export function formatApiError(result: Extract<AgentApiResult, { ok: false }>): string {
  const detail = result.issues && result.issues.length > 0 ? formatIssues(result.issues) : result.message;
  const head = result.status > 0 ? `${result.status} ${result.code}` : result.code;
  const hint = HINTS[result.code] ?? (result.status >= 500 ? "The server failed; it is safe to retry in a moment." : undefined);
  return `${head}: ${detail}${hint ? ` (${hint})` : ""}`;
}

const HINTS: Record<string, string> = {
  unauthorized: "your agent token is no longer accepted; you cannot continue with this token, stop and let the runtime restart you",
  forbidden: "this tool is not for your role",
  conflict: "the state changed under you; read it again before retrying",
  network_error: "check GASTOWN_API_URL; retry in a moment",
};

// The env contract of SPEC.md §4.4, as far as the kit needs it. Errors name the variable, never its value.
const optionalId = z.string().trim().min(1).optional().catch(undefined);
const AgentEnvSchema = z.object({
  GASTOWN_API_URL: z.url({ protocol: /^https?$/ }),
  GASTOWN_AGENT_TOKEN: z.string().min(1),
  GASTOWN_AGENT_ROLE: AgentRoleSchema,
  GASTOWN_AGENT_ID: optionalId,
  GASTOWN_TOWN_ID: optionalId,
  GASTOWN_RIG_ID: optionalId,
  GASTOWN_BEAD_ID: optionalId,
  GASTOWN_BRANCH: optionalId,
  GASTOWN_TARGET_BRANCH: optionalId,
  GASTOWN_PR_URL: optionalId,
});

export interface AgentEnv {
  apiUrl: string;
  token: string;
  role: AgentRole;
  agentId?: string;
  townId?: string;
  rigId?: string;
  beadId?: string;
  branch?: string;
  targetBranch?: string;
  prUrl?: string;
}

export class AgentEnvError extends Error {
  override readonly name = "AgentEnvError";
  constructor(readonly variables: string[], message: string) {
    super(message);
  }
}

/** Reads the agent's env; throws AgentEnvError naming each missing or malformed variable (never a value). */
export function readAgentEnv(env: Record<string, string | undefined>): AgentEnv {
  // Empty strings count as missing: a runtime that sets `GASTOWN_AGENT_ROLE=` meant nothing.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = AgentEnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const text =
        present[name] === undefined
          ? "is not set"
          : name === "GASTOWN_AGENT_ROLE"
            ? `must be one of ${AgentRoleSchema.options.join(", ")}`
            : name === "GASTOWN_API_URL"
              ? "must be an http(s) URL"
              : "is not valid";
      return { name, text: `${name} ${text}` };
    });
    const names = [...new Set(problems.map((p) => p.name))];
    throw new AgentEnvError(names, `The agent environment is incomplete: ${problems.map((p) => p.text).join("; ")}.`);
  }
  const e = parsed.data;
  return {
    apiUrl: e.GASTOWN_API_URL,
    token: e.GASTOWN_AGENT_TOKEN,
    role: e.GASTOWN_AGENT_ROLE,
    agentId: e.GASTOWN_AGENT_ID,
    townId: e.GASTOWN_TOWN_ID,
    rigId: e.GASTOWN_RIG_ID,
    beadId: e.GASTOWN_BEAD_ID,
    branch: e.GASTOWN_BRANCH,
    targetBranch: e.GASTOWN_TARGET_BRANCH,
    prUrl: e.GASTOWN_PR_URL,
  };
}

/** `--role` or GASTOWN_AGENT_ROLE, for what needs only the role (listing tools). */
export function parseRole(value: string | undefined): AgentRole | null {
  const parsed = AgentRoleSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
