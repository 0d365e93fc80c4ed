import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, migrate, startEmbeddedPostgres } from "./db.mjs";

// "Restarting the app keeps the embedded data": the embedded Postgres is started on a data folder,
// migrated, written to, stopped, started again on the same folder, and the data is still there.
describe("embedded Postgres", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-pglite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps its data across a restart, and migrations are not re-applied", async () => {
    const port = await freePort();
    let server = await startEmbeddedPostgres({ dataDir: dir, port });
    migrate(server.url);
    let client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query(`INSERT INTO users (id, name, email, updated_at) VALUES ('u1', 'Kept', 'kept@example.test', now())`);
    await client.end();
    await server.stop();

    server = await startEmbeddedPostgres({ dataDir: dir, port });
    migrate(server.url); // a second deploy on the same data is a no-op, not an error
    client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query(`SELECT email FROM users WHERE id = 'u1'`);
    const migrations = await client.query(`SELECT count(*)::int AS n FROM _prisma_migrations`);
    await client.end();
    await server.stop();
    expect(rows).toEqual([{ email: "kept@example.test" }]);
    expect(migrations.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it("says clearly when its port is taken", async () => {
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir: "memory", port });
    try {
      await expect(startEmbeddedPostgres({ dataDir: "memory", port })).rejects.toThrow(/in use|before listening/);
    } finally {
      await first.stop();
    }
  });

  it("keeps concurrent connections' queries apart and survives SQL errors (protocol filter)", async () => {
    const port = await freePort();
    const server = await startEmbeddedPostgres({ dataDir: "memory", port });
    const pool = new pg.Pool({ connectionString: server.url, max: 8 });
    pool.on("error", () => {});
    const problems: string[] = [];
    try {
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          for (let k = 0; k < 60; k++) {
            // a different parameter count per connection: crossed Parse/Bind pairs would be refused
            const params = Array.from({ length: (i % 5) + 1 }, (_, j) => j + k);
            const sql = `SELECT ${params.map((_, j) => `$${j + 1}::int`).join(" + ")} AS s`;
            try {
              const r = await pool.query(sql, params);
              if (r.rows[0].s !== params.reduce((a, b) => a + b, 0)) problems.push(`wrong sum on connection ${i}`);
              if (k % 7 === 0) {
                await pool.query("SELECT 1 / ($1::int) AS x", [0]).then(
                  () => problems.push("division by zero did not fail"),
                  (e: Error) => (/division by zero/.test(e.message) ? null : problems.push(e.message)),
                );
              }
            } catch (e) {
              problems.push((e as Error).message);
            }
          }
        }),
      );
    } finally {
      await pool.end();
      await server.stop();
    }
    expect(problems).toEqual([]);
  });

  it("refuses a connection over its limit with Postgres' own error, not a silent hang-up", async () => {
    const port = await freePort();
    const server = await startEmbeddedPostgres({ dataDir: "memory", port, maxConnections: 2 });
    const clients = [0, 1].map(() => new pg.Client({ connectionString: server.url }));
    try {
      for (const c of clients) await c.connect();
      const third = new pg.Client({ connectionString: server.url });
      third.on("error", () => {});
      await expect(third.connect()).rejects.toThrow(/too many clients already/);
      // the two open connections are unaffected
      const { rows } = await clients[1].query("SELECT 2 AS n");
      expect(rows).toEqual([{ n: 2 }]);
    } finally {
      for (const c of clients) await c.end().catch(() => {});
      await server.stop();
    }
  });
});
