import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapters, loadAdapterConfig, type Adapters } from "../../server/adapters";
import { createCaller } from "../../server/api/root";
import { getPool } from "../../server/db/pool";
import { startAgentApiServer } from "../../server/testing/agent-api-server";
import { testDb } from "../../server/testing/db";
import { buildTickDeps, enqueueAgentExits } from "../../server/tick/deps";
import { runTick, type TickDeps } from "../../server/tick/run-tick";
import { makeRig, makeTown, makeUser } from "../../prisma/factories";
import { ensureClaude } from "../scripts/install-claude.mjs";
import { expectOk, expectTools, filesUnder, until } from "../testing/e2e";
import { say, startScriptedModel, tool, type ModelRequest, type ModelScript, type ScriptedModel } from "../testing/scripted-model";

// The mayor's chat loop end to end with the REAL Claude Code binary (STACK.md §9), driven by a scripted
// model: a person writes "add a health check endpoint" through tRPC mayor.sendMessage → a tick starts the
// mayor (rule M1) through the `local` runtime with the operator command `gastown-agent run claude` → the
// launcher primes, and runs one `claude -p` turn with the mail and the mayor's MCP tools → Claude slings a
// bead into the rig and replies over MCP → the launcher waits with `gt_heartbeat {status: "waiting"}` → a
// second message reaches the SAME process through that heartbeat (no second start) → a second turn that
// resumes the same Claude session (`--resume`) → a second reply → the idle timeout: the launcher exits 0 →
// agent_completed → the mayor is idle again.
// Real: Claude Code, the MCP server, the launcher, Postgres, ticks, tRPC, the agent API. Fake: the model.

const installed = ensureClaude({ log: (line: string) => console.log(`[install-claude] ${line}`) });
const CLAUDE_BIN = installed.ok ? installed.bin : "";
const SKIP_REASON = installed.ok ? "" : installed.reason;
if (!installed.ok) console.warn(`claude-mayor-e2e SKIPPED: ${SKIP_REASON}`);

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const FIRST = "add a health check endpoint";
const SECOND = "also add a readiness probe please";
const SLUNG_TITLE = "Add a health check endpoint";
const FIRST_REPLY = `Slung "${SLUNG_TITLE}" to rig web (held until you confirm).`;
const SECOND_REPLY = "Noted the readiness probe; it belongs with the health check.";
const IDLE_TIMEOUT_MS = 6_000;

const MAYOR_TOOLS = ["mcp__gastown__gt_sling", "mcp__gastown__gt_sling_batch", "mcp__gastown__gt_list_beads", "mcp__gastown__gt_reply", "mcp__gastown__gt_bead_update"];
const NOT_FOR_THE_MAYOR = ["mcp__gastown__gt_done", "mcp__gastown__review_pass", "mcp__gastown__gt_request_changes"];

const lastUserText = (req: ModelRequest): string => {
  const last = [...req.messages].reverse().find((m) => m.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  return (Array.isArray(last.content) ? (last.content as Array<{ type?: string; text?: string }>) : []).map((b) => (b.type === "text" ? (b.text ?? "") : "")).join("\n");
};

/** The tool_use names of the assistant messages of the request's history. */
const calledBefore = (req: ModelRequest): string[] =>
  req.messages
    .filter((m) => m.role === "assistant" && Array.isArray(m.content))
    .flatMap((m) => (m.content as Array<{ type?: string; name?: string }>).filter((b) => b.type === "tool_use").map((b) => String(b.name)));

/** The mayor, played over two turns of one Claude session (the step is the number of assistant turns). */
function mayorScript(state: { rigId: string }): ModelScript {
  return {
    name: "mayor",
    match: (req) => req.prompt.includes("You are the Gastown mayor"),
    steps: [
      // turn 1: the first message
      {
        check: (req) => {
          expectTools(req, MAYOR_TOOLS);
          const wrong = NOT_FOR_THE_MAYOR.filter((t) => req.tools.includes(t));
          if (wrong.length) throw new Error(`tools the mayor must not have were offered: ${wrong.join(", ")}`);
          if (!req.prompt.includes(FIRST)) throw new Error(`the first turn's prompt lacks the person's message: ${req.prompt.slice(0, 600)}`);
          // The rig id comes from the server's start prompt (GASTOWN_PROMPT), as a real model would read it.
          const m = req.prompt.match(/- web \(id ([^)\s]+)\)/);
          if (!m) throw new Error(`the first turn's prompt names no rig id: ${req.prompt.slice(0, 600)}`);
          state.rigId = m[1];
        },
        // Held: no polecat is dispatched for it (this test has no git server); the mayor's job ends at the sling.
        reply: () => [tool("mcp__gastown__gt_sling", { rig_id: state.rigId, title: SLUNG_TITLE, body: "GET /health answers 200 with {ok: true}.", labels: ["gt:held"] })],
      },
      { check: (req) => expectOk(req, "mcp__gastown__gt_sling"), reply: () => [tool("mcp__gastown__gt_reply", { text: FIRST_REPLY })] },
      { check: (req) => expectOk(req, "mcp__gastown__gt_reply"), reply: () => [say("Slung one bead and answered.")] },
      // turn 2: the same session, resumed with the second message
      {
        check: (req) => {
          if (!lastUserText(req).includes(SECOND)) throw new Error(`the second turn's last message lacks the new mail: ${lastUserText(req).slice(0, 400)}`);
          const earlier = calledBefore(req);
          if (!earlier.includes("mcp__gastown__gt_sling") || !earlier.includes("mcp__gastown__gt_reply")) {
            throw new Error(`the second turn does not carry the first turn's conversation (tool calls seen: ${JSON.stringify(earlier)})`);
          }
          const results = JSON.stringify(req.messages);
          if (!results.includes("tool_result")) throw new Error("the second turn carries no earlier tool results");
          expectTools(req, ["mcp__gastown__gt_reply"]);
        },
        reply: () => [tool("mcp__gastown__gt_reply", { text: SECOND_REPLY })],
      },
      { check: (req) => expectOk(req, "mcp__gastown__gt_reply"), reply: () => [say("Answered the second message.")] },
    ],
  };
}

