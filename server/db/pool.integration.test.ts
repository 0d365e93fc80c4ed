import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryPrepared, statementNameFor, type SqlClient } from "./pool";
import { isEmbeddedDb } from "../testing/db";

// The polled statements run as named prepared statements on a real Postgres (planned once per connection) and
// as plain ones on the embedded Postgres, whose connections share one session.
describe("queryPrepared", () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  });
  afterAll(() => client.end());

  const prepared = async () =>
    (await client.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'gt_test_%'`)).rows.map((r) => r.name);

  it("answers like a plain query, with the parameters bound, and prepares the statement once on a real Postgres", async () => {
    for (const n of [1, 2, 3]) {
      const { rows } = await queryPrepared<{ doubled: number }>(client, "gt_test_double", "SELECT ($1::int * 2) AS doubled", [n]);
      expect(rows).toEqual([{ doubled: n * 2 }]);
    }
    if (isEmbeddedDb) expect(await prepared()).toEqual([]);
    else expect(await prepared()).toEqual(["gt_test_double"]);
  });

  it("falls back to a plain query for a client that is not pg's own (a transaction wrapper, a test double)", async () => {
    const seen: unknown[] = [];
    const wrapper: SqlClient = { query: (text, params) => (seen.push([text, params]), client.query(text, params as unknown[])) } as SqlClient;
    const { rows } = await queryPrepared<{ x: number }>(wrapper, "gt_test_wrapped", "SELECT $1::int AS x", [7]);
    expect(rows).toEqual([{ x: 7 }]);
    expect(seen).toEqual([["SELECT $1::int AS x", [7]]]);
    expect(await prepared()).not.toContain("gt_test_wrapped");
  });

  it("names a filter-built statement by its text: one name per shape", () => {
    const a = statementNameFor("gt_beads", "SELECT 1 WHERE $1::int = 1");
    expect(a).toMatch(/^gt_beads_[0-9a-f]{16}$/);
    expect(statementNameFor("gt_beads", "SELECT 1 WHERE $1::int = 1")).toBe(a);
    expect(statementNameFor("gt_beads", "SELECT 1 WHERE $1::int = 2")).not.toBe(a);
  });
});
