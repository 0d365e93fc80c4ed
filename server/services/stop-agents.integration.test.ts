import { describe, expect, it } from "vitest";
import { makeAgent } from "../agent-api/testing";
import { callerFor, testDb } from "../testing/db";
import { RecordingRuntime, testTickDeps } from "../testing/tick-doubles";
import { makeRig, makeUser } from "../../prisma/factories";

// Deleting a town or a rig stops its running agents (issue 5), through the town's runtime.

describe("deleting stops agents", () => {
  it("rig delete stops that rig's working agents only; town delete stops the rest", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const runtime = new RecordingRuntime();
    const caller = callerFor(user, { tickDeps: testTickDeps({ runtime }) });
    const town = await caller.town.create({ name: "stopping" });
    const rigA = await makeRig(db, town.id);
    const rigB = await makeRig(db, town.id);
    const a1 = await makeAgent(db, town.id, { rigId: rigA.id, status: "working" });
    const a2 = await makeAgent(db, town.id, { rigId: rigA.id, status: "idle" });
    const b1 = await makeAgent(db, town.id, { rigId: rigB.id, status: "stalled" });

    await caller.rig.delete({ townId: town.id, rigId: rigA.id });
    expect(runtime.stops.map((s) => s.agentId)).toEqual([a1.id]);
    expect(runtime.stops[0].reason).toBe("rig deleted");
    expect(await db.agentMetadata.count({ where: { beadId: { in: [a1.id, a2.id] } } })).toBe(0);

    await caller.town.delete({ townId: town.id });
    expect(runtime.stops.map((s) => s.agentId)).toEqual([a1.id, b1.id]);
    expect(await db.agentMetadata.count({ where: { townId: town.id } })).toBe(0);
  });
});
