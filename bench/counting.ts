import type pg from "pg";

// SQL statements counted at the pg pool. Every statement — `pool.query(...)` as well as `client.query(...)`
// on a checked-out client — ends up as one `query` call on one of the pool's clients (pool.query checks a
// client out and calls its query), so wrapping each client's `query` once, as the pool creates it, counts
// each statement exactly once, BEGIN/COMMIT/SAVEPOINT included. Attach before the pool is first used.

export interface StatementCounter {
  readonly count: number;
  /** with BENCH_STATEMENTS=1: how often each statement (its text, whitespace folded, cut at 110 chars) ran */
  readonly texts: Map<string, number>;
  /** statements run inside fn */
  measure<T>(fn: () => Promise<T>): Promise<{ statements: number; value: T }>;
}

const WRAPPED = Symbol("bench.counted");

export function countStatements(pool: pg.Pool): StatementCounter {
  let count = 0;
  const texts = new Map<string, number>();
  const trace = process.env.BENCH_STATEMENTS === "1";
  pool.on("connect", (client) => {
    const c = client as pg.PoolClient & { [WRAPPED]?: true };
    if (c[WRAPPED]) return;
    c[WRAPPED] = true;
    const original = c.query.bind(c) as (...args: unknown[]) => unknown;
    (c as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      count += 1;
      if (trace) {
        const q = args[0] as string | { text?: string };
        const text = (typeof q === "string" ? q : (q?.text ?? "?")).replace(/\s+/g, " ").trim().slice(0, 110);
        texts.set(text, (texts.get(text) ?? 0) + 1);
      }
      return original(...args);
    };
  });
  return {
    get count() {
      return count;
    },
    texts,
    async measure(fn) {
      const before = count;
      const value = await fn();
      return { statements: count - before, value };
    },
  };
}
