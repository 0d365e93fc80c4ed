// GET or POST /api/cron/tick — called by a scheduler every minute (serverless) or by tests; the in-process
// ticker does the same work every few seconds. Authorization: Bearer $CRON_SECRET, else 401.
// Ticks every due town (or ?town=<id> now) and returns the per-town metrics of SPEC.md §4.2, then sends the
// due notifications (issue 16) and counts them in `notifications`.
import { randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { getEnv } from "@/server/env";
import { getLogger } from "@/server/log";
import { getTickDeps, publicApiUrl } from "@/server/tick/deps";
import { deliverNotifications } from "@/server/tick/outbox";
import { reportError } from "@/server/tick/report";
import { runTicks } from "@/server/tick/run-ticks";

export const dynamic = "force-dynamic";

const QuerySchema = z.object({ town: z.string().min(1).max(64).optional() });

function authorized(req: Request): boolean {
  const header = req.headers.get("authorization") ?? "";
  const expected = Buffer.from(`Bearer ${getEnv().CRON_SECRET}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function handle(req: Request): Promise<Response> {
  // One child logger per call: its ticks' lines (each with town_id and tick_id) carry the call's id too.
  const log = getLogger().child({ cron: "tick", cron_call_id: randomUUID() });
  if (!authorized(req)) {
    log.warn("cron call refused: missing or wrong cron secret");
    return Response.json({ error: { code: "unauthorized", message: "Missing or wrong cron secret." } }, { status: 401 });
  }
  const url = new URL(req.url);
  const query = QuerySchema.safeParse({ town: url.searchParams.get("town") ?? undefined });
  if (!query.success) return Response.json({ error: { code: "bad_request", message: z.prettifyError(query.error) } }, { status: 400 });
  const deps = { ...getTickDeps(), log };
  const ticks = await runTicks(deps, { now: new Date(), townId: query.data.town });
  log.info({ town: query.data.town, towns_ticked: ticks.length }, "cron sweep");
  // Notifications out (issue 16): due deliveries, after the ticks have finished (a receiver never holds up a
  // tick); on serverless hosts this is the only place they are sent. A failure here is reported, not fatal.
  const notifications = { attempted: 0, delivered: 0, retrying: 0, failed: 0 };
  try {
    for (const o of await deliverNotifications(deps.pool, { now: new Date(), appUrl: publicApiUrl() })) {
      notifications.attempted += 1;
      notifications[o.status === "delivered" ? "delivered" : o.status === "failed" ? "failed" : "retrying"] += 1;
    }
  } catch (err) {
    reportError(deps, err, { phase: "notifications" }, "notification delivery failed");
  }
  return Response.json({ ticks, notifications });
}

export { handle as GET, handle as POST };
