import type pg from "pg";
import type { SqlClient } from "./pool";
import type { Tx } from "./tx";

// The bridge that gives people's writes and the agent API the tick's persistence path. PgTownRepo (and the
// event enqueue) already speak the one-method `SqlClient` port, which a pg PoolClient satisfies; a Prisma
// transaction satisfies it through `$queryRawUnsafe` with the same SQL and `$n` parameters. We chose this
// over a second TownRepo written against Prisma's query builder: one set of SQL statements serves the
// tick's raw pg transaction and the services' Prisma transaction, so the repository contract tests that
// prove PgTownRepo also prove this path, and there is nothing to drift. (`$queryRawUnsafe` is safe here:
// every value travels as a bind parameter, the SQL text is the repo's own constants.)

/** A `SqlClient` running inside the given Prisma transaction. `rowCount` counts returned rows (use RETURNING). */
export function prismaSqlClient(tx: Tx): SqlClient {
  return {
    async query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []) {
      const rows = (await tx.$queryRawUnsafe(text, ...params)) as R[];
      return { rows, rowCount: rows.length, command: "", oid: 0, fields: [] } as pg.QueryResult<R>;
    },
  };
}
