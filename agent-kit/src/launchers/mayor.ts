import { mkdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { listToolsForRole } from "../tools";
import { buildMayorTurn, PrimeSchema, type Mail } from "../instructions";
import { formatApiError } from "../api-client";
import { agentProcessEnv, type LauncherContext } from "./context";
import type { TurnResult } from "./driver";
import { calledSuccessfully, type Activity } from "./stream";
import { EXIT_FAILED, EXIT_OK, EXIT_STOPPED } from "./worker";

// The mayor in chat mode (SPEC.md §4.4b): one long-lived process, many short agent turns.
//   loop: gt_heartbeat {status: "waiting"} every mayorPollMs until mail arrives (the first batch is
//   gt_prime's undelivered_mail) → gt_heartbeat {status: "working"} → one headless turn with the mail,
//   continuing the same agent session (`--resume <session id>` for Claude) → back to waiting.
// A refreshed token from any heartbeat is used for the next calls (the API client switches itself) and
// for the next turn's env (the MCP server reads GASTOWN_AGENT_TOKEN when the turn starts it). After
// idleTimeoutMs without mail the mayor exits 0; the next message starts a new one (rule M1).
// A failed turn does not end the loop: people whose message it was are told in the conversation (their
// mail was delivered and will not come again), a resume the agent refused starts the next turn afresh.
// No git workspace: the mayor plans and slings, it never touches code.

const HeartbeatAnswerSchema = z.object({ mail: z.array(z.record(z.string(), z.unknown())).catch([]) }).passthrough();

/** The mail of a heartbeat answer; none when the answer is not what we expect (never a throw). */
function mailOf(body: unknown): Mail[] {
  const parsed = HeartbeatAnswerSchema.safeParse(body);
  return parsed.success ? (parsed.data.mail as Mail[]) : [];
}

/** What the launcher says in the conversation when a turn on a person's message failed. */
export const FAILED_TURN_REPLY =
  "Sorry, I ran into an error while working on your message and could not finish. Anything I did is listed above; please send the message again if something is missing.";

const sleep = (ms: number, stop: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (stop.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    }
    stop.addEventListener("abort", done, { once: true });
  });

