import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeBead } from "../../prisma/factories";
import { makeAgent, seedTown, tokenFor } from "../../server/agent-api/testing";
import { startAgentApiServer } from "../../server/testing/agent-api-server";
import { testDb } from "../../server/testing/db";

// The real kit against the real agent API: `node agent-kit/bin/gastown-agent.mjs mcp` spawned over stdio
// by the MCP SDK's own client (as Claude Code or Codex would start it), from a foreign cwd, talking to
// the route handler on a loopback port backed by Postgres. Plus the `gt` CLI once. Every output the
// child produced is checked for the token.

const db = testDb();
const BIN = fileURLToPath(new URL("../bin/gastown-agent.mjs", import.meta.url));
let api: Awaited<ReturnType<typeof startAgentApiServer>>;

beforeAll(async () => {
  api = await startAgentApiServer();
});
afterAll(async () => {
  api.server.closeAllConnections();
  await api.close();
});

interface Session {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  call(name: string, args?: Record<string, unknown>): Promise<{ isError: boolean; text: string }>;
  tools(): Promise<string[]>;
}
const sessions: Client[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((c) => c.close()));
});

const EXTRA_TOOLS = fileURLToPath(new URL("./fixtures/extra-tools.ts", import.meta.url));

async function startMcp(role: string, token: string, extraArgs: string[] = []): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, "mcp", ...extraArgs],
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GASTOWN_API_URL: api.url, GASTOWN_AGENT_TOKEN: token, GASTOWN_AGENT_ROLE: role },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr!.on("data", (d: Buffer) => (stderr += d));
  const client = new Client({ name: "integration-test", version: "1" });
  await client.connect(transport);
  sessions.push(client);
  return {
    client,
    stderr: () => stderr,
    async call(name, args = {}) {
      const result = await client.callTool({ name, arguments: args });
      return { isError: result.isError === true, text: (result.content as { text: string }[]).map((c) => c.text).join("\n") };
    },
    async tools() {
      return (await client.listTools()).tools.map((t) => t.name);
    },
  };
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } as unknown as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("gastown-agent mcp against the real agent API", () => {
  it("lists each role's tools: a polecat has no gt_sling or gt_reply, the mayor has both, nobody gets the callbacks", async () => {
    const { town, rig, mayor } = await seedTown(db);
    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    const polecatTools = await (await startMcp("polecat", await tokenFor(db, town.id, polecat))).tools();
    const mayorTools = await (await startMcp("mayor", await tokenFor(db, town.id, mayor))).tools();

    expect(polecatTools).toEqual(expect.arrayContaining(["gt_prime", "gt_done", "gt_heartbeat", "gt_bead_status"]));
    expect(polecatTools).not.toContain("gt_sling");
    expect(polecatTools).not.toContain("gt_reply");
    expect(mayorTools).toEqual(expect.arrayContaining(["gt_prime", "gt_sling", "gt_reply", "gt_list_beads"]));
    for (const tools of [polecatTools, mayorTools]) {
      expect(tools).not.toContain("agent_completed");
      expect(tools).not.toContain("container_status");
    }
  });

  it("a polecat's gt_prime answers with its hooked bead", async () => {
    const { town, rig } = await seedTown(db);
    const bead = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress", title: "Add the changelog" });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: bead.id });
    const token = await tokenFor(db, town.id, polecat);
    const session = await startMcp("polecat", token);

    const prime = await session.call("gt_prime");
    expect(prime.isError).toBe(false);
    expect(prime.text).toContain(bead.id);
    expect(prime.text).toContain("Add the changelog");
    expect(JSON.parse(prime.text)).toBeTypeOf("object");
    expect(prime.text + session.stderr()).not.toContain(token);
  });

  it("the mayor's gt_sling creates an open issue in the rig; a bad body is an isError with the zod message and creates nothing", async () => {
    const { town, rig, mayor } = await seedTown(db);
    const session = await startMcp("mayor", await tokenFor(db, town.id, mayor));

    const sling = await session.call("gt_sling", { rig_id: rig.id, title: "Write the install guide", labels: ["docs"] });
    expect(sling.isError).toBe(false);
    const answer = JSON.parse(sling.text) as { bead_id: string };
    const bead = await db.bead.findUniqueOrThrow({ where: { id: answer.bead_id } });
    expect(bead).toMatchObject({ townId: town.id, rigId: rig.id, type: "issue", status: "open", title: "Write the install guide" });

    const before = await db.bead.count({ where: { townId: town.id } });
    const bad = await session.call("gt_sling", { rig_id: rig.id, title: "   " });
    expect(bad).toEqual({ isError: true, text: "Invalid arguments for gt_sling: title: A title is required." });
    const unknownRig = await session.call("gt_sling", { rig_id: "no-such-rig", title: "x" });
    expect(unknownRig.isError).toBe(true);
    expect(unknownRig.text).toMatch(/^404 not_found: /);
    expect(await db.bead.count({ where: { townId: town.id } })).toBe(before);
  });

  it("a polecat is not offered the mayor's tools and is refused when it calls one anyway; the server refuses a mislabelled role too", async () => {
    const { town, rig } = await seedTown(db);
    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await tokenFor(db, town.id, polecat);
    const before = await db.bead.count({ where: { townId: town.id } });

    const asPolecat = await startMcp("polecat", token);
    const refused = await asPolecat.call("gt_sling", { rig_id: rig.id, title: "Sneaky" });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain("gt_sling is not available to a polecat");

    // A runtime that mislabels the role: the kit offers gt_sling, the API (which reads the role from the
    // token) refuses it.
    const mislabelled = await startMcp("mayor", token);
    const forbidden = await mislabelled.call("gt_sling", { rig_id: rig.id, title: "Sneaky" });
    expect(forbidden.isError).toBe(true);
    expect(forbidden.text).toMatch(/^403 forbidden: gt_sling is for the mayor; you are a polecat\./);
    expect(await db.bead.count({ where: { townId: town.id } })).toBe(before);
  });

  it("a revoked or forged token is an isError with the 401 message, and the token is nowhere in the output", async () => {
    const { town, rig } = await seedTown(db);
    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    const revoked = await tokenFor(db, town.id, polecat);
    await tokenFor(db, town.id, polecat); // a new dispatch supersedes it
    const forged = `${revoked.slice(0, -6)}AAAAAA`;

    for (const [token, message] of [
      [revoked, "The agent token was superseded by a newer dispatch of this agent."],
      [forged, "The agent token is not valid."],
    ] as const) {
      const session = await startMcp("polecat", token);
      const prime = await session.call("gt_prime");
      const heartbeat = await session.call("gt_heartbeat", {});
      expect(prime.isError).toBe(true);
      expect(prime.text).toContain(`401 unauthorized: ${message}`);
      expect(heartbeat.text).toContain("401 unauthorized");
      const everything = [prime.text, heartbeat.text, session.stderr(), JSON.stringify(await session.client.listTools())].join("\n");
      expect(everything).not.toContain(token);
      expect(session.stderr()).toContain("gt_prime: 401");
    }
  });
});

