import net from "node:net";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { GET } from "../../app/api/health/route";
import { makeTown, makeUser } from "../../prisma/factories";
import { getPool } from "../db/pool";
import { testDb } from "../testing/db";
import { testTickDeps } from "../testing/tick-doubles";
import { runTicks } from "../tick/run-ticks";
import { checkHealth } from "./health";

// GET /api/health (issue 16) on a real Postgres: 200 with the database's latency and the ticker's sweep when
// the database answers; 503 naming only the failure's kind when it is unreachable (a closed port) or does not
// answer (a server that accepts and stays silent). Pools are injected, so the app's own pool stays healthy.

const db = testDb();
const opened: pg.Pool[] = [];
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterAll(async () => {
  // the silent server's connections first: a pool waits for its connecting clients before it ends
  for (const s of sockets) s.destroy();
  await Promise.all(opened.map((p) => p.end().catch(() => {})));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

function poolAt(port: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: `postgresql://gastown:secret-password-123@127.0.0.1:${port}/nowhere`, connectionTimeoutMillis: 10_000 });
  pool.on("error", () => {});
  opened.push(pool);
  return pool;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** A server that accepts connections and never says a word (a hung database). */
async function silentServer(): Promise<number> {
  const server = net.createServer((socket) => void sockets.push(socket));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as net.AddressInfo).port;
}

describe("checkHealth", () => {
  it("answers 200 with the database's latency when it answers, and the last sweep once one ran", async () => {
    const before = await checkHealth({ pool: getPool });
    expect(before.status).toBe(200);
    expect(before.body.ok).toBe(true);
    expect(before.body.database).toEqual({ ok: true, latency_ms: expect.any(Number) });
    expect(before.body.ticker).toMatchObject({ enabled: false, last_town_tick_at: null });

    // a town ticked by a full sweep: the sweep is remembered in this process, the tick in the database
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    const ticked = await runTicks(testTickDeps(), { now: new Date() });
    expect(ticked.map((t) => t.townId)).toContain(town.id);

    const after = await checkHealth({ pool: getPool });
    expect(after.status).toBe(200);
    expect(after.body.ticker.last_sweep_at).toEqual(expect.any(String));
    expect(after.body.ticker.age_s).toEqual(expect.any(Number));
    const row = await db.town.findUniqueOrThrow({ where: { id: town.id } });
    expect(after.body.ticker.last_town_tick_at).toBe(row.lastTickAt!.toISOString());
    // and the age is measured against the clock it is given
    const later = await checkHealth({ pool: getPool, now: new Date(Date.parse(after.body.ticker.last_sweep_at!) + 90_000) });
    expect(later.body.ticker.age_s).toBe(90);
  });

  it("answers 503 when the database is unreachable, naming the error's code and nothing of the connection", async () => {
    const port = await closedPort();
    const { status, body } = await checkHealth({ pool: () => poolAt(port) });
    expect(status).toBe(503);
    expect(body).toMatchObject({ ok: false, database: { ok: false, error: "the database is unreachable (ECONNREFUSED)" } });
    expect(JSON.stringify(body)).not.toContain("secret-password-123");
    expect(JSON.stringify(body)).not.toContain(String(port));
  });

  it("answers 503 when the database accepts but does not answer within the timeout", async () => {
    const port = await silentServer();
    const { status, body } = await checkHealth({ pool: () => poolAt(port), timeoutMs: 200 });
    expect(status).toBe(503);
    expect(body.database).toEqual({ ok: false, error: "the database did not answer within 200 ms" });
  });

  it("answers 503 when there is no database to ask (the pool cannot be made)", async () => {
    const { status, body } = await checkHealth({
      pool: () => {
        throw new Error("DATABASE_URL is not set");
      },
    });
    expect(status).toBe(503);
    expect(body.database).toEqual({ ok: false, error: "the database is unreachable" });
  });
});

describe("GET /api/health", () => {
  it("is 200, JSON, never cached, and says nothing about towns", async () => {
    const res = await GET();
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(["database", "ok", "ticker"]);
    expect(body.ok).toBe(true);
  });
});
