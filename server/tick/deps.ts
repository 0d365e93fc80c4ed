import { hostname } from "node:os";
import type pg from "pg";
import { createAdapters, type Adapters } from "../adapters";
import { mintAgentTokenSql } from "../secrets/agent-tokens";
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import type { AgentRole } from "../domain/types";
import { getEnv } from "../env";
import { captureToSentry } from "./capture";
import { enqueueEvents } from "./enqueue";
import { secretsOfAdapterConfig } from "../secrets/redact";
import { registerOperatorSecrets, townSecrets } from "../secrets/town-secrets";
import type { TickDeps } from "./types";

// The app's tick dependencies, built once per process: the real pool, the real adapters chosen by the
// operator's configuration, Sentry, and the runtime exit listener that turns a finished local agent into an
// `agent_completed` event (DOMAIN.md §3.2). Tests build theirs with buildTickDeps and their own adapters.

const globalForDeps = globalThis as unknown as { __gastownTickDeps?: TickDeps; __gastownAdapters?: Adapters };

export function publicApiUrl(): string {
  const env = getEnv();
  return (env.GASTOWN_PUBLIC_URL ?? env.BETTER_AUTH_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/+$/, "");
}

/** A finished local agent process becomes `agent_completed` for its town (unknown agents are ignored). Its
 *  reason is the runtime's text, so it passes the town's redactor before it is stored (SPEC.md §5). */
export function enqueueAgentExits(adapters: Adapters, pool: pg.Pool) {
  registerOperatorSecrets(secretsOfAdapterConfig(adapters.config));
  adapters.setAgentExitListener(async (agentId, exit) => {
    const { rows } = await pool.query(`SELECT town_id FROM agent_metadata WHERE bead_id = $1`, [agentId]);
    if (!rows[0]) return; // deleted meanwhile
    const townId = rows[0].town_id as string;
    const secrets = await townSecrets(pool, townId);
    await enqueueEvents(
      pool,
      townId,
      [{ eventType: "agent_completed", agentId, payload: { status: exit.status, reason: secrets.text(exit.reason).slice(0, 500) } }],
      new Date(),
    );
  });
}

export function buildTickDeps(input: {
  adapters: Adapters;
  pool: pg.Pool;
  apiUrl: string;
  instanceId?: string;
  captureException?: TickDeps["captureException"];
}): TickDeps {
  const { adapters } = input;
  // The adapters' GITHUB_TOKEN and runtime secrets are masked wherever the redactor runs (SPEC.md §5).
  registerOperatorSecrets(secretsOfAdapterConfig(adapters.config));
  return {
    pool: input.pool,
    github: adapters.github,
    runtimeFor: (name) => adapters.createRuntime(name ?? null),
    resolveGitHubToken: (town, t) => adapters.resolveGitHubToken(town, t),
    repoRefusal: (gitUrl) => adapters.repoRefusal(gitUrl),
    mintToken: (client, claims, now) => mintAgentTokenSql(client as never, { ...claims, role: claims.role as AgentRole }, now),
    applyEvent,
    apiUrl: input.apiUrl,
    captureException: input.captureException ?? captureToSentry,
    instanceId: input.instanceId ?? `${hostname()}:${process.pid}`,
  };
}

export function getAdapters(): Adapters {
  if (!globalForDeps.__gastownAdapters) {
    const adapters = createAdapters();
    enqueueAgentExits(adapters, getPool());
    globalForDeps.__gastownAdapters = adapters;
  }
  return globalForDeps.__gastownAdapters;
}

export function getTickDeps(): TickDeps {
  globalForDeps.__gastownTickDeps ??= buildTickDeps({ adapters: getAdapters(), pool: getPool(), apiUrl: publicApiUrl() });
  return globalForDeps.__gastownTickDeps;
}
