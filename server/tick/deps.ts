import { hostname } from "node:os";
import { createAdapters, type Adapters } from "../adapters";
import { mintAgentTokenSql } from "../agent-api/tokens";
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import type { AgentRole } from "../domain/types";
import { getEnv } from "../env";
import { captureToSentry } from "./capture";
import { enqueueEvents } from "./enqueue";
import type { TickDeps } from "./run-tick";

// The app's tick dependencies, built once per process: the real pool, the real adapters chosen by the
// operator's configuration, Sentry, and the runtime exit listener that turns a finished local agent into an
// `agent_completed` event (DOMAIN.md §3.2). Tests build their own TickDeps with doubles for the two ports.

const globalForDeps = globalThis as unknown as { __gastownTickDeps?: TickDeps; __gastownAdapters?: Adapters };

export function publicApiUrl(): string {
  const env = getEnv();
  return (env.GASTOWN_PUBLIC_URL ?? env.BETTER_AUTH_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/+$/, "");
}

export function getAdapters(): Adapters {
  if (!globalForDeps.__gastownAdapters) {
    const adapters = createAdapters();
    adapters.setAgentExitListener(async (agentId, exit) => {
      const pool = getPool();
      const { rows } = await pool.query(`SELECT town_id FROM agent_metadata WHERE bead_id = $1`, [agentId]);
      if (!rows[0]) return; // deleted meanwhile
      await enqueueEvents(
        pool,
        rows[0].town_id as string,
        [{ eventType: "agent_completed", agentId, payload: { status: exit.status, reason: exit.reason.slice(0, 500) } }],
        new Date(),
      );
    });
    globalForDeps.__gastownAdapters = adapters;
  }
  return globalForDeps.__gastownAdapters;
}

export function getTickDeps(): TickDeps {
  if (!globalForDeps.__gastownTickDeps) {
    const adapters = getAdapters();
    globalForDeps.__gastownTickDeps = {
      pool: getPool(),
      github: adapters.github,
      runtimeFor: (name) => adapters.createRuntime(name ?? null),
      resolveGitHubToken: (t) => adapters.resolveGitHubToken(t),
      mintToken: (client, claims, now) => mintAgentTokenSql(client as never, { ...claims, role: claims.role as AgentRole }, now),
      applyEvent,
      apiUrl: publicApiUrl(),
      captureException: captureToSentry,
      instanceId: `${hostname()}:${process.pid}`,
    };
  }
  return globalForDeps.__gastownTickDeps;
}
