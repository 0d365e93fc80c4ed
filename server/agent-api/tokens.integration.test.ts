import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from "vitest";
import pg from "pg";
import { SignJWT } from "jose";
import { testDb } from "../testing/db";
import { getEnv } from "../env";
import { makeBead } from "../../prisma/factories";
import { handleAgentRequest } from "./handler";
import { captureLogs } from "../testing/log-capture";
import { callAgentApi, makeAgent, seedTown, tokenFor } from "./testing";
import { AGENT_TOKEN_TTL_MS, hashAgentToken, mintAgentToken, mintAgentTokenSql, verifyAgentToken } from "../secrets/agent-tokens";

// Agent tokens on a real Postgres (SPEC.md §4.3): minted per dispatch, only a hash stored, refused when
// missing, garbage, expired, superseded, of a deleted agent or of another town — and still accepted right
// after an unhook, so a late gt_done lands. No token ever reaches the console or the log.

const db = testDb();
const HOUR = 60 * 60 * 1000;
const minted: string[] = [];
const consoleSpies: MockInstance[] = [];
const printed: string[] = [];

beforeAll(() => {
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    consoleSpies.push(
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      }),
    );
  }
});

afterAll(() => {
  for (const spy of consoleSpies) spy.mockRestore();
});

async function mint(townId: string, agent: { id: string; role: "mayor" | "polecat" | "refinery" }, now = new Date()) {
  const token = await tokenFor(db, townId, agent, now);
  minted.push(token);
  return token;
}

describe("minting", () => {
  it("signs town, agent, role and jti with an 8 h expiry and stores only the hash", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    const now = new Date("2030-01-01T00:00:00.000Z");
    const token = await mint(town.id, agent, now);

    const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
    expect(claims).toMatchObject({ town: town.id, agent: agent.id, role: "polecat", iat: now.getTime() / 1000, exp: (now.getTime() + 8 * HOUR) / 1000 });
    expect(typeof claims.jti).toBe("string");

    const rows = await db.agentToken.findMany({ where: { agentId: agent.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: claims.jti, townId: town.id, role: "polecat", tokenHash: hashAgentToken(token), revokedAt: null });
    expect(rows[0].expiresAt.getTime()).toBe(now.getTime() + AGENT_TOKEN_TTL_MS);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("refuses to mint for an agent of another town", async () => {
    const a = await seedTown(db);
    const b = await seedTown(db);
    const agentOfB = await makeAgent(db, b.town.id, { rigId: b.rig.id });
    await expect(mintAgentToken(db, { townId: a.town.id, agentId: agentOfB.id, role: "polecat" }, new Date())).rejects.toMatchObject({ code: "entity_not_found" });
    expect(await db.agentToken.count({ where: { agentId: agentOfB.id } })).toBe(0);
  });

  it("mints through a raw pg client the same way, revoking the previous token (the tick's path)", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    const first = await mint(town.id, agent);
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    let second: string;
    try {
      await client.query("BEGIN");
      second = await mintAgentTokenSql(client, { townId: town.id, agentId: agent.id, role: "polecat" }, new Date());
      await client.query("COMMIT");
    } finally {
      await client.end();
    }
    minted.push(second);
    expect((await verifyAgentToken(db, first, new Date())).ok).toBe(false);
    expect(await verifyAgentToken(db, `Bearer ${second}`, new Date())).toMatchObject({ ok: true, townId: town.id, agentId: agent.id, role: "polecat" });
  });

  it("runs inside a caller's Prisma transaction and rolls back with it", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    await expect(
      db.$transaction(async (tx) => {
        minted.push(await mintAgentToken(tx, { townId: town.id, agentId: agent.id, role: "polecat" }, new Date()));
        throw new Error("dispatch state phase failed");
      }),
    ).rejects.toThrow("dispatch state phase failed");
    expect(await db.agentToken.count({ where: { agentId: agent.id } })).toBe(0);
  });

  it("prunes the agent's expired tokens at the next mint", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    await mint(town.id, agent, new Date(Date.now() - 10 * HOUR));
    await mint(town.id, agent, new Date(Date.now() - 5 * HOUR));
    await mint(town.id, agent);
    expect(await db.agentToken.count({ where: { agentId: agent.id } })).toBe(2);
  });
});

describe("refusals through the route (401)", () => {
  it("refuses a missing token", async () => {
    const res = await callAgentApi("gt_heartbeat", null, {});
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: "unauthorized", reason: "missing" });
  });

  it("refuses garbage, a non-bearer scheme and a token signed with another key", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    expect((await callAgentApi("gt_heartbeat", "not-a-jwt", {})).json.error.reason).toBe("bad_signature");
    const basic = await callAgentApi("gt_heartbeat", null, {}, { authorization: "Basic dXNlcjpwYXNz" });
    expect(basic.status).toBe(401);
    const forged = await new SignJWT({ town: town.id, agent: agent.id, role: "mayor" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("gastown-control")
      .setAudience("gastown-agent-api")
      .setJti("x")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("another-key-another-key-another-key-1234"));
    const res = await callAgentApi("gt_sling", forged, { rig_id: rig.id, title: "x" });
    expect(res.status).toBe(401);
    expect(res.json.error.reason).toBe("bad_signature");
  });

  it("refuses an expired token (minted 9 h ago)", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await mint(town.id, agent, new Date(Date.now() - 9 * HOUR));
    const res = await callAgentApi("gt_heartbeat", token, {});
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ code: "unauthorized", reason: "expired" });
  });

  it("refuses a token superseded by a newer dispatch, and accepts the new one", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    const old = await mint(town.id, agent);
    const fresh = await mint(town.id, agent);
    const refused = await callAgentApi("gt_heartbeat", old, {});
    expect(refused.status).toBe(401);
    expect(refused.json.error.reason).toBe("revoked");
    expect((await callAgentApi("gt_heartbeat", fresh, {})).status).toBe(200);
  });

  it("refuses the token of a deleted agent (its tokens went with it)", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await mint(town.id, agent);
    await db.bead.delete({ where: { id: agent.id } });
    expect(await db.agentToken.count({ where: { agentId: agent.id } })).toBe(0);
    const res = await callAgentApi("gt_done", token, { branch: "b" });
    expect(res.status).toBe(401);
    expect(res.json.error.reason).toBe("agent_deleted");
  });

  it("refuses a well-signed token whose hash is not stored", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await mint(town.id, agent);
    await db.agentToken.deleteMany({ where: { agentId: agent.id } });
    const res = await callAgentApi("gt_heartbeat", token, {});
    expect(res.status).toBe(401);
    expect(res.json.error.reason).toBe("unknown");
  });
});

