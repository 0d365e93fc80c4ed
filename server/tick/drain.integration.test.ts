import { beforeAll, describe, expect, it } from "vitest";
import { getPool } from "../db/pool";
import { DomainError } from "../domain/errors";
import type { TownEvent } from "../domain/events";
import type { TownRepo } from "../domain/repo";
import { testDb } from "../testing/db";
import { makeBead, makeTown, makeUser } from "../../prisma/factories";
import { drainEvents, MAX_EVENT_RETRIES, type ApplyEventFn } from "./drain";
import { TickTx } from "./tx";

// The drain's poison protection on a real Postgres, with an apply function whose failures the test controls.
// Each successful apply writes a bead_events row tagged with the event id: a rolled-back batch leaves none,
// so "exactly one row per event" proves exactly-once application.

async function drain(townId: string, apply: ApplyEventFn, batchSize = 50) {
  const client = await getPool().connect();
  try {
    return await drainEvents(new TickTx(client, false), townId, new Date(), { apply, batchSize });
  } finally {
    client.release();
  }
}

function recordingApply(beadId: string, failFor: Set<string> = new Set(), notFoundFor: Set<string> = new Set()): ApplyEventFn {
  return async (repo: TownRepo, event: TownEvent, now: Date) => {
    await repo.insertBeadEvent({
      beadId,
      agentId: null,
      eventType: "test_applied",
      oldValue: null,
      newValue: event.id ?? null,
      metadata: {},
      createdAt: now,
    });
    if (notFoundFor.has(event.id!)) throw new DomainError("entity_not_found", `Bead ${event.beadId} not found`);
    if (failFor.has(event.id!)) throw new Error(`apply exploded for ${event.id}`);
    return [];
  };
}

async function enqueue(townId: string, n: number, payload: object = { bead_type: "issue", rig_id: null, has_blockers: false }) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = await testDb().townEvent.create({ data: { townId, eventType: "bead_created", payload } });
    ids.push(e.id);
  }
  return ids;
}

async function appliedCounts(beadId: string) {
  const rows = await testDb().beadEvent.findMany({ where: { beadId, eventType: "test_applied" } });
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.newValue!, (counts.get(r.newValue!) ?? 0) + 1);
  return counts;
}

describe("drain with poison protection", () => {
  let townId: string;
  let beadId: string;
  beforeAll(async () => {
    const user = await makeUser(testDb());
    townId = (await makeTown(testDb(), user.id)).id;
    beadId = (await makeBead(testDb(), townId)).id;
  });

  it("applies a clean queue in seq order, exactly once, one batch at a time", async () => {
    const ids = await enqueue(townId, 120);
    const seen: string[] = [];
    const apply = recordingApply(beadId);
    const result = await drain(townId, async (repo, ev, now) => (seen.push(ev.id!), apply(repo, ev, now)), 50);
    expect(result.drained).toBe(120);
    expect(seen).toEqual(ids);
    const counts = await appliedCounts(beadId);
    expect(ids.every((id) => counts.get(id) === 1)).toBe(true);
    expect(await testDb().townEvent.count({ where: { townId, processedAt: null } })).toBe(0);
    // A second drain finds nothing.
    expect((await drain(townId, recordingApply(beadId))).drained).toBe(0);
  });

  it("a failing event costs only its own retry: the events after it are applied in the same drain, once", async () => {
    const ids = await enqueue(townId, 10);
    const bad = ids[3];
    for (let attempt = 1; attempt <= MAX_EVENT_RETRIES; attempt++) {
      const result = await drain(townId, recordingApply(beadId, new Set([bad])), 50);
      const row = await testDb().townEvent.findUniqueOrThrow({ where: { id: bad } });
      expect(row.retryCount).toBe(attempt);
      expect(row.lastError).toContain("apply exploded");
      expect(row.processedAt).toBeNull();
      if (attempt < MAX_EVENT_RETRIES) {
        expect(row.poisonedAt).toBeNull();
        expect(result.failed).toBe(1);
      } else {
        expect(row.poisonedAt).not.toBeNull();
        expect(row.poisonReason).toBe("max_retries");
        expect(result.poisoned.map((p) => p.eventId)).toEqual([bad]);
      }
      if (attempt === 1) expect(result.drained).toBe(9);
    }
    const counts = await appliedCounts(beadId);
    for (const id of ids) if (id !== bad) expect(counts.get(id)).toBe(1);
    expect(counts.get(bad)).toBeUndefined(); // its writes were rolled back every time
    // A poisoned event is skipped from then on.
    const after = await drain(townId, recordingApply(beadId));
    expect(after.drained + after.failed + after.poisoned.length).toBe(0);
  });

  it("poisons an entity_not_found event on the first try", async () => {
    const [id] = await enqueue(townId, 1);
    const result = await drain(townId, recordingApply(beadId, new Set(), new Set([id])));
    const row = await testDb().townEvent.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ retryCount: 0, poisonReason: "entity_not_found", processedAt: null });
    expect(row.poisonedAt).not.toBeNull();
    expect(result.poisoned).toHaveLength(1);
  });

  it("poisons a payload that fails its schema on the first try, with the zod message", async () => {
    const bad = await testDb().townEvent.create({ data: { townId, eventType: "agent_done", payload: { pr_url: 42 } } });
    const unknown = await testDb().townEvent.create({ data: { townId, eventType: "no_such_event", payload: {} } });
    const [good] = await enqueue(townId, 1);
    const result = await drain(townId, recordingApply(beadId));
    expect(result.drained).toBe(1);
    for (const id of [bad.id, unknown.id]) {
      const row = await testDb().townEvent.findUniqueOrThrow({ where: { id } });
      expect(row.poisonReason).toBe("invalid_payload");
      expect(row.retryCount).toBe(0);
    }
    expect((await testDb().townEvent.findUniqueOrThrow({ where: { id: bad.id } })).lastError).toMatch(/agent_done payload/);
    expect((await appliedCounts(beadId)).get(good)).toBe(1);
  });

  it("tells the mayor (mail) and the town (notification) about each poisoning", async () => {
    const db = testDb();
    const mail = await db.bead.findMany({ where: { townId, type: "message" } });
    const notes = await db.notification.findMany({ where: { townId, kind: "poisoned_event" } });
    // three poisonings in the tests above (max_retries, entity_not_found, two invalid_payload) = 4
    expect(mail.length).toBe(4);
    expect(notes.length).toBe(4);
    expect(notes.map((n) => n.message).join("\n")).toMatch(/poison inbox/);
  });

  it("an event already at the retry limit (a crashed tick counted it) is poisoned without another apply", async () => {
    const e = await testDb().townEvent.create({
      data: { townId, eventType: "bead_created", payload: { bead_type: "issue", rig_id: null, has_blockers: false }, retryCount: 3 },
    });
    let called = 0;
    const result = await drain(townId, async () => (called++, []));
    expect(called).toBe(0);
    expect(result.poisoned.map((p) => p.eventId)).toEqual([e.id]);
  });
});