describe.skipIf(!installed.ok)(`the mayor's chat loop with the real Claude Code${installed.ok ? "" : ` (SKIPPED: ${SKIP_REASON})`}`, () => {
  let model: ScriptedModel;
  let api: Awaited<ReturnType<typeof startAgentApiServer>>;
  let adapters: Adapters;
  let deps: TickDeps;
  let workRoot: string;

  beforeAll(async () => {
    model = await startScriptedModel();
    api = await startAgentApiServer();
    workRoot = mkdtempSync(path.join(tmpdir(), "gt-claude-mayor-e2e-"));
    const home = path.join(workRoot, "home");
    mkdirSync(home, { recursive: true });
    adapters = createAdapters({
      appDir: ROOT,
      config: loadAdapterConfig({
        GASTOWN_AGENT_COMMANDS: `claude=node agent-kit/bin/gastown-agent.mjs run claude --bin ${CLAUDE_BIN} --heartbeat-ms 1000 --mayor-poll-ms 200 --idle-timeout-ms ${IDLE_TIMEOUT_MS} --stop-grace-ms 2000`,
        GASTOWN_AGENT_WORK_ROOT: workRoot,
        GASTOWN_AGENT_STOP_GRACE_MS: "3000",
        PATH: process.env.PATH,
        // Claude Code keeps its sessions under HOME (which is how --resume finds them): a scratch folder.
        HOME: home,
      }),
    });
    enqueueAgentExits(adapters, getPool());
    deps = buildTickDeps({ adapters, pool: getPool(), apiUrl: api.url, captureException: () => {} });
  });

  afterAll(async () => {
    await api?.close();
    await model?.close();
    if (workRoot) rmSync(workRoot, { recursive: true, force: true });
  });

  const logs = () => filesUnder(path.join(workRoot, "logs")).map((f) => readFileSync(f, "utf8")).join("\n");

  it("message → start → sling + reply → waiting → second message by heartbeat → resumed session → reply → idle exit 0 → idle", async () => {
    const state = { rigId: "" };
    model.setScripts([mayorScript(state)]);
    const db = testDb();
    const owner = await makeUser(db);
    const town = await makeTown(db, owner.id, { name: "Chat Town" });
    await db.townSettings.update({
      where: { townId: town.id },
      data: { config: { agent_runtime: "claude", env_vars: { ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: "sk-ant-scripted-model" } } },
    });
    const rig = await makeRig(db, town.id, { name: "web" });
    const caller = createCaller({ db, user: { id: owner.id, email: owner.email, name: owner.name }, tickDeps: deps });
    const mayorRow = () => db.agentMetadata.findFirstOrThrow({ where: { townId: town.id, role: "mayor" } });
    const mayorId = (await mayorRow()).beadId;

    let starts = 0;
    const tick = async () => {
      if (model.failures.length) throw new Error(`the scripted model saw a broken bridge:\n${model.failures.join("\n")}`);
      const result = await runTick(deps, town.id, { now: new Date() });
      starts += result?.actionsByType.start_mayor ?? 0;
    };
    const replies = () => db.mayorMessage.findMany({ where: { townId: town.id, kind: "mayor" }, orderBy: { seq: "asc" } });

    try {
      // 1. The first message starts the mayor (M1); Claude slings and replies in its first turn.
      await caller.mayor.sendMessage({ townId: town.id, message: FIRST });
      await until("the mayor's first reply", tick, async () => (await replies()).length >= 1, 120_000);
      expect(starts).toBe(1);
      expect(state.rigId).toBe(rig.id);
      const slung = await db.bead.findMany({ where: { townId: town.id, type: "issue" } });
      expect(slung).toHaveLength(1);
      expect(slung[0]).toMatchObject({ title: SLUNG_TITLE, rigId: rig.id, status: "open" });
      const first = await caller.mayor.conversation({ townId: town.id });
      expect(first.items.map((i) => i.kind)).toEqual(["person", "action", "mayor"]);
      expect(first.items[1].text).toBe(`Slung "${SLUNG_TITLE}" to rig web`);
      expect(first.items[1].bead).toMatchObject({ id: slung[0].id, type: "issue", rigId: rig.id });
      expect(first.items[2].text).toBe(FIRST_REPLY);
      await until("the mayor waiting", tick, async () => (await mayorRow()).status === "waiting", 30_000);
      const pid = (await mayorRow()).pid;
      expect(pid).toBeGreaterThan(0);

      // 2. A second message reaches the waiting mayor through its heartbeat: no new start, the same process,
      //    a second turn that resumes the first one's Claude session.
      await caller.mayor.sendMessage({ townId: town.id, message: SECOND });
      await until("the mayor's second reply", tick, async () => (await replies()).length >= 2, 120_000);
      expect(starts).toBe(1);
      expect((await mayorRow()).pid).toBe(pid);
      expect((await replies())[1].text).toBe(SECOND_REPLY);
      expect(model.played.mayor).toBe(5);
      const resumedRequest = model.requests.find((r) => r.script === "mayor" && r.step === 3)!.request;
      // the first turn's prompt, both of its tool calls and their results travel with the second turn
      expect(resumedRequest.prompt).toContain(FIRST);
      expect(JSON.stringify(resumedRequest.messages)).toContain("held until you confirm"); // the first gt_reply's input
      expect(JSON.stringify(resumedRequest.messages)).toContain("message_id"); // and its result
      expect(resumedRequest.messages.filter((m) => m.role === "assistant").length).toBe(3);
      const second = await caller.mayor.conversation({ townId: town.id });
      expect(second.items.map((i) => i.kind)).toEqual(["person", "action", "mayor", "person", "mayor"]);
      await until("the mayor waiting again", tick, async () => (await mayorRow()).status === "waiting", 30_000);

      // 3. No more mail: after the idle timeout the launcher exits 0 → agent_completed → idle.
      const completed = await until(
        "the mayor's exit",
        async () => {},
        () => db.townEvent.findFirst({ where: { townId: town.id, eventType: "agent_completed", agentId: mayorId } }),
        IDLE_TIMEOUT_MS + 30_000,
      );
      expect(completed.payload).toMatchObject({ status: "completed" });
      await tick();
      expect((await mayorRow()).status).toBe("idle");
      expect((await caller.mayor.conversation({ townId: town.id })).items).toHaveLength(5);
      expect(starts).toBe(1);
    } catch (error) {
      throw new Error(`${(error as Error).message}${model.failures.length ? `\nscripted model: ${model.failures.join("\n")}` : ""}\nagent logs:\n${logs().slice(-8000)}`);
    }

    // The launcher's log shows two Claude turns, the second one resuming, and the rest at exit 0.
    const log = logs();
    expect(log.match(/\[gastown\] claude launcher for mayor/g)).toHaveLength(1);
    expect(log.match(/\[gastown\] running .* -p <prompt of \d+ chars>/g)).toHaveLength(2);
    expect(log).toMatch(/-p <prompt of \d+ chars> --resume [0-9a-f-]{8} in /);
    expect(log).toContain("[claude] → mcp__gastown__gt_sling");
    expect(log).toContain("the mayor rests (exit 0)");
    // a token was minted for the mayor, and the one MCP config it ran with names none
    const tokens = await getPool().query(`SELECT count(*)::int AS n FROM agent_tokens WHERE agent_id = $1`, [mayorId]);
    expect(tokens.rows[0].n).toBeGreaterThan(0);
    const mcpConfig = filesUnder(path.join(workRoot, "work")).filter((f) => f.endsWith("claude-mcp.json"));
    expect(mcpConfig.length).toBe(1);
    expect(existsSync(mcpConfig[0])).toBe(true);
    expect(readFileSync(mcpConfig[0], "utf8")).not.toMatch(/TOKEN|eyJ/);
  }, 300_000);
});
