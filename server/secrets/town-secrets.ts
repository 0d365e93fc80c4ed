import { loadAdapterConfig } from "../adapters/config";
import type { Db } from "../db/client";
import type { SqlClient } from "../db/pool";
import { getEnv } from "../env";
import { createRedactor, secretsOfAdapterConfig, secretsOfTownConfig, type Redactor } from "./redact";

// Which secrets are in play (SPEC.md §5): the operator's (CRON_SECRET, BETTER_AUTH_SECRET, GASTOWN_TOKEN_KEY,
// GITHUB_TOKEN, the GASTOWN_RUNTIMES secrets) and each town's (git tokens and env var values in
// town_settings.config). Agent tokens need no list: the redactor knows their shape. A town's secrets are kept
// for a few seconds, so a burst of agent exits or log reads costs one query; Sentry's scrubber masks every
// town secret this process has seen recently, besides the operator's.

export const TOWN_SECRETS_TTL_MS = 5_000;
const MAX_CACHED_TOWNS = 1_000;

const globalForSecrets = globalThis as unknown as {
  __gastownSecrets?: {
    registered: Set<string>;
    operator: { key: string; secrets: string[] } | null;
    towns: Map<string, { at: number; secrets: string[]; redactor: Redactor; operatorKey: string }>;
    sentry: { key: string; redactor: Redactor } | null;
    /** Bumped whenever the set of remembered town secrets changes, so processRedactor is O(1) when it has not. */
    version: number;
  };
};
const state = (globalForSecrets.__gastownSecrets ??= { registered: new Set(), operator: null, towns: new Map(), sentry: null, version: 0 });
state.version ??= 0;

/** Secrets the process holds besides the environment's (the adapters' configuration, which tests build
 *  without the environment). */
export function registerOperatorSecrets(secrets: Iterable<string | null | undefined>): void {
  for (const s of secrets) if (typeof s === "string" && s !== "") state.registered.add(s);
}

const OPERATOR_VARS = ["CRON_SECRET", "BETTER_AUTH_SECRET", "GASTOWN_TOKEN_KEY", "GITHUB_TOKEN", "GASTOWN_RUNTIMES", "GASTOWN_DATA_DIR"] as const;

function operatorKey(): string {
  return `${JSON.stringify(OPERATOR_VARS.map((v) => process.env[v] ?? null))}#${state.registered.size}`;
}

/** The operator's secrets: the app's own (generated ones included), GITHUB_TOKEN, the http runtimes' secrets. */
export function operatorSecrets(): string[] {
  const key = operatorKey();
  if (state.operator?.key === key) return state.operator.secrets;
  const secrets: string[] = [...state.registered];
  try {
    const env = getEnv();
    secrets.push(env.CRON_SECRET, env.BETTER_AUTH_SECRET, env.GASTOWN_TOKEN_KEY);
  } catch {
    // an invalid environment: the app does not run, and nothing here can be better than the raw variables
    for (const v of ["CRON_SECRET", "BETTER_AUTH_SECRET", "GASTOWN_TOKEN_KEY"]) secrets.push(process.env[v] ?? "");
  }
  try {
    secrets.push(...secretsOfAdapterConfig(loadAdapterConfig(process.env)));
  } catch {
    secrets.push(process.env.GITHUB_TOKEN ?? "");
  }
  state.operator = { key, secrets: secrets.filter(Boolean) };
  return state.operator.secrets;
}

function remember(townId: string, secrets: string[], now: number): Redactor {
  const opKey = operatorKey();
  const before = state.towns.get(townId);
  const same = before && before.operatorKey === opKey && before.secrets.length === secrets.length && before.secrets.every((s: string, i: number) => s === secrets[i]);
  const redactor: Redactor = same ? before.redactor : createRedactor([...operatorSecrets(), ...secrets]);
  if (!same && (secrets.length > 0 || (before?.secrets.length ?? 0) > 0)) state.version++;
  state.towns.delete(townId);
  state.towns.set(townId, { at: now, secrets, redactor, operatorKey: opKey });
  if (state.towns.size > MAX_CACHED_TOWNS) {
    const oldest = state.towns.keys().next().value as string;
    if (state.towns.get(oldest)?.secrets.length) state.version++;
    state.towns.delete(oldest);
  }
  return redactor;
}

/** The redactor of a town whose config is in hand (the tick reads it with its lease); remembered for Sentry. */
export function townRedactor(townId: string, config: unknown, extra: Iterable<string | null | undefined> = [], now = Date.now()): Redactor {
  const secrets = [...secretsOfTownConfig(config), ...[...extra].filter((s): s is string => typeof s === "string")];
  return remember(townId, secrets, now);
}

function isSqlClient(db: SqlClient | Db): db is SqlClient {
  return typeof (db as SqlClient).query === "function";
}

/** Every secret in play for a town, as a redactor: read from town_settings, kept TOWN_SECRETS_TTL_MS. */
export async function townSecrets(db: SqlClient | Db, townId: string, now = Date.now()): Promise<Redactor> {
  const cached = state.towns.get(townId);
  if (cached && now - cached.at < TOWN_SECRETS_TTL_MS && cached.operatorKey === operatorKey()) return cached.redactor;
  let config: unknown = null;
  // Notification channels' URLs (a Slack hook's path is its secret) and signing secrets (issue 16).
  let channels: Array<{ url: string; secret: string | null }> = [];
  if (isSqlClient(db)) {
    const { rows } = await db.query(`SELECT config FROM town_settings WHERE town_id = $1`, [townId]);
    config = rows[0]?.config ?? null;
    channels = (await db.query(`SELECT url, secret FROM notification_channels WHERE town_id = $1`, [townId])).rows as typeof channels;
  } else {
    config = (await db.townSettings.findUnique({ where: { townId }, select: { config: true } }))?.config ?? null;
    channels = await db.notificationChannel.findMany({ where: { townId }, select: { url: true, secret: true } });
  }
  const channelSecrets = channels.flatMap((c) => [c.url, c.secret]).filter((s): s is string => typeof s === "string" && s !== "");
  return remember(townId, [...secretsOfTownConfig(config), ...channelSecrets], now);
}

/** Forget a town's cached secrets (its settings changed). */
export function forgetTownSecrets(townId?: string): void {
  if (townId === undefined) state.towns.clear();
  else state.towns.delete(townId);
  state.version++;
}

/** The operator's secrets and those of every town this process remembers (at most MAX_CACHED_TOWNS, the
 *  least recently used dropped): what Sentry events and log lines are scrubbed of. It is asked for on every
 *  log line and child logger, so it is rebuilt only when that set of secrets changed (a version count). */
export function processRedactor(): Redactor {
  const key = `${operatorKey()}|${state.version}`;
  if (state.sentry?.key === key) return state.sentry.redactor;
  const redactor = createRedactor([...operatorSecrets(), ...[...state.towns.values()].flatMap((t) => t.secrets)]);
  state.sentry = { key, redactor };
  return redactor;
}
