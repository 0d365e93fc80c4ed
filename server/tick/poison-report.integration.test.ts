import * as Sentry from "@sentry/nextjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb } from "../testing/db";
import { testTickDeps } from "../testing/tick-doubles";
import { makeTown, makeUser } from "../../prisma/factories";
import { captureToSentry } from "./capture";
import { runTick } from "./run-tick";

// A poisoning reaches Sentry through the same function the app uses, with town, event id and type as tags.
// Sentry runs for real here, with a transport that keeps the envelopes instead of sending them.

describe("poison reporting", () => {
  const envelopes: string[] = [];
  beforeAll(() => {
    Sentry.init({
      dsn: "https://public@sentry.example.test/1",
      defaultIntegrations: false,
      transport: () =>
        ({
          send: async (envelope: unknown) => {
            envelopes.push(JSON.stringify(envelope));
            return {};
          },
          flush: async () => true,
        }) as never,
    });
  });
  afterAll(async () => {
    await Sentry.close(1000);
  });

  it("captures each poisoned event with the town, event id and type tags", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    const bad = await db.townEvent.create({ data: { townId: town.id, eventType: "agent_done", agentId: "ghost", payload: { branch: "b" } } });
    const report = await runTick(testTickDeps({ captureException: captureToSentry }), town.id, { now: new Date() });
    expect(report!.eventsPoisoned).toBe(1);
    await Sentry.flush(2000);
    const sent = envelopes.join("\n");
    expect(sent).toContain(`"town_id":"${town.id}"`);
    expect(sent).toContain(`"event_id":"${bad.id}"`);
    expect(sent).toContain(`"event_type":"agent_done"`);
    const row = await db.townEvent.findUniqueOrThrow({ where: { id: bad.id } });
    expect(row.poisonReason).toBe("entity_not_found");
  });
});
