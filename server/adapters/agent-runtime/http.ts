import { z } from "zod";
import {
  buildAgentEnv,
  isSafeAgentId,
  type AgentRuntime,
  type AgentStartSpec,
  type RuntimeAgentStatus,
  type StartResult,
  type StopResult,
} from "./types";

/**
 * The `http` runtime (SPEC.md §4.4): agents run elsewhere, behind a small control API.
 *
 *   POST {url}/agents/start        {agent_id, role, town_id, rig_id, bead_id, branch, target_branch,
 *                                   pr_url, git_url, prompt, env}  → 200 {started: true}
 *   POST {url}/agents/{id}/stop    {reason}                       → 2xx (404 = not running = fine)
 *   GET  {url}/agents/{id}/status                                 → {status: running|exited|not_found, exit_code?}
 *
 * Every request carries `Authorization: Bearer <runtime secret>` and times out after 10 s. Redirects are
 * refused (the bearer secret must only go to the configured URL). Answers are zod-parsed. The remote side
 * reports exits itself through the agent API (`agent_completed`), so this adapter has no exit hook.
 */

export const HTTP_RUNTIME_TIMEOUT_MS = 10_000;

export interface HttpRuntimeOptions {
  name?: string | null;
  url: string;
  secret: string;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** How many status requests run at once. */
  statusConcurrency?: number;
}

const StartAnswerSchema = z.object({ started: z.boolean(), reason: z.string().optional() });
const StatusAnswerSchema = z.object({
  status: z.enum(["running", "exited", "not_found"]),
  exit_code: z.number().int().nullish(),
});
const ErrorAnswerSchema = z.object({ error: z.string().optional(), reason: z.string().optional(), message: z.string().optional() });

/** The start request body: snake_case on the wire. */
export function startRequestBody(spec: AgentStartSpec) {
  return {
    agent_id: spec.agentId,
    role: spec.role,
    town_id: spec.townId,
    rig_id: spec.rigId,
    bead_id: spec.beadId,
    branch: spec.branch,
    target_branch: spec.targetBranch,
    pr_url: spec.prUrl ?? null,
    git_url: spec.gitUrl,
    prompt: spec.prompt,
    env: buildAgentEnv(spec),
  };
}

type Outcome = { ok: true; status: number; body: unknown } | { ok: false; reason: string };

export function createHttpRuntime(options: HttpRuntimeOptions): AgentRuntime {
  const base = options.url.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? HTTP_RUNTIME_TIMEOUT_MS;
  const doFetch = options.fetch ?? globalThis.fetch;
  const concurrency = Math.max(1, options.statusConcurrency ?? 8);

  /** One request; never throws. Reasons name the endpoint and status, never the secret or a body we sent. */
  async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<Outcome> {
    try {
      const res = await doFetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${options.secret}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { ok: true, status: res.status, body: parsed };
    } catch (error) {
      const name = (error as { name?: string })?.name;
      if (name === "TimeoutError" || name === "AbortError") return { ok: false, reason: `runtime timed out after ${timeoutMs} ms` };
      return { ok: false, reason: "runtime unreachable" };
    }
  }

  /** A remote runtime may echo what it received; our secret must not travel on into events or logs. */
  const redact = (text: string) => (options.secret.length >= 4 ? text.split(options.secret).join("[REDACTED]") : text);

  /** A short human explanation from an error answer, bounded, for dispatch_failed reasons. */
  function explain(status: number, body: unknown): string {
    const parsed = ErrorAnswerSchema.safeParse(body);
    const detail = parsed.success ? (parsed.data.reason ?? parsed.data.error ?? parsed.data.message) : undefined;
    return redact(`runtime answered ${status}${detail ? `: ${detail.slice(0, 200)}` : ""}`);
  }

  async function statusOf(agentId: string): Promise<RuntimeAgentStatus | null> {
    if (!isSafeAgentId(agentId)) return { status: "not_found" };
    const outcome = await call("GET", `/agents/${encodeURIComponent(agentId)}/status`);
    // Only a well-formed answer counts, even for 404: a wrong URL must not read as "every agent is gone".
    if (!outcome.ok || (outcome.status !== 200 && outcome.status !== 404)) return null;
    const parsed = StatusAnswerSchema.safeParse(outcome.body);
    if (!parsed.success) return null;
    return parsed.data.exit_code === undefined
      ? { status: parsed.data.status }
      : { status: parsed.data.status, exitCode: parsed.data.exit_code };
  }

  return {
    kind: "http",
    name: options.name ?? null,

    async start(spec): Promise<StartResult> {
      if (!isSafeAgentId(spec.agentId)) return { started: false, reason: "invalid agent id" };
      const outcome = await call("POST", "/agents/start", startRequestBody(spec));
      if (!outcome.ok) return { started: false, reason: outcome.reason };
      if (outcome.status < 200 || outcome.status >= 300) return { started: false, reason: explain(outcome.status, outcome.body) };
      const parsed = StartAnswerSchema.safeParse(outcome.body);
      if (!parsed.success) return { started: false, reason: "runtime sent an invalid start answer" };
      if (!parsed.data.started) return { started: false, reason: redact(`runtime refused: ${(parsed.data.reason ?? "no reason given").slice(0, 200)}`) };
      return { started: true };
    },

    async stop(agentId, reason): Promise<StopResult> {
      if (!isSafeAgentId(agentId)) return { stopped: true };
      const outcome = await call("POST", `/agents/${encodeURIComponent(agentId)}/stop`, { reason });
      if (!outcome.ok) return { stopped: false, reason: outcome.reason };
      if (outcome.status === 404 || (outcome.status >= 200 && outcome.status < 300)) return { stopped: true };
      return { stopped: false, reason: explain(outcome.status, outcome.body) };
    },

    async status(agentIds): Promise<Map<string, RuntimeAgentStatus>> {
      const result = new Map<string, RuntimeAgentStatus>();
      const queue = [...new Set(agentIds)];
      const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const status = await statusOf(id);
          if (status) result.set(id, status);
        }
      });
      await Promise.all(workers);
      return result;
    },

    // The protocol has no log endpoint; the remote runtime keeps its own logs.
    async readLog(): Promise<string | null> {
      return null;
    },
  };
}
