import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createAgentApi } from "../api-client";
import type { Mail } from "../instructions";
import { parseLauncherArgs } from "./args";
import type { LauncherContext } from "./context";
import type { AgentDriver, TurnRequest, TurnResult } from "./driver";
import { FAILED_TURN_REPLY, runMayor } from "./mayor";

// The mayor's chat loop (mayor.ts) without Claude: a fake driver in place of `claude -p`, and the real agent
// API client over a scripted fetch that answers gt_prime, gt_heartbeat and gt_reply.

const TOKEN_1 = "tok-first-0123456789";
const TOKEN_2 = "tok-renewed-0123456789";

const person = (id: string, text: string): Mail => ({ id, from_kind: "person", from_name: "Ann", from_agent_id: "user:u1", subject: text, body: text });
const notice = (id: string, subject: string): Mail => ({ id, from_kind: "system", from_agent_id: "system", subject, body: "The reconciler says so." });

const done = (sessionId: string | null, extra: Partial<TurnResult> = {}): TurnResult => ({ exitCode: 0, stopped: false, failed: false, sessionId, finalText: "", calls: [], ...extra });
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Call {
  tool: string;
  body: Record<string, unknown>;
  auth: string;
  /** working heartbeats sent and not yet answered when this call was sent */
  workingInFlight: number;
}

type Answer = { status?: number; body: unknown; delayMs?: number };

/** A scripted agent API: prime's mail, then one answer per heartbeat (by kind), gt_reply recorded. */
function fakeApi(script: { prime?: Answer; waiting?: Array<Partial<Answer> & { body?: unknown }>; working?: Array<Partial<Answer> & { body?: unknown }> }) {
  const calls: Call[] = [];
  let workingInFlight = 0;
  const waiting = [...(script.waiting ?? [])];
  const working = [...(script.working ?? [])];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const tool = String(url).split("/").pop()!;
    const body = JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown>;
    const auth = String((init?.headers as Record<string, string>).authorization);
    calls.push({ tool, body, auth, workingInFlight });
    let answer: Answer = { body: { ok: true } };
    if (tool === "gt_prime") answer = script.prime ?? { body: { agent: { id: "mayor-1", role: "mayor" }, undelivered_mail: [] } };
    else if (tool === "gt_heartbeat" && body.status === "waiting") answer = { body: { ok: true, status: "waiting", nudges: [], mail: [] }, ...(waiting.shift() ?? {}) } as Answer;
    else if (tool === "gt_heartbeat") answer = { body: { ok: true, status: "working", nudges: [], mail: [] }, ...(working.shift() ?? {}) } as Answer;
    const isWorking = tool === "gt_heartbeat" && body.status === "working";
    if (isWorking) workingInFlight++;
    if (answer.delayMs) await delay(answer.delayMs);
    if (isWorking) workingInFlight--;
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { "content-type": "application/json" } });
  }) as typeof globalThis.fetch;
  return { fetch, calls, beats: () => calls.filter((c) => c.tool === "gt_heartbeat"), replies: () => calls.filter((c) => c.tool === "gt_reply") };
}