export async function runMayor(ctx: LauncherContext, clock: { now(): number } = Date): Promise<number> {
  const primed = await ctx.api.call("gt_prime", {});
  if (!primed.ok) {
    ctx.log(`[gastown] gt_prime failed: ${formatApiError(primed)}`);
    return EXIT_FAILED;
  }
  const prime = PrimeSchema.safeParse(primed.body);
  // Mail waiting for a turn. Only ever appended to (and taken whole when a turn starts): a heartbeat's
  // mail is already marked delivered on the server, so overwriting it would lose it for good.
  const pending: Mail[] = prime.success ? [...prime.data.undelivered_mail] : [];
  const runDir = path.join(ctx.workDir, ".gastown");
  mkdirSync(runDir, { recursive: true });
  const tools = listToolsForRole("mayor").map((t) => t.name);
  let sessionId: string | null = null;
  let turns = 0;
  let lastMailAt = clock.now();
  ctx.log(`[gastown] mayor ready; ${pending.length} message(s) waiting`);

  while (!ctx.stop.aborted) {
    if (pending.length === 0) {
      if (clock.now() - lastMailAt >= ctx.options.idleTimeoutMs) {
        ctx.log(`[gastown] no mail for ${Math.round(ctx.options.idleTimeoutMs / 1000)} s; the mayor rests (exit 0)`);
        return EXIT_OK;
      }
      const beat = await ctx.api.heartbeat({ status: "waiting" });
      if (!beat.ok) {
        ctx.log(`[gastown] heartbeat failed: ${formatApiError(beat)}`);
        if (beat.status === 401 || beat.status === 404) return EXIT_FAILED; // revoked or deleted: nobody to wait for
      } else {
        pending.push(...mailOf(beat.body));
      }
      if (pending.length === 0) {
        await sleep(ctx.options.mayorPollMs, ctx.stop);
        continue;
      }
    }
    lastMailAt = clock.now();
    // Its answer may carry more mail (delivered now, so never dropped): it joins this turn.
    const working = await ctx.api.heartbeat({ status: "working", last_event_type: "mail_received", last_event_at: new Date(clock.now()).toISOString() });
    if (working.ok) pending.push(...mailOf(working.body));
    else ctx.log(`[gastown] heartbeat failed: ${formatApiError(working)}`);
    const mail = pending.splice(0, pending.length);
    ctx.log(`[gastown] ${mail.length} message(s); working`);

    // Keep the mayor visibly working while a long turn runs (one heartbeat at a time). Mail that arrives
    // during a turn is answered in the next one.
    let latest: Activity | null = null;
    let inFlight: Promise<void> | null = null;
    const timer = setInterval(() => {
      if (inFlight) return;
      const body: Record<string, unknown> = { status: "working" };
      if (latest?.lastEventType) body.last_event_type = latest.lastEventType;
      if (latest?.lastEventAt) body.last_event_at = latest.lastEventAt;
      if (latest) body.active_tools = latest.activeTools.slice(0, 100);
      inFlight = ctx.api.heartbeat(body).then((r) => {
        if (r.ok) pending.push(...mailOf(r.body));
        else ctx.log(`[gastown] heartbeat failed: ${formatApiError(r)}`);
        inFlight = null;
      });
    }, ctx.options.heartbeatMs);
    timer.unref?.();

    const resumed = sessionId;
    let turn: TurnResult;
    try {
      turn = await ctx.driver.runTurn({
        role: "mayor",
        prompt: buildMayorTurn({ mail, serverPrompt: ctx.env.GASTOWN_PROMPT, firstTurn: sessionId === null }),
        cwd: ctx.workDir,
        env: agentProcessEnv(ctx),
        mcp: ctx.mcp,
        mcpTools: tools,
        access: "read",
        extraAllowedTools: ctx.options.extraAllowedTools,
        resumeSessionId: sessionId,
        runDir,
        model: ctx.options.model,
        onLog: ctx.log,
        onActivity: (a) => (latest = a),
        stop: ctx.stop,
      });
    } catch (error) {
      // A driver that throws (a config file it cannot write …) is a failed turn, not the end of the mayor.
      turn = { exitCode: null, stopped: ctx.stop.aborted, failed: true, failureReason: error instanceof Error ? error.message : String(error), sessionId: null, finalText: "", calls: [] };
    } finally {
      clearInterval(timer);
    }
    // A "working" heartbeat still on its way must land before the next "waiting" one (else the mayor would
    // show working while it waits), and its mail must be in `pending`.
    await (inFlight as Promise<void> | null);
    turns++;
    if (turn.stopped) break;
    if (turn.sessionId) sessionId = turn.sessionId;
    if (turn.failed) {
      ctx.log(`[gastown] the mayor's turn failed (${turn.failureReason ?? "error"}); waiting for the next message`);
      // A resume the agent refused before it even started a session (a lost session file …) would fail every
      // later turn the same way: the next turn starts a new session with the full first-turn prompt.
      if (resumed && !turn.sessionId) sessionId = null;
      // The mail of this turn was delivered and will not come again: tell the people who wrote it, unless
      // the agent already answered them.
      if (mail.some((m) => m.from_kind === "person") && !calledSuccessfully(turn, "gt_reply")) {
        const reply = await ctx.api.call("gt_reply", { text: FAILED_TURN_REPLY });
        if (!reply.ok) ctx.log(`[gastown] gt_reply failed: ${formatApiError(reply)}`);
      }
    }
    lastMailAt = clock.now();
  }
  ctx.log(`[gastown] mayor stopped after ${turns} turn(s)`);
  return EXIT_STOPPED;
}