describe("scope", () => {
  it("still accepts a late gt_done after the agent was unhooked (202 and an agent_done event)", async () => {
    const { town, rig } = await seedTown(db);
    const bead = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress" });
    const agent = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: bead.id });
    const token = await mint(town.id, agent);
    // The tick unhooks the agent (e.g. agent_completed applied first).
    await db.agentMetadata.update({ where: { beadId: agent.id }, data: { currentHookBeadId: null, status: "idle" } });

    const res = await callAgentApi("gt_done", token, { branch: "gt/x/1", pr_url: "https://github.com/o/r/pull/1" });
    expect(res.status).toBe(202);
    const events = await db.townEvent.findMany({ where: { townId: town.id, eventType: "agent_done" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ agentId: agent.id, payload: { branch: "gt/x/1", pr_url: "https://github.com/o/r/pull/1" } });
    const completed = await callAgentApi("agent_completed", token, { status: "completed" });
    expect(completed.status).toBe(202);
  });

  it("never lets a town-A token act in town B", async () => {
    const a = await seedTown(db);
    const b = await seedTown(db);
    const agentA = await makeAgent(db, a.town.id, { rigId: a.rig.id });
    const agentB = await makeAgent(db, b.town.id, { rigId: b.rig.id });
    const beadB = await makeBead(db, b.town.id, { rigId: b.rig.id });
    const token = await mint(a.town.id, agentA);
    const mayorTokenA = await mint(a.town.id, a.mayor);

    const status = await callAgentApi("gt_bead_status", token, { bead_id: beadB.id });
    expect(status.status).toBe(404);
    expect(status.json.error.code).toBe("not_found");
    const mail = await callAgentApi("gt_mail_send", token, { to_agent_id: agentB.id, subject: "hi", body: "hello" });
    expect(mail.status).toBe(404);
    expect(await db.bead.count({ where: { type: "message", assigneeAgentBeadId: agentB.id } })).toBe(0);
    const sling = await callAgentApi("gt_sling", mayorTokenA, { rig_id: b.rig.id, title: "sneaky" });
    expect(sling.status).toBe(404);
    const update = await callAgentApi("gt_bead_update", mayorTokenA, { bead_id: beadB.id, status: "failed" });
    expect(update.status).toBe(404);
    expect((await db.bead.findUniqueOrThrow({ where: { id: beadB.id } })).status).toBe("open");
    expect(await db.townEvent.count({ where: { townId: b.town.id } })).toBe(0);
  });

  it("refuses the wrong role with 403: a polecat slinging, a polecat requesting changes", async () => {
    const { town, rig } = await seedTown(db);
    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await mint(town.id, polecat);
    const sling = await callAgentApi("gt_sling", token, { rig_id: rig.id, title: "work" });
    expect(sling.status).toBe(403);
    expect(sling.json.error.code).toBe("forbidden");
    expect(await db.bead.count({ where: { townId: town.id, type: "issue" } })).toBe(0);
    expect((await callAgentApi("gt_request_changes", token, { feedback: "no" })).status).toBe(403);
  });
});

describe("logging", () => {
  it("never prints a token, also when a tool fails with a 500", async () => {
    const { town, rig } = await seedTown(db);
    const agent = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await mint(town.id, agent);
    // A database that fails every transaction: the handler logs the failure — without the token.
    const broken = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === "$transaction") return () => Promise.reject(new Error("connection reset"));
        return Reflect.get(target, prop, receiver);
      },
    });
    const req = new Request("http://localhost/api/agent/gt_done", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ branch: "b" }),
    });
    // the handler's logger (server/log.ts, the real one), writing to memory
    const logs = captureLogs();
    const res = await handleAgentRequest(req, "gt_done", { db: broken, now: new Date(), log: logs.log });
    expect(res.status).toBe(500);
    expect((await res.json()).error.code).toBe("internal");
    const failure = logs.parsed().find((l) => l.level === "error");
    expect(failure).toMatchObject({ tool: "gt_done", town_id: town.id, agent_id: agent.id, status: 500, msg: "agent api call failed", err: { message: "connection reset" } });

    expect(minted.length).toBeGreaterThan(10);
    const output = printed.join("\n") + "\n" + logs.text();
    for (const t of minted) {
      expect(output).not.toContain(t);
      expect(output).not.toContain(t.split(".")[2]); // not even the signature part
    }
    expect(output).not.toContain(getEnv().GASTOWN_TOKEN_KEY);
  });
});