describe("gastown-agent mcp --extra-tools", () => {
  it("adds a launcher's kit-local tools after the agent API's, validated and handled in the kit", async () => {
    const { town, rig } = await seedTown(db);
    const refinery = await makeAgent(db, town.id, { role: "refinery", rigId: rig.id });
    const session = await startMcp("refinery", await tokenFor(db, town.id, refinery), ["--extra-tools", EXTRA_TOOLS]);
    const tools = await session.tools();
    expect(tools.at(-1)).toBe("echo_role");
    expect(tools).toContain("gt_request_changes");
    expect(await session.call("echo_role", { word: "hi" })).toEqual({ isError: false, text: JSON.stringify({ role: "refinery", word: "hi" }, null, 2) });
    expect(await session.call("echo_role", {})).toMatchObject({ isError: true, text: expect.stringContaining("Invalid arguments for echo_role: word:") });
  });
});

describe("gastown-agent gt against the real agent API", () => {
  it("gt gt_bead_status --bead-id prints the bead as JSON", async () => {
    const { town, rig } = await seedTown(db);
    const bead = await makeBead(db, town.id, { rigId: rig.id, title: "Fix the flaky test" });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id });
    const token = await tokenFor(db, town.id, polecat);
    const env = { GASTOWN_API_URL: api.url, GASTOWN_AGENT_TOKEN: token, GASTOWN_AGENT_ROLE: "polecat" };

    const ok = await runCli(["gt", "gt_bead_status", "--bead-id", bead.id], env);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(JSON.stringify(JSON.parse(ok.stdout))).toContain("Fix the flaky test");

    const missing = await runCli(["gt", "bead-status", "--bead-id", "no-such-bead"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gt gt_bead_status: 404 not_found: /);
    expect(ok.stdout + missing.stdout + missing.stderr).not.toContain(token);
  });
});
