import { afterEach, beforeAll } from "vitest";
import type pg from "pg";
import { getPool } from "../db/pool";
import type { TownRepo } from "../domain/repo";
import { nudgeFromRow } from "./rows";
import { seedWorld } from "../testing/seed-world";
import { testDb, truncateAll } from "../testing/db";
import { defineTownRepoContract, type MakeRepo } from "../testing/town-repo-contract";
import { BatchTownRepo } from "./batch-repo";
import { PgTownRepo } from "./pg-repo";

// The TownRepo contract (server/testing/town-repo-contract.ts) on Postgres, for both implementations the
// tick uses: PgTownRepo (one statement per operation) and BatchTownRepo (the drain's unit of work). Each case
// seeds the contract's World inside a transaction that is rolled back afterwards.

let open: pg.PoolClient[] = [];

beforeAll(async () => truncateAll(testDb()));
afterEach(async () => {
  for (const client of open) {
    await client.query("ROLLBACK").catch(() => {});
    client.release();
  }
  open = [];
});

function onPostgres(make: (client: pg.PoolClient, townId: string) => TownRepo & { flush?: () => Promise<void> }): MakeRepo {
  return async (world) => {
    const client = await getPool().connect();
    open.push(client);
    await client.query("BEGIN");
    await seedWorld(client, world);
    const repo = make(client, world.townId);
    const t = world.townId;
    return {
      repo,
      async stored() {
        await repo.flush?.();
        const q = async (sql: string) => (await client.query(sql, [t])).rows;
        return {
          beadEvents: (await q(`SELECT bead_id, agent_id, event_type, old_value, new_value, metadata, created_at FROM bead_events WHERE town_id = $1`)).map((r) => ({
            beadId: r.bead_id as string,
            agentId: r.agent_id as string | null,
            eventType: r.event_type as string,
            oldValue: r.old_value as string | null,
            newValue: r.new_value as string | null,
            metadata: r.metadata as Record<string, unknown>,
            createdAt: r.created_at as Date,
          })),
          nudges: (await q(`SELECT * FROM agent_nudges WHERE town_id = $1`)).map((r) => {
            const { id: _id, townId: _t, ...n } = nudgeFromRow(r);
            return n;
          }),
          notifications: (await q(`SELECT kind, message, bead_id, event_id, created_at FROM notifications WHERE town_id = $1`)).map((r) => ({
            kind: r.kind as never,
            message: r.message as string,
            beadId: r.bead_id as string | null,
            eventId: r.event_id as string | null,
            createdAt: r.created_at as Date,
          })),
          dependencies: (await q(`SELECT bead_id, depends_on_bead_id, dependency_type, created_at FROM bead_dependencies WHERE town_id = $1`)).map((r) => ({
            beadId: r.bead_id as string,
            dependsOnBeadId: r.depends_on_bead_id as string,
            dependencyType: r.dependency_type as never,
            createdAt: r.created_at as Date,
          })),
        };
      },
    };
  };
}

defineTownRepoContract("PgTownRepo", onPostgres((client, townId) => new PgTownRepo(client, townId)));
defineTownRepoContract("BatchTownRepo", onPostgres((client, townId) => new BatchTownRepo(client, townId)));
