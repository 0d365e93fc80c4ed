import { describe, expect, it } from "vitest";
import { testDb } from "../testing/db";
import { callAgentApi, makeAgent, seedTown, tokenFor } from "./testing";

// The agent API's side of the mayor (SPEC.md §4.4b): the working ⇄ waiting cycle through gt_heartbeat, the
// hourly token renewal of a live agent, gt_reply and the mayor's actions in the conversation, the prime
// context that names the town's rigs — on a real Postgres through the real route.

const db = testDb();
const HOUR = 60 * 60 * 1000;

async function mayorStatus(agentId: string) {
  return (await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agentId } })).status;
}

describe("mayor status through gt_heartbeat", () => {
  it("the mayor says waiting while idle in chat and working while it acts", async () => {
    const { town, mayor } = await seedTown(db);
    const token = await tokenFor(db, town.id, mayor);
    const waiting = await callAgentApi("gt_heartbeat", token, { status: "waiting" });
    expect(waiting.status).toBe(200);
    expect(waiting.json.status).toBe("waiting");
    expect(await mayorStatus(mayor.id)).toBe("waiting");
    const working = await callAgentApi("gt_heartbeat", token, { status: "working" });
    expect(working.json.status).toBe("working");
    expect(await mayorStatus(mayor.id)).toBe("working");
  });

  it("refuses waiting from anyone but the mayor, without touching the agent", async () => {
    const { town, rig } = await seedTown(db);
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "idle" });
    const res = await callAgentApi("gt_heartbeat", await tokenFor(db, town.id, polecat), { status: "waiting" });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/Only the mayor waits/);
    expect(await mayorStatus(polecat.id)).toBe("idle");
  });
});

describe("token renewal through the heartbeat", () => {
  it("renews a token over an hour old once; both the old and the new token keep working", async () => {
    const { town, mayor } = await seedTown(db);
    const old = await tokenFor(db, town.id, mayor, new Date(Date.now() - 2 * HOUR));
    const first = await callAgentApi("gt_heartbeat", old, { status: "waiting" });
    expect(first.status).toBe(200);
    expect(typeof first.json.token).toBe("string");
    expect(first.json.token).not.toBe(old);
    expect(new Date(first.json.token_expires_at).getTime()).toBeGreaterThan(Date.now() + 7 * HOUR);

    // The renewed token passes the mayor-only tools; the old one is not revoked (a call under way with it
    // still gets through) and does not get a second renewal while a young token exists.
    const again = await callAgentApi("gt_heartbeat", old, { status: "waiting" });
    expect(again.status).toBe(200);
    expect(again.json.token).toBeUndefined();
    const list = await callAgentApi("gt_list_beads", first.json.token, {});
    expect(list.status).toBe(200);
    expect(await db.agentToken.count({ where: { agentId: mayor.id } })).toBe(2);
  });

  it("does not renew a young token", async () => {
    const { town, mayor } = await seedTown(db);
    const res = await callAgentApi("gt_heartbeat", await tokenFor(db, town.id, mayor), {});
    expect(res.status).toBe(200);
    expect(res.json.token).toBeUndefined();
  });
});

describe("the mayor's conversation lines", () => {
  it("gt_reply adds the mayor's answer; gt_sling adds an action line linked to the bead", async () => {
    const { town, rig, mayor } = await seedTown(db);
    const token = await tokenFor(db, town.id, mayor);
    const slung = await callAgentApi("gt_sling", token, { rig_id: rig.id, title: "Add the billing page" });
    expect(slung.status).toBe(201);
    const reply = await callAgentApi("gt_reply", token, { text: "On it." });
    expect(reply.status).toBe(201);
    const lines = await db.mayorMessage.findMany({ where: { townId: town.id }, orderBy: { seq: "asc" } });
    expect(lines.map((l) => [l.kind, l.text, l.beadId])).toEqual([
      ["action", `Slung "Add the billing page" to rig ${rig.name}`, slung.json.bead_id],
      ["mayor", "On it.", null],
    ]);
  });

  it("gt_reply is the mayor's: a polecat gets 403, an empty reply 400", async () => {
    const { town, rig, mayor } = await seedTown(db);
    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    expect((await callAgentApi("gt_reply", await tokenFor(db, town.id, polecat), { text: "hi" })).status).toBe(403);
    const empty = await callAgentApi("gt_reply", await tokenFor(db, town.id, mayor), { text: "  " });
    expect(empty.status).toBe(400);
    expect(await db.mayorMessage.count({ where: { townId: town.id } })).toBe(0);
  });
});

describe("gt_prime for the mayor", () => {
  it("names the town's rigs with their ids, and the effective merge settings of an agent's rig", async () => {
    const { town, rig, mayor } = await seedTown(db);
    await db.rig.update({ where: { id: rig.id }, data: { config: { merge_strategy: "pr" } } });
    const prime = await callAgentApi("gt_prime", await tokenFor(db, town.id, mayor), {});
    expect(prime.status).toBe(200);
    expect(prime.json.town.rigs).toEqual([{ id: rig.id, name: rig.name, git_url: rig.gitUrl, default_branch: rig.defaultBranch }]);
    expect(prime.json.rig).toBeNull();

    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    const polecatPrime = await callAgentApi("gt_prime", await tokenFor(db, town.id, polecat), {});
    expect(polecatPrime.json.rig.id).toBe(rig.id);
    expect(polecatPrime.json.settings).toEqual({ merge_strategy: "pr", review_mode: "rework", code_review: true });
  });
});
