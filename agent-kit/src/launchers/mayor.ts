import { mkdirSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { listToolsForRole } from "../tools";
import { buildMayorTurn, PrimeSchema, type Mail } from "../instructions";
import { formatApiError } from "../api-client";
import { agentProcessEnv, type LauncherContext } from "./context";
import { EXIT_FAILED, EXIT_OK, EXIT_STOPPED } from "./worker";

// The mayor in chat mode (SPEC.md §4.4b): one long-lived process, many short agent turns.
//   loop: gt_heartbeat {status: "waiting"} every mayorPollMs until mail arrives (the first batch is
//   gt_prime's undelivered_mail) → gt_heartbeat {status: "working"} → one headless turn with the mail,
//   continuing the same agent session (`--resume <session id>` for Claude) → back to waiting.
// A refreshed token from any heartbeat is used for the next calls (the API client switches itself) and
// for the next turn's env (the MCP server reads GASTOWN_AGENT_TOKEN when the turn starts it). After
// idleTimeoutMs without mail the mayor exits 0; the next message starts a new one (rule M1).
// No git workspace: the mayor plans and slings, it never touches code.

const HeartbeatAnswerSchema = z.object({ mail: z.array(z.record(z.string(), z.unknown())).catch([]) }).passthrough();

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
  let pending: Mail[] = prime.success ? prime.data.undelivered_mail : [];
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
        pending = HeartbeatAnswerSchema.parse(beat.body).mail as Mail[];
      }
      if (pending.length === 0) {
        await sleep(ctx.options.mayorPollMs, ctx.stop);
        continue;
      }
    }
    lastMailAt = clock.now();
    const mail = pending;
    pending = [];
    ctx.log(`[gastown] ${mail.length} message(s); working`);
    await ctx.api.heartbeat({ status: "working", last_event_type: "mail_received", last_event_at: new Date(clock.now()).toISOString() });
    let latest: { lastEventType: string | null; lastEventAt: string | null; activeTools: string[] } | null = null;
    // Keep the mayor visibly working while a long turn runs.
    const timer = setInterval(() => {
      const body: Record<string, unknown> = { status: "working" };
      if (latest?.lastEventType) body.last_event_type = latest.lastEventType;
      if (latest?.lastEventAt) body.last_event_at = latest.lastEventAt;
      if (latest) body.active_tools = latest.activeTools.slice(0, 100);
      void ctx.api.heartbeat(body).then((r) => {
        // Mail that arrives during a turn is answered in the next one.
        if (r.ok) pending.push(...(HeartbeatAnswerSchema.parse(r.body).mail as Mail[]));
      });
    }, ctx.options.heartbeatMs);
    timer.unref?.();
    try {
      const turn = await ctx.driver.runTurn({
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
      turns++;
      if (turn.stopped) break;
      if (turn.sessionId) sessionId = turn.sessionId;
      if (turn.failed) ctx.log(`[gastown] the mayor's turn failed (${turn.failureReason ?? "error"}); waiting for the next message`);
    } finally {
      clearInterval(timer);
    }
    lastMailAt = clock.now();
  }
  ctx.log(`[gastown] mayor stopped after ${turns} turn(s)`);
  return EXIT_STOPPED;
}
