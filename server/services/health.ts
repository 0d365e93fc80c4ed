import { getPool, type SqlClient } from "../db/pool";
import { getLogger } from "../log";
import { lastSweep } from "../tick/run-ticks";
import { tickerRunning } from "../tick/ticker";

// GET /api/health (issue 16), for load balancers and uptime checks: is the database answering (a `SELECT 1`
// under a short timeout), and is the tick machinery sweeping. 200 when the database answers, 503 when it does
// not (a process that cannot reach its database serves nothing useful). No auth, so nothing about any town
// and no secret: the database error is named by its code only (its message may carry a host or a user);
// the full, redacted error goes to the server log.
//
// The ticker, two ways, because neither is true alone across several instances:
// - `last_sweep_at` / `age_s`: when THIS process last finished a full sweep (its in-process ticker, or a cron
//   call it served). A sweep that finds no town due writes nothing to the database (the idle fast path), so
//   only the process itself can tell "sweeping, nothing due" from "stuck". Null on an instance whose ticker is
//   off and that no cron call reached (e.g. serverless, GASTOWN_LOCAL_TICKER=0).
// - `last_town_tick_at`: the latest tick of any town by any instance or cron call (towns.last_tick_at), the
//   database's view, true for the whole deployment. Every town is ticked at least once a minute while some
//   ticker runs (idle cadence), so an older value with towns present means no instance is ticking.
// Neither turns the answer into a 503: the load balancer's question is whether this instance can serve.

export const HEALTH_DB_TIMEOUT_MS = 2_000;

export interface HealthBody {
  ok: boolean;
  database: { ok: true; latency_ms: number } | { ok: false; error: string };
  ticker: {
    enabled: boolean;
    last_sweep_at: string | null;
    age_s: number | null;
    last_town_tick_at: string | null;
  };
}

export interface HealthDeps {
  /** The pool to ask; a function, so a missing DATABASE_URL is a 503 rather than a throw. Tests inject one. */
  pool?: () => SqlClient;
  timeoutMs?: number;
  /** The clock the sweep's age is measured against. */
  now?: Date;
}

class HealthTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HealthTimeout(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  promise.catch(() => {}); // a late failure after the timeout is not an unhandled rejection
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** What a caller without credentials may learn about a database failure: its kind and code, not its text. */
function publicError(err: unknown, timeoutMs: number): string {
  if (err instanceof HealthTimeout) return `the database did not answer within ${timeoutMs} ms`;
  const code = err && typeof err === "object" && "code" in err && typeof err.code === "string" && /^[A-Z0-9_]{2,32}$/.test(err.code) ? err.code : null;
  return code ? `the database is unreachable (${code})` : "the database is unreachable";
}

export async function checkHealth(deps: HealthDeps = {}): Promise<{ status: 200 | 503; body: HealthBody }> {
  const timeoutMs = deps.timeoutMs ?? HEALTH_DB_TIMEOUT_MS;
  const now = deps.now ?? new Date();
  const sweep = lastSweep();
  const ticker: HealthBody["ticker"] = {
    enabled: tickerRunning(),
    last_sweep_at: sweep ? sweep.at.toISOString() : null,
    age_s: sweep ? Math.max(0, Math.round((now.getTime() - sweep.at.getTime()) / 1000)) : null,
    last_town_tick_at: null,
  };

  let pool: SqlClient;
  const started = performance.now();
  try {
    pool = (deps.pool ?? getPool)();
    await withTimeout(pool.query("SELECT 1"), timeoutMs);
  } catch (err) {
    getLogger().warn({ err, timeout_ms: timeoutMs }, "health: the database does not answer");
    return { status: 503, body: { ok: false, database: { ok: false, error: publicError(err, timeoutMs) }, ticker } };
  }
  const latency = Math.round((performance.now() - started) * 10) / 10;

  try {
    const { rows } = await withTimeout(pool.query<{ at: Date | null }>("SELECT max(last_tick_at) AS at FROM towns"), timeoutMs);
    ticker.last_town_tick_at = rows[0]?.at ? new Date(rows[0].at).toISOString() : null;
  } catch (err) {
    // the database answered SELECT 1: a schema problem here is worth a log line, not a failed check
    getLogger().warn({ err }, "health: could not read the towns' last tick");
  }
  return { status: 200, body: { ok: true, database: { ok: true, latency_ms: latency }, ticker } };
}