/** A driver playing one scripted function per turn; records what each turn was asked (env copied). */
function fakeDriver(turns: Array<(req: TurnRequest) => Promise<TurnResult> | TurnResult>) {
  const requests: TurnRequest[] = [];
  const driver: AgentDriver = {
    name: "claude",
    async runTurn(req) {
      requests.push({ ...req, env: { ...req.env } });
      const play = turns[requests.length - 1];
      if (!play) throw new Error(`unexpected turn ${requests.length}`);
      return play(req);
    },
  };
  return { driver, requests };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function makeCtx(opts: { fetch: typeof fetch; driver: AgentDriver; args?: string[]; stop?: AbortSignal }) {
  let token = TOKEN_1;
  const api = createAgentApi({ apiUrl: "http://agent-api.invalid", token, fetch: opts.fetch, onTokenRefresh: (next) => (token = next) });
  const workDir = mkdtempSync(path.join(tmpdir(), "gt-mayor-unit-"));
  dirs.push(workDir);
  const lines: string[] = [];
  const ctx: LauncherContext = {
    env: { GASTOWN_PROMPT: "SERVER PROMPT: rig web (id rig-1)", GASTOWN_AGENT_TOKEN: TOKEN_1, GASTOWN_GIT_TOKEN: "ghp_secret_git_token", PATH: "/usr/bin", NODE_ENV: "test" },
    agentEnv: { apiUrl: "http://agent-api.invalid", token: TOKEN_1, role: "mayor", agentId: "mayor-1" },
    api,
    driver: opts.driver,
    options: parseLauncherArgs(["claude", "--mayor-poll-ms", "5", "--idle-timeout-ms", "150", "--heartbeat-ms", "10", ...(opts.args ?? [])]),
    workDir,
    mcp: { command: "node", args: ["gastown-agent.mjs", "mcp"] },
    log: (line) => lines.push(line),
    stop: opts.stop ?? new AbortController().signal,
    currentToken: () => token,
  };
  return { ctx, lines };
}

/** Consecutive heartbeat statuses, collapsed: ["working", "waiting", …]. */
const phases = (calls: Call[]) =>
  calls
    .filter((c) => c.tool === "gt_heartbeat")
    .map((c) => String(c.body.status))
    .filter((s, i, all) => i === 0 || all[i - 1] !== s);

describe("the mayor's chat loop", () => {
  it("prime's mail → a first turn → waiting heartbeats → mail by heartbeat → a resumed turn with the renewed token → idle exit 0", async () => {
    const api = fakeApi({
      prime: { body: { agent: { id: "mayor-1", role: "mayor" }, undelivered_mail: [person("m1", "add a health check endpoint")] } },
      // the 2nd waiting beat renews the token; the 4th brings a notice from the reconciler
      waiting: [{}, { body: { ok: true, mail: [], token: TOKEN_2 } }, {}, { body: { ok: true, mail: [notice("m2", "Bead Health check failed")] } }],
    });
    const { driver, requests } = fakeDriver([
      async (req) => {
        req.onActivity({ lastEventType: "tool_use:mcp__gastown__gt_sling", lastEventAt: "2026-12-04T00:00:00.000Z", activeTools: ["mcp__gastown__gt_sling"] });
        await delay(40); // long enough for the in-turn "working" heartbeats
        return done("sess-1");
      },
      () => done("sess-1"),
    ]);
    const { ctx, lines } = makeCtx({ fetch: api.fetch, driver });

    const started = Date.now();
    expect(await runMayor(ctx)).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);

    expect(requests).toHaveLength(2);
    const [first, second] = requests;
    // the first turn: the server's orders and the person's message, a new session, the mayor's tools only
    expect(first.role).toBe("mayor");
    expect(first.access).toBe("read");
    expect(first.resumeSessionId).toBeNull();
    expect(first.prompt).toContain("You are the Gastown mayor");
    expect(first.prompt).toContain("SERVER PROMPT: rig web (id rig-1)");
    expect(first.prompt).toContain("- From Ann: add a health check endpoint");
    expect(first.mcpTools).toEqual(expect.arrayContaining(["gt_sling", "gt_sling_batch", "gt_list_beads", "gt_reply", "gt_heartbeat"]));
    expect(first.mcpTools).not.toContain("gt_done");
    expect(first.cwd).toBe(ctx.workDir);
    expect(first.runDir).toBe(path.join(ctx.workDir, ".gastown"));
    expect(first.env.GASTOWN_AGENT_TOKEN).toBe(TOKEN_1);
    expect(first.env.GASTOWN_GIT_TOKEN).toBeUndefined();
    // the second turn: only the new mail (a system notice), resuming the session, with the renewed token
    expect(second.resumeSessionId).toBe("sess-1");
    expect(second.prompt).toMatch(/^New mail arrived/);
    expect(second.prompt).toContain("- From system: Bead Health check failed");
    expect(second.prompt).not.toContain("SERVER PROMPT");
    expect(second.prompt).not.toContain("add a health check endpoint");
    expect(second.env.GASTOWN_AGENT_TOKEN).toBe(TOKEN_2);

    // working while a turn runs (with the agent's activity), waiting in between, then resting
    expect(phases(api.calls)).toEqual(["working", "waiting", "working", "waiting"]);
    const duringTurn = api.beats().filter((c) => c.body.status === "working" && c.body.last_event_type === "tool_use:mcp__gastown__gt_sling");
    expect(duringTurn.length).toBeGreaterThan(0);
    expect(duringTurn[0].body.active_tools).toEqual(["mcp__gastown__gt_sling"]);
    expect(api.beats()[0].body).toMatchObject({ status: "working", last_event_type: "mail_received" });
    // every call after the renewal carries the new token
    const renewedAt = api.calls.findIndex((c) => c.tool === "gt_heartbeat" && c.body.status === "waiting") + 2;
    expect(api.calls.slice(0, renewedAt).every((c) => c.auth === `Bearer ${TOKEN_1}`)).toBe(true);
    expect(api.calls.slice(renewedAt).every((c) => c.auth === `Bearer ${TOKEN_2}`)).toBe(true);
    expect(api.replies()).toHaveLength(0); // the agent answers people itself
    expect(lines).toContain("[gastown] mayor ready; 1 message(s) waiting");
    expect(lines.some((l) => l.includes("the mayor rests (exit 0)"))).toBe(true);
    expect(lines.join("\n")).not.toContain(TOKEN_2);
  });

  it("without any mail it waits, then exits 0 after the idle timeout without running a turn", async () => {
    const api = fakeApi({});
    const { driver, requests } = fakeDriver([]);
    const { ctx } = makeCtx({ fetch: api.fetch, driver, args: ["--idle-timeout-ms", "60"] });
    expect(await runMayor(ctx)).toBe(0);
    expect(requests).toHaveLength(0);
    expect(phases(api.calls)).toEqual(["waiting"]);
    expect(api.beats().length).toBeGreaterThanOrEqual(2); // beat, sleep, beat … until the timeout
  });

  it("mail in a heartbeat answer during or right after a turn is never lost, and no 'waiting' is sent while a 'working' beat is unanswered", async () => {
    const api = fakeApi({
      prime: { body: { agent: { id: "mayor-1", role: "mayor" }, undelivered_mail: [person("m1", "first")] } },
      working: [
        // the turn's opening beat brings a second message: it joins the same turn
        { body: { ok: true, mail: [person("m2", "second, just in")] } },
        // the first in-turn beat answers late, after the turn ended, with a third message
        { delayMs: 60, body: { ok: true, mail: [person("m3", "third, during the turn")] } },
      ],
    });
    const { driver, requests } = fakeDriver([
      async () => {
        await delay(25);
        return done("sess-1");
      },
      () => done("sess-1"),
    ]);
    const { ctx } = makeCtx({ fetch: api.fetch, driver });
    expect(await runMayor(ctx)).toBe(0);

    expect(requests).toHaveLength(2);
    expect(requests[0].prompt).toContain("- From Ann: first");
    expect(requests[0].prompt).toContain("- From Ann: second, just in");
    expect(requests[1].prompt).toContain("- From Ann: third, during the turn");
    expect(requests[1].resumeSessionId).toBe("sess-1");
    const waitingSentEarly = api.calls.filter((c) => c.tool === "gt_heartbeat" && c.body.status === "waiting" && c.workingInFlight > 0);
    expect(waitingSentEarly).toEqual([]);
  });

  it("a failed turn keeps the loop: people are told unless the agent replied, a refused resume starts afresh, a throwing driver is a failed turn", async () => {
    const api = fakeApi({
      prime: { body: { agent: { id: "mayor-1", role: "mayor" }, undelivered_mail: [person("m1", "one")] } },
      waiting: [{ body: { ok: true, mail: [person("m2", "two")] } }, { body: { ok: true, mail: [notice("m3", "three")] } }],
    });
    const { driver, requests } = fakeDriver([
      // fails after answering the person: nothing more to say; its session is kept
      () => done("sess-1", { exitCode: 1, failed: true, failureReason: "claude exited with 1", calls: [{ id: "t1", name: "mcp__gastown__gt_reply", input: { text: "on it" }, ok: true }] }),
      // the resume is refused before any session starts: the person is told, the next turn starts afresh
      () => done(null, { exitCode: 1, failed: true, failureReason: "claude exited with 1" }),
      // a driver that throws on a system notice: logged, nobody to tell
      () => {
        throw new Error("EACCES: cannot write claude-mcp.json");
      },
    ]);
    const { ctx, lines } = makeCtx({ fetch: api.fetch, driver });
    expect(await runMayor(ctx)).toBe(0);

    expect(requests.map((r) => r.resumeSessionId)).toEqual([null, "sess-1", null]);
    expect(requests[2].prompt).toContain("You are the Gastown mayor"); // the first-turn prompt again
    expect(requests[2].prompt).toContain("SERVER PROMPT");
    expect(requests[2].prompt).toContain("- From system: three");
    expect(api.replies()).toHaveLength(1);
    expect(api.replies()[0].body).toEqual({ text: FAILED_TURN_REPLY });
    expect(lines.filter((l) => l.includes("the mayor's turn failed"))).toHaveLength(3);
    expect(lines.some((l) => l.includes("EACCES: cannot write claude-mcp.json"))).toBe(true);
  });

  it("exits 1 when gt_prime fails or the token is refused while waiting; 143 when stopped", async () => {
    const noPrime = fakeApi({ prime: { status: 500, body: { error: { code: "internal", message: "boom" } } } });
    expect(await runMayor(makeCtx({ fetch: noPrime.fetch, driver: fakeDriver([]).driver }).ctx)).toBe(1);

    const revoked = fakeApi({ waiting: [{}, { status: 401, body: { error: { code: "unauthorized", message: "Unknown or revoked token." } } }] });
    const r = makeCtx({ fetch: revoked.fetch, driver: fakeDriver([]).driver });
    expect(await runMayor(r.ctx)).toBe(1);
    expect(r.lines.some((l) => l.includes("401 unauthorized"))).toBe(true);

    // stopped while waiting
    const stopper = new AbortController();
    const waitingOnly = fakeApi({});
    const waiting = runMayor(makeCtx({ fetch: waitingOnly.fetch, driver: fakeDriver([]).driver, stop: stopper.signal, args: ["--idle-timeout-ms", "60000", "--mayor-poll-ms", "60000"] }).ctx);
    await delay(30);
    stopper.abort();
    expect(await waiting).toBe(143);

    // stopped during a turn: the turn reports it, no reply, no more turns
    const stopper2 = new AbortController();
    const busy = fakeApi({ prime: { body: { agent: { id: "mayor-1", role: "mayor" }, undelivered_mail: [person("m1", "one")] } } });
    const { driver, requests } = fakeDriver([
      async () => {
        stopper2.abort();
        return done("sess-1", { exitCode: null, stopped: true });
      },
    ]);
    expect(await runMayor(makeCtx({ fetch: busy.fetch, driver, stop: stopper2.signal }).ctx)).toBe(143);
    expect(requests).toHaveLength(1);
    expect(busy.replies()).toHaveLength(0);
  });
});
