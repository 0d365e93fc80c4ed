import pg from "pg";
import { createHash } from "node:crypto";
import { getEnv } from "../env";

// A raw pg pool for the tick's hot paths (drain, world load, state phase): SPEC.md §3b allows raw SQL there,
// and savepoints per event need a client we hold for the whole transaction. Everything else uses Prisma.

/** The one query method the tick needs; a pg Pool, a PoolClient or a test double all satisfy it. */
export interface SqlClient {
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

const globalForPool = globalThis as unknown as { __gastownPool?: pg.Pool };

export function getPool(): pg.Pool {
  if (!globalForPool.__gastownPool) {
    const env = getEnv();
    if (!env.DATABASE_URL) throw new Error("DATABASE_URL is not set (start the app with `npm run dev`, or set it).");
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: env.DATABASE_POOL_MAX });
    // A client that errors (server restart, broken connection) must not crash the process: idle ones are
    // dropped by the pool, and checked-out ones surface the error to the query in flight.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    globalForPool.__gastownPool = pool;
  }
  return globalForPool.__gastownPool;
}

/** Runs `fn` in a transaction on one pooled client: COMMIT on success, ROLLBACK on any throw. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Runs one of the statements that open pages ask for on every load and poll (membership, overview, lists,
 * counts) as a named prepared statement: Postgres parses and plans it once per connection instead of on every
 * call. Planning was about a third of the overview statement's time (2.3 → 1.6 ms, issue 15).
 * `name` must always go with the same `text`. Not on the embedded Postgres: its connections share one session,
 * where a second connection preparing the same name would collide.
 */
export function queryPrepared<R extends pg.QueryResultRow = Record<string, unknown>>(
  client: SqlClient,
  name: string,
  text: string,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  if (getEnv().GASTOWN_DB_KIND !== "embedded" && (client instanceof pg.Pool || client instanceof pg.Client)) {
    return client.query<R>({ name, text, values });
  }
  return client.query<R>(text, values);
}

const shapeNames = new Map<string, string>();
/** A stable statement name for SQL built from a filter (one per shape, e.g. the bead list's filters): the
 *  same text always gets the same name, so each shape is prepared once per connection. */
export function statementNameFor(prefix: string, text: string): string {
  let name = shapeNames.get(text);
  if (!name) {
    name = `${prefix}_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    if (shapeNames.size < 1_000) shapeNames.set(text, name);
  }
  return name;
}
