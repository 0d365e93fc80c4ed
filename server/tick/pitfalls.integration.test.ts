import { afterEach, beforeAll, describe, it } from "vitest";
import type pg from "pg";
import { getPool } from "../db/pool";
import type { Bead } from "../domain/types";
import { PITFALL_CASES, type PitfallTown } from "../testing/pitfall-cases";
import { seedWorld } from "../testing/seed-world";
import { testDb, truncateAll } from "../testing/db";
import { loadWorld } from "./load-world";
import { PgTownRepo } from "./pg-repo";
import { BEAD_COLUMNS, beadFromRow } from "./rows";

// DOMAIN.md §11 on Postgres: the same cases as server/domain/pitfalls.test.ts, with PgTownRepo as the port
// and the tick's one-statement world load as the reconciler's input. Each case runs in a transaction that is
// rolled back.

class PgPitfallTown extends PgTownRepo implements PitfallTown {
  constructor(private readonly sql: pg.PoolClient, townId: string) {
    super(sql, townId);
  }
  snapshot(now: Date) {
    return loadWorld(this.sql, this.townId, now);
  }
  async bead(id: string) {
    const b = await this.getBead(id);
    if (!b) throw new Error(`bead ${id} not found`);
    return b;
  }
  async agent(id: string) {
    const a = await this.getAgent(id);
    if (!a) throw new Error(`agent ${id} not found`);
    return a;
  }
  async review(id: string) {
    const r = await this.getReview(id);
    if (!r) throw new Error(`review ${id} not found`);
    return r;
  }
  async beadsOfType(type: Bead["type"]) {
    const { rows } = await this.sql.query(`SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.type = $2 ORDER BY b.created_at`, [this.townId, type]);
    return rows.map(beadFromRow);
  }
}

let open: pg.PoolClient[] = [];
beforeAll(async () => truncateAll(testDb()));
afterEach(async () => {
  for (const client of open) {
    await client.query("ROLLBACK").catch(() => {});
    client.release();
  }
  open = [];
});

describe("DOMAIN.md §11 (PgTownRepo)", () => {
  for (const c of PITFALL_CASES) {
    it(c.name, () =>
      c.run(async (world) => {
        const client = await getPool().connect();
        open.push(client);
        await client.query("BEGIN");
        await seedWorld(client, world);
        return new PgPitfallTown(client, world.townId);
      }),
    );
  }
});
