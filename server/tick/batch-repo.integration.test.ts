import { beforeEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import { parseTownEvent } from "../domain/events";
import { testDb, truncateAll } from "../testing/db";
import { NOW, seedScenario, snapshot } from "../testing/drain-scenario";
import { makeBead, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { BatchTownRepo } from "./batch-repo";
import { drainEvents } from "./drain";
import { PgTownRepo } from "./pg-repo";
import { TickTx } from "./tx";

// The drain's unit of work (BatchTownRepo) must leave exactly the state that applying the same events one
// statement at a time through PgTownRepo leaves. Both runs start from the same town (server/testing/
// drain-scenario.ts), inside a transaction that is rolled back; every town-scoped row is compared.

describe("BatchTownRepo", () => {
  beforeEach(async () => truncateAll(testDb()));

  it("a batch drained through the unit of work leaves the same rows as applying each event with PgTownRepo", async () => {
    const townId = await seedScenario();
    const seeded = new Set((await testDb().bead.findMany({ where: { townId }, select: { id: true } })).map((b) => b.id));
    const client = await getPool().connect();
    try {
      // (a) the drain: one batch, BatchTownRepo
      await client.query("BEGIN");
      let statements = 0;
      const query = client.query.bind(client);
      (client as unknown as { query: typeof query }).query = ((...args: Parameters<typeof query>) => {
        statements += 1;
        return query(...args);
      }) as typeof query;
      const drained = await drainEvents(new TickTx(client, true), townId, NOW, { apply: applyEvent });
      (client as unknown as { query: typeof query }).query = query;
      expect(drained.poisoned).toEqual([]);
      expect(drained.failed).toBe(0);
      const viaBatch = await snapshot(client, townId, seeded);
      await client.query("ROLLBACK");

      // (b) the reference: every event applied in order through PgTownRepo, one statement per operation
      await client.query("BEGIN");
      const repo = new PgTownRepo(client, townId);
      const { rows } = await client.query(`SELECT * FROM town_events WHERE town_id = $1 ORDER BY seq`, [townId]);
      for (const r of rows) {
        await applyEvent(repo, parseTownEvent({ id: r.event_id, eventType: r.event_type, agentId: r.agent_id, beadId: r.bead_id, payload: r.payload, createdAt: r.created_at }), NOW);
      }
      await client.query(`UPDATE town_events SET processed_at = $2 WHERE town_id = $1`, [townId, NOW]);
      const reference = await snapshot(client, townId, seeded);
      await client.query("ROLLBACK");

      expect(drained.drained).toBe(rows.length);
      expect(viaBatch).toEqual(reference);
      // the scenario really moved things (not two empty snapshots)
      expect(reference.beads.some((b) => (b as { status: string }).status === "closed")).toBe(true);
      expect(reference.bead_events.length).toBeGreaterThan(5);
      // the working mix ran its course: a stop for the agent on the cancelled bead, the sibling MR superseded,
      // new MRs and feedback beads with their dependencies
      expect(drained.actions.map((a) => a.type)).toContain("stop_agent");
      const titles = (reference.beads as { title: string; status: string }[]).map((b) => `${b.title}:${b.status}`);
      expect(titles).toContain("m3:closed");
      expect(titles).toContain("Review: gt/i7:open");
      expect(titles.filter((t) => t.startsWith("Address review comments"))).toHaveLength(2);
      // …through the unit of work, not one statement per operation: one select of the queue, BEGIN/COMMIT,
      // the prefetch, the few set-based writes of the flush, marking the batch processed
      expect(statements).toBeLessThan(rows.length);
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
    }
  });

  it("answers reads from its prefetch, sees its own buffered writes, and writes only the patched columns", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    const rig = await makeRig(db, town.id);
    const bead = await makeBead(db, town.id, { rigId: rig.id, title: "before", metadata: { a: 1 } });
    const client = await getPool().connect();
    try {
      await client.query("BEGIN");
      const repo = new BatchTownRepo(client, town.id);
      await repo.prefetch([{ beadId: bead.id, agentId: null, payload: {} }]);
      const read = await repo.getBead(bead.id);
      read!.title = "mutated by the caller";
      await repo.updateBead(bead.id, { metadata: { a: 2, when: NOW } });
      const again = await repo.getBead(bead.id);
      expect(again!.title).toBe("before"); // a copy was handed out
      expect(again!.metadata).toEqual({ a: 2, when: NOW.toISOString() }); // as jsonb would return it
      // another writer changes the title meanwhile; the flush must not put the old one back
      await client.query(`UPDATE beads SET title = 'renamed' WHERE bead_id = $1`, [bead.id]);
      await repo.flush();
      const { rows } = await client.query(`SELECT title, metadata FROM beads WHERE bead_id = $1`, [bead.id]);
      expect(rows[0]).toEqual({ title: "renamed", metadata: { a: 2, when: NOW.toISOString() } });
      expect(await repo.getBead("no-such-bead")).toBeNull();
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
    }
  });
});
