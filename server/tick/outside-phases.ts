import type { AgentRuntime } from "../adapters/agent-runtime/types";
import type { Redactor } from "../secrets/redact";
import { enqueueEvents, type EventToEnqueue } from "./enqueue";
import { reportError } from "./report";
import type { SideEffectJob } from "./side-effects";
import type { SideEffectOutcome, TickDeps } from "./types";

// The two phases of a tick that talk to the outside world (SPEC.md §3b): observe (ask the runtime about
// the agents it should be running) and the side effects (runtime starts and stops, GitHub). Both are
// bounded by a timeout and write only events; what comes back from outside is redacted before it is
// queued or recorded. run-tick.ts calls them in order.

export interface ObservedAgent {
  id: string;
  /** the runtime it was started on (null: started before this was recorded → the town's runtime) */
  runtime: string | null;
}

/** A side effect that has not finished by then counts as failed, so a hanging runtime or GitHub never holds
 *  the tick (and its lease) hostage. The adapters' own 10 s timeouts normally answer first. */
export const SIDE_EFFECT_TIMEOUT_MS = 30_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs the jobs; what they report (events, details) is redacted before it is queued or recorded. */
export async function runSideEffects(
  deps: TickDeps,
  townId: string,
  jobs: SideEffectJob[],
  runtime: AgentRuntime | null,
  now: Date,
  secrets: Redactor,
): Promise<SideEffectOutcome[]> {
  const settled = await Promise.all(
    jobs.map(async (job): Promise<SideEffectOutcome> => {
      try {
        const { events, ok, detail } = await withTimeout(job.run({ runtime, now }), deps.sideEffectTimeoutMs ?? SIDE_EFFECT_TIMEOUT_MS, job.type);
        if (events.length) await enqueueEvents(deps.pool, townId, secrets.deep(events, { edges: true }), now);
        return { type: job.type, target: job.target, ok, ...(detail ? { detail: secrets.text(detail) } : {}) };
      } catch (err) {
        const tags = { town_id: townId, action_type: job.type, ...(job.agentId ? { agent_id: job.agentId } : {}) };
        reportError(deps, err, tags, `${job.type} side effect failed`);
        const fallback = secrets.deep(job.onThrow?.(err) ?? [], { edges: true });
        if (fallback.length) {
          // If even the fallback cannot be queued (database down), the agent stays `working` until GUPP or
          // the observe phase notices: say so, with the town and agent, instead of losing it silently.
          await enqueueEvents(deps.pool, townId, fallback, now).catch((enqueueErr) =>
            reportError(deps, enqueueErr, { ...tags, phase: "side_effect_fallback" }, `could not queue ${fallback.map((e) => e.eventType).join(", ")}`),
          );
        }
        return { type: job.type, target: job.target, ok: false, detail: secrets.text(err instanceof Error ? err.message : String(err)) };
      }
    }),
  );
  return settled;
}

/** The observation pre-phase: asks the runtime about the `working`/`stalled` agents (read at the lease claim)
 *  and queues `container_status` for every one that is not running. Returns how many events it queued. */
export async function observe(deps: TickDeps, townRuntime: AgentRuntime | null, townId: string, now: Date, agents: ObservedAgent[]): Promise<number> {
  if (agents.length === 0) return 0;
  // Each agent is asked about on the runtime it was started on: after the town switches runtimes, the new one
  // knows nothing of the old agents, and its `not_found` would wrongly declare them dead.
  const groups = new Map<string | null, string[]>();
  for (const a of agents) groups.set(a.runtime ?? null, [...(groups.get(a.runtime ?? null) ?? []), a.id]);
  const statuses = new Map<string, { status: string; exitCode?: number | null }>();
  await Promise.all(
    [...groups].map(async ([name, ids]) => {
      const tags = { town_id: townId, phase: "observe", agent_id: ids.join(","), ...(name ? { runtime: name } : {}) };
      let runtime: AgentRuntime | null;
      try {
        runtime = name === null ? townRuntime : deps.runtimeFor(name);
      } catch (err) {
        reportError(deps, err, tags, `runtime '${name}' of ${ids.length} agent(s) is not available`);
        return;
      }
      if (!runtime) return;
      try {
        const got = await withTimeout(runtime.status(ids), deps.sideEffectTimeoutMs ?? SIDE_EFFECT_TIMEOUT_MS, "runtime status");
        for (const [id, s] of got) statuses.set(id, s);
      } catch (err) {
        // An unreachable runtime is not evidence that agents died: nothing is queued, but it is reported.
        reportError(deps, err, tags, "runtime status failed");
      }
    }),
  );
  const events: EventToEnqueue[] = [];
  for (const [agentId, s] of statuses) {
    if (s.status === "running") continue;
    events.push({
      eventType: "container_status",
      agentId,
      payload: { status: s.status, ...(s.exitCode != null ? { exit_reason: `exit code ${s.exitCode}` } : {}) },
    });
  }
  if (events.length === 0) return 0;
  // Same-status observations are not queued twice while one is still pending.
  const { rows: pending } = await deps.pool.query(
    `SELECT agent_id, payload->>'status' AS status FROM town_events
      WHERE town_id = $1 AND event_type = 'container_status' AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL`,
    [townId],
  );
  const seen = new Set(pending.map((p) => `${p.agent_id}:${p.status}`));
  const fresh = events.filter((e) => !seen.has(`${e.agentId}:${e.payload.status}`));
  await enqueueEvents(deps.pool, townId, fresh, now);
  return fresh.length;
}
