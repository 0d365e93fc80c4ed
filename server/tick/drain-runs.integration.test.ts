import { beforeEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import { parseTownEvent } from "../domain/events";
import { testDb, truncateAll } from "../testing/db";
import { NOW, OUT_OF_RANGE_TIMESTAMP, seedScenario, snapshot } from "../testing/drain-scenario";
import { drainEvents, MAX_EVENT_RETRIES, type ApplyEventFn } from "./drain";
import { PgTownRepo } from "./pg-repo";
import { TickTx } from "./tx";

// The drain's failure path (issue 15): a batch with failing events is applied again as runs of good events
// between the failing ones, each run through the unit of work in a savepoint (a failed flush is split in
// halves until one event owns it). Poison isolation must be exactly what one event per savepoint gives:
// every good event applied once, in order, each seeing the ones before; every bad one rolled back, counted,
// and poisoned after MAX_EVENT_RETRIES drains. The reference applies the same queue one event at a time
// through PgTownRepo, each in its own savepoint, and the rows must be equal.

const DOMAIN_TABLES = ["beads", "agent_metadata", "review_metadata", "convoy_metadata", "escalation_metadata", "bead_dependencies", "bead_events", "notifications", "agent_nudges"];

function domainRows(snap: Record<string, unknown[]>) {
  return Object.fromEntries(DOMAIN_TABLES.map((t) => [t, snap[t]]));
}

async function seededIds(townId: string) {
  return new Set((await testDb().bead.findMany({ where: { townId }, select: { id: true } })).map((b) => b.id));
}

/** One event per savepoint through PgTownRepo, in seq order: the rows the drain must leave, and who failed. */
async function reference(client: pg.PoolClient, townId: string, seeded: Set<string>, apply: ApplyEventFn) {
  await client.query("BEGIN");
  const repo = new PgTownRepo(client, townId);
  const { rows } = await client.query(`SELECT * FROM town_events WHERE town_id = $1 ORDER BY seq`, [townId]);
  const failed: string[] = [];
  for (const r of rows) {
    await client.query("SAVEPOINT one");
    try {
      await apply(repo, parseTownEvent({ id: r.event_id, eventType: r.event_type, agentId: r.agent_id, beadId: r.bead_id, payload: r.payload, createdAt: r.created_at }), NOW);
      await client.query("RELEASE SAVEPOINT one");
    } catch {
      await client.query("ROLLBACK TO SAVEPOINT one");
      failed.push(r.event_id as string);
    }
  }
  const rowsAfter = domainRows(await snapshot(client, townId, seeded));
  await client.query("ROLLBACK");
  return { rows: rowsAfter, failed, total: rows.length };
}

async function drainOnce(client: pg.PoolClient, townId: string, apply: ApplyEventFn, batchSize: number) {
  return drainEvents(new TickTx(client, false), townId, NOW, { apply, batchSize });
}

async function eventRows(townId: string) {
  return testDb().townEvent.findMany({ where: { townId }, orderBy: { seq: "asc" } });
}

describe("drain: failing events inside a batch", () => {
  beforeEach(async () => truncateAll(testDb()));

  // start, the middle, two adjacent, the end; one batch for the whole queue, and batches of 5 (failures on
  // batch edges)
  for (const batchSize of [500, 5]) {
    it(`bad events at the start, middle (two adjacent) and end, batches of ${batchSize}: the rows of one event at a time, then poison after ${MAX_EVENT_RETRIES} drains`, async () => {
      const townId = await seedScenario({ badAt: [0, 8, 12, 13, 99] });
      const seeded = await seededIds(townId);
      const client = await getPool().connect();
      try {
        const ref = await reference(client, townId, seeded, applyEvent);
        const events = await eventRows(townId);
        const bad = events.filter((e) => JSON.stringify(e.payload).includes(OUT_OF_RANGE_TIMESTAMP)).map((e) => e.id);
        expect(bad).toHaveLength(5);
        expect(events[0].id).toBe(bad[0]);
        expect(events[events.length - 1].id).toBe(bad[4]);
        expect(ref.failed).toEqual(bad); // the reference fails exactly the bad ones (the scenario is sound)

        const applied: string[] = [];
        const counting: ApplyEventFn = (repo, event, now) => (applied.push(event.id!), applyEvent(repo, event, now));
        const first = await drainOnce(client, townId, counting, batchSize);
        expect(first.drained).toBe(ref.total - bad.length);
        expect(first.failed).toBe(bad.length);
        expect(first.poisoned).toEqual([]);
        expect(domainRows(await snapshot(client, townId, seeded))).toEqual(ref.rows);
        // every bad event was tried exactly once in this drain
        for (const id of bad) expect(applied.filter((a) => a === id)).toHaveLength(1);
        // good events keep seq order in the final (committed) application: processed, each once, none left
        const after = await eventRows(townId);
        for (const e of after) {
          if (bad.includes(e.id)) {
            expect(e).toMatchObject({ retryCount: 1, processedAt: null, poisonedAt: null });
            expect(e.lastError).toMatch(/timestamp out of range/);
          } else expect(e.processedAt).not.toBeNull();
        }

        for (let drain = 2; drain <= MAX_EVENT_RETRIES; drain++) {
          const again = await drainOnce(client, townId, applyEvent, batchSize);
          expect(again.drained).toBe(0);
          expect(drain < MAX_EVENT_RETRIES ? again.failed : again.poisoned.length).toBe(bad.length);
        }
        const poisoned = await eventRows(townId);
        for (const e of poisoned.filter((x) => bad.includes(x.id))) {
          expect(e).toMatchObject({ retryCount: MAX_EVENT_RETRIES, poisonReason: "max_retries", processedAt: null });
          expect(e.poisonedAt).not.toBeNull();
        }
        // the domain rows are still those of one event at a time, plus the poisoning's mail and notifications
        const final = domainRows(await snapshot(client, townId, seeded));
        const withoutPoisonMail = {
          ...final,
          beads: (final.beads as { type: string }[]).filter((b) => b.type !== "message"),
          notifications: (final.notifications as { kind: string }[]).filter((n) => n.kind !== "poisoned_event"),
        };
        expect(withoutPoisonMail).toEqual({
          ...ref.rows,
          beads: (ref.rows.beads as { type: string }[]).filter((b) => b.type !== "message"),
          notifications: (ref.rows.notifications as { kind: string }[]).filter((n) => n.kind !== "poisoned_event"),
        });
        expect((final.notifications as { kind: string }[]).filter((n) => n.kind === "poisoned_event")).toHaveLength(bad.length);
      } finally {
        client.release();
      }
    });
  }

  it("a failure that only the batch's flush sees is split down to the one event that owns it", async () => {
    // A write Postgres refuses only when it is written (a foreign key), buffered by the unit of work: the
    // flush fails for the whole run, and halving finds the event. The apply is the real one plus that write.
    const townId = await seedScenario();
    const seeded = await seededIds(townId);
    const events = await eventRows(townId);
    const withBead = events.filter((e) => e.beadId);
    const owners = new Set([withBead[1].id, withBead[2].id, withBead[6].id]); // two adjacent, one further on
    const apply: ApplyEventFn = async (repo, event, now) => {
      const actions = await applyEvent(repo, event, now);
      if (owners.has(event.id!) && event.beadId) await repo.updateBead(event.beadId, { parentBeadId: "no-such-bead" });
      return actions;
    };
    const client = await getPool().connect();
    try {
      const ref = await reference(client, townId, seeded, apply);
      expect(new Set(ref.failed)).toEqual(owners);
      const result = await drainOnce(client, townId, apply, 500);
      expect(result.failed).toBe(owners.size);
      expect(result.drained).toBe(ref.total - owners.size);
      expect(domainRows(await snapshot(client, townId, seeded))).toEqual(ref.rows);
      for (const e of await eventRows(townId)) {
        if (owners.has(e.id)) {
          expect(e.retryCount).toBe(1);
          expect(e.lastError).toMatch(/foreign key/);
        } else expect(e.processedAt).not.toBeNull();
      }
    } finally {
      client.release();
    }
  });
  it("an event that writes through every buffered path and then throws leaves nothing behind; one whose writes reached the database is rolled back by a savepoint", async () => {
    // The real apply, then for some events more writes of every kind the unit of work buffers (a patch of a
    // cached bead and agent — the agent re-hooked —, a new bead with its review, dependencies, a bead event, a
    // nudge, a notification, an outbox message) and a throw: the unit of work takes them back in memory. For
    // others a statement runs before the throw (findRefinery after a write: a flush), so only a savepoint
    // rollback can take them back. Either way: the rows of one event per savepoint.
    const townId = await seedScenario();
    const seeded = await seededIds(townId);
    const events = await eventRows(townId);
    const withBead = events.filter((e) => e.beadId);
    const inMemory = new Set([withBead[0].id, withBead[3].id, withBead[4].id, events[events.length - 1].id]);
    const reachedDb = new Set([withBead[7].id]);
    const tries = new Map<string, number>();
    const apply: ApplyEventFn = async (repo, event, now) => {
      tries.set(event.id!, (tries.get(event.id!) ?? 0) + 1);
      const failing = inMemory.has(event.id!) || reachedDb.has(event.id!);
      // reads first: a read that misses the unit of work's maps flushes, and then the event has reached the database
      const hooked = failing && event.beadId ? await repo.listAgentsHookedTo(event.beadId) : [];
      const actions = await applyEvent(repo, event, now);
      if (!failing) return actions;
      const beadId = event.beadId ?? (await repo.listAgentNames(), null);
      const target = beadId ? await repo.getBead(beadId) : null;
      if (target) {
        await repo.updateBead(target.id, { title: "renamed by a failing event", metadata: { ...target.metadata, touched: true }, updatedAt: now });
        const created = await repo.insertBead({ type: "merge_request", title: "born of a failing event", rigId: target.rigId, createdAt: now, review: { branch: "b-x", targetBranch: "main", mergeCommit: null, prUrl: null, retryCount: 0, autoMergeReadySince: null, lastFeedbackCheckAt: null } });
        await repo.insertDependency({ beadId: created.id, dependsOnBeadId: target.id, dependencyType: "tracks", createdAt: now });
        await repo.insertDependency({ beadId: target.id, dependsOnBeadId: created.id, dependencyType: "blocks", createdAt: now });
        await repo.insertBeadEvent({ beadId: target.id, agentId: null, eventType: "status_changed", oldValue: null, newValue: null, metadata: {}, createdAt: now });
        await repo.insertNotification({ kind: "escalation", message: "from a failing event", beadId: target.id, eventId: null, createdAt: now });
        for (const agent of hooked) {
          await repo.updateAgent(agent.id, { currentHookBeadId: created.id, status: "working" });
          await repo.insertNudge({ agentBeadId: agent.id, message: "from a failing event", mode: "immediate", priority: "normal", source: "test", createdAt: now, expiresAt: null });
        }
      }
      if (reachedDb.has(event.id!)) await repo.findRefinery("no-such-rig");
      throw new Error("failing after its writes");
    };
    const client = await getPool().connect();
    try {
      const ref = await reference(client, townId, seeded, apply);
      const failing = new Set([...inMemory, ...reachedDb]);
      expect(new Set(ref.failed)).toEqual(failing);
      tries.clear();
      const result = await drainOnce(client, townId, apply, 500);
      // every failing event was tried exactly once in the drain, even those before the one that forced the
      // savepoint path
      for (const id of failing) expect(tries.get(id)).toBe(1);
      expect(result.failed).toBe(failing.size);
      expect(result.drained).toBe(ref.total - failing.size);
      expect(domainRows(await snapshot(client, townId, seeded))).toEqual(ref.rows);
      for (const e of await eventRows(townId)) {
        if (failing.has(e.id)) {
          expect(e.retryCount).toBe(1);
          expect(e.processedAt).toBeNull();
        } else expect(e.processedAt).not.toBeNull();
      }
    } finally {
      client.release();
    }
  });
});
