import { describe, expect, it } from "vitest";
import { getEnv } from "@/server/env";
import { testDb } from "@/server/testing/db";
import { makeTown, makeUser } from "@/prisma/factories";
import { GET, POST } from "./route";

// The cron route exactly as SPEC.md §4.2: bearer CRON_SECRET or 401; ?town= ticks that town now.

const req = (url: string, auth?: string, method = "GET") =>
  new Request(`http://127.0.0.1${url}`, { method, headers: auth ? { authorization: auth } : {} });

describe("/api/cron/tick", () => {
  it("refuses a missing or wrong secret with 401 and ticks nothing", async () => {
    const db = testDb();
    const town = await makeTown(db, (await makeUser(db)).id);
    for (const auth of [undefined, "Bearer nope", `Basic ${getEnv().CRON_SECRET}`, getEnv().CRON_SECRET]) {
      const res = await GET(req(`/api/cron/tick?town=${town.id}`, auth));
      expect(res.status).toBe(401);
    }
    expect((await db.town.findUniqueOrThrow({ where: { id: town.id } })).lastTickAt).toBeNull();
  });

  it("ticks the named town and returns the metrics of SPEC.md §4.2", async () => {
    const db = testDb();
    const town = await makeTown(db, (await makeUser(db)).id);
    await db.townEvent.create({ data: { townId: town.id, eventType: "bead_created", payload: { bead_type: "issue", rig_id: null, has_blockers: false } } });
    const res = await POST(req(`/api/cron/tick?town=${town.id}`, `Bearer ${getEnv().CRON_SECRET}`, "POST"));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.ticks).toHaveLength(1);
    expect(Object.keys(body.ticks[0]).sort()).toEqual(
      [
        "townId", "eventsDrained", "eventsPoisoned", "actionsEmitted", "actionsByType", "sideEffectsAttempted",
        "sideEffectsSucceeded", "sideEffectsFailed", "invariantViolations", "wallClockMs", "pendingEventCount",
      ].sort(),
    );
    expect(body.ticks[0]).toMatchObject({ townId: town.id, eventsDrained: 1, pendingEventCount: 0 });
  });

  it("without ?town= ticks every due town and skips the ones not due", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const due = await makeTown(db, user.id);
    const notDue = await makeTown(db, user.id);
    await db.town.update({ where: { id: notDue.id }, data: { nextTickAt: new Date(Date.now() + 3_600_000) } });
    const res = await GET(req(`/api/cron/tick`, `Bearer ${getEnv().CRON_SECRET}`));
    const ids = (await res.json()).ticks.map((t: { townId: string }) => t.townId);
    expect(ids).toContain(due.id);
    expect(ids).not.toContain(notDue.id);
  });

  it("answers a malformed town parameter with a 400", async () => {
    const res = await GET(req(`/api/cron/tick?town=${"x".repeat(100)}`, `Bearer ${getEnv().CRON_SECRET}`));
    expect(res.status).toBe(400);
  });
});
