import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AgentRole } from "../../server/domain/types";
import { createAgentApi } from "./api-client";
import { createGastownMcpServer } from "./mcp";
import type { ExtraTool } from "./tools";

// The MCP server over an in-memory transport with a fake agent API: what a model sees for each kind of
// outcome. The real server over stdio against the real API is in test/mcp.integration.test.ts.

const TOKEN = "gta_mcp-secret-token-0123456789";
const FRESH = "gta_mcp-fresh-token-9876543210";

let clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});

async function connect(role: AgentRole, answer: (tool: string, body: unknown) => Response, extraTools: ExtraTool[] = []) {
  const sent: { tool: string; body: unknown; authorization: string | null }[] = [];
  const logs: string[] = [];
  const api = createAgentApi({
    apiUrl: "http://api.test",
    token: TOKEN,
    fetch: (async (url: string, init: RequestInit) => {
      const tool = url.split("/").pop()!;
      const body = JSON.parse(String(init.body));
      sent.push({ tool, body, authorization: new Headers(init.headers).get("authorization") });
      return answer(tool, body);
    }) as typeof fetch,
  });
  const server = createGastownMcpServer({ role, api, extraTools, log: (l) => logs.push(l) });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test", version: "1" });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  clients.push(client);
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args });
    const content = result.content as { type: string; text: string }[];
    return { isError: result.isError === true, text: content.map((c) => c.text).join("\n") };
  };
  return { client, call, sent, logs };
}

describe("gastown MCP server", () => {
  it("is named gastown and lists the role's tools with their JSON schemas", async () => {
    const { client } = await connect("polecat", () => Response.json({}));
    expect(client.getServerVersion()?.name).toBe("gastown");
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain("gt_prime");
    expect(names).not.toContain("gt_sling");
    expect(names).not.toContain("agent_completed");
    expect(tools.find((t) => t.name === "gt_bead_status")!.inputSchema).toMatchObject({ type: "object", required: ["bead_id"] });
  });

  it("forwards valid arguments and answers with the JSON", async () => {
    const { call, sent } = await connect("mayor", () => Response.json({ bead_id: "b9" }, { status: 201 }));
    const result = await call("gt_sling", { rig_id: "r1", title: "Add a README" });
    expect(result).toEqual({ isError: false, text: JSON.stringify({ bead_id: "b9" }, null, 2) });
    expect(sent).toEqual([{ tool: "gt_sling", body: { rig_id: "r1", title: "Add a README" }, authorization: `Bearer ${TOKEN}` }]);
  });

  it("refuses invalid arguments locally with the zod messages, sending nothing", async () => {
    const { call, sent } = await connect("mayor", () => Response.json({}));
    const result = await call("gt_sling", { rig_id: "r1", title: "" });
    expect(result.isError).toBe(true);
    expect(result.text).toBe("Invalid arguments for gt_sling: title: A title is required.");
    expect(sent).toEqual([]);
  });

  it("refuses another role's tool and an unknown tool, listing the role's tools", async () => {
    const { call, sent } = await connect("polecat", () => Response.json({}));
    const sling = await call("gt_sling", { rig_id: "r", title: "t" });
    expect(sling.isError).toBe(true);
    expect(sling.text).toContain("gt_sling is not available to a polecat");
    expect(sling.text).toContain("gt_prime");
    expect((await call("agent_completed", { status: "completed" })).text).toContain("not available");
    expect((await call("rm_rf", {})).text).toContain('There is no tool "rm_rf"');
    expect(sent).toEqual([]);
  });

  it("turns API refusals and failures into isError lines a model can act on, without the token", async () => {
    const answers: Record<string, Response> = {
      gt_bead_status: Response.json({ error: { code: "not_found", message: "No bead nope in this town." } }, { status: 404 }),
      gt_prime: Response.json({ error: { code: "unauthorized", message: `token ${TOKEN} expired`, reason: "expired" } }, { status: 401 }),
      gt_mail_check: Response.json({ error: { code: "internal", message: "The agent API failed on this call; it is safe to retry." } }, { status: 500 }),
    };
    const { call, logs } = await connect("polecat", (tool) => answers[tool]);
    expect(await call("gt_bead_status", { bead_id: "nope" })).toEqual({ isError: true, text: "404 not_found: No bead nope in this town." });
    const unauthorized = await call("gt_prime");
    expect(unauthorized.isError).toBe(true);
    expect(unauthorized.text).toMatch(/^401 unauthorized: token \[redacted\] expired/);
    expect((await call("gt_mail_check")).text).toMatch(/^500 internal: .*safe to retry/);
    expect(JSON.stringify([unauthorized, logs])).not.toContain(TOKEN);
    expect(logs).toContain("[gastown-mcp] gt_prime: 401");
  });

  it("applies a heartbeat's refreshed token and never shows it to the model", async () => {
    const { call, sent } = await connect("mayor", (tool) => (tool === "gt_heartbeat" ? Response.json({ ok: true, token: FRESH }) : Response.json({ ok: true })));
    const beat = await call("gt_heartbeat", { status: "waiting" });
    expect(beat.isError).toBe(false);
    expect(beat.text).not.toContain(FRESH);
    await call("gt_reply", { text: "On it." });
    expect(sent.map((s) => s.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${FRESH}`]);
  });

  it("serves extra kit-local tools: listed after the API's, validated with their zod schema, handled locally", async () => {
    const seen: unknown[] = [];
    const extra: ExtraTool = {
      name: "gh_pr_comment",
      description: "Comment on the pull request under review.",
      schema: z.object({ body: z.string().trim().min(1, "Say something.") }),
      handler: (args) => {
        seen.push(args);
        return args.body === "fail" ? { ok: false, message: "GitHub said no." } : { ok: true, body: { commented: true } };
      },
    };
    const { client, call, sent } = await connect("refinery", () => Response.json({}), [extra]);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.at(-1)).toBe("gh_pr_comment");
    expect(names).toContain("gt_request_changes");
    expect(await call("gh_pr_comment", { body: "  Looks good  " })).toEqual({ isError: false, text: JSON.stringify({ commented: true }, null, 2) });
    expect(seen).toEqual([{ body: "Looks good" }]);
    expect(await call("gh_pr_comment", { body: " " })).toEqual({ isError: true, text: "Invalid arguments for gh_pr_comment: body: Say something." });
    expect(await call("gh_pr_comment", { body: "fail" })).toEqual({ isError: true, text: "GitHub said no." });
    expect(sent).toEqual([]);
  });

  it("reports a throwing extra tool as a tool error, not a crash", async () => {
    const { call } = await connect("refinery", () => Response.json({}), [
      { name: "boom", description: "x", handler: () => Promise.reject(new Error(`exploded with ${TOKEN}`)) },
    ]);
    const result = await call("boom");
    expect(result.isError).toBe(true);
    expect(result.text).toBe("boom failed inside the gastown MCP server: exploded with [redacted]");
  });
});
