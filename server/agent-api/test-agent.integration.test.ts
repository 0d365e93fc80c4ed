import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb } from "../testing/db";
import { makeBead } from "../../prisma/factories";
import { handleAgentRequest } from "./handler";
import { makeAgent, seedTown, tokenFor } from "./testing";

// The scripted test agent (scripts/test-agent.mjs) against the real agent API: a loopback HTTP server in
// front of the handler, a real child process, a real Postgres. Shows the wire contract holds end to end:
// prime, heartbeats that deliver mail, gt_done with a PR URL — and that the agent's output never shows
// its token.

const db = testDb();
const SCRIPT = fileURLToPath(new URL("../../scripts/test-agent.mjs", import.meta.url));
let server: Server;
let apiUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const tool = decodeURIComponent((req.url ?? "").replace(/^\/api\/agent\//, "").split("?")[0]);
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v] as [string, string]] : [])),
        body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
      });
      const response = await handleAgentRequest(request, tool, { db, now: new Date() });
      res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function runAgent(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Only what the agent needs (Next's ProcessEnv type insists on NODE_ENV, hence the cast).
    const childEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } as unknown as NodeJS.ProcessEnv;
    const child = spawn(process.execPath, [SCRIPT], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("scripts/test-agent.mjs against the real agent API", () => {
  it("primes, heartbeats (receiving its mail), and reports done with its PR URL", async () => {
    const { town, rig, mayor } = await seedTown(db);
    const bead = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress" });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "idle", hookBeadId: bead.id });
    await db.bead.create({
      data: { townId: town.id, type: "message", title: "Note", body: "use the new API", assigneeAgentBeadId: polecat.id, metadata: { from_agent_id: mayor.id } },
    });
    const token = await tokenFor(db, town.id, polecat);

    const { code, output } = await runAgent({
      GASTOWN_API_URL: apiUrl,
      GASTOWN_AGENT_TOKEN: token,
      GASTOWN_AGENT_ID: polecat.id,
      GASTOWN_AGENT_ROLE: "polecat",
      GASTOWN_TOWN_ID: town.id,
      GASTOWN_RIG_ID: rig.id,
      GASTOWN_BEAD_ID: bead.id,
      GASTOWN_BRANCH: "gt/test/1",
      TEST_AGENT_MODE: "pr",
      TEST_AGENT_PR_URL: "https://github.com/example/repo/pull/9",
      TEST_AGENT_HEARTBEAT_MS: "50",
      TEST_AGENT_DELAY_MS: "200",
    });
    expect(output).toContain("gt_prime → 200");
    expect(output).toContain("gt_done → 202");
    expect(code).toBe(0);
    expect(output).not.toContain(token);

    const agent = await db.agentMetadata.findUniqueOrThrow({ where: { beadId: polecat.id } });
    expect(agent.status).toBe("working"); // the heartbeat's proof of life; gt_done is applied by the tick
    expect(agent.lastEventType).toBe("test_agent_working");
    const done = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "agent_done" } });
    expect(done).toMatchObject({ agentId: polecat.id, payload: { branch: "gt/test/1", pr_url: "https://github.com/example/repo/pull/9" } });
    expect(await db.bead.count({ where: { townId: town.id, type: "message", status: "open" } })).toBe(0);
  });

  it("exits non-zero when its token is refused", async () => {
    const { town, rig } = await seedTown(db);
    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await tokenFor(db, town.id, polecat, new Date(Date.now() - 9 * 60 * 60 * 1000));
    const { code, output } = await runAgent({ GASTOWN_API_URL: apiUrl, GASTOWN_AGENT_TOKEN: token, GASTOWN_AGENT_ID: polecat.id, GASTOWN_AGENT_ROLE: "polecat", TEST_AGENT_MODE: "direct" });
    expect(code).toBe(1);
    expect(output).toContain("gt_prime: HTTP 401");
    expect(output).not.toContain(token);
  });
});
