// GET or POST /api/cron/tick — called by a scheduler every minute (serverless) or by tests; the in-process
// ticker does the same work every few seconds. Authorization: Bearer $CRON_SECRET, else 401.
// Ticks every due town (or ?town=<id> now) and returns the per-town metrics of SPEC.md §4.2.
import { randomUUID, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { getEnv } from "@/server/env";
import { getLogger } from "@/server/log";
import { getTickDeps } from "@/server/tick/deps";
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
  const ticks = await runTicks({ ...getTickDeps(), log }, { now: new Date(), townId: query.data.town });
  log.info({ town: query.data.town, towns_ticked: ticks.length }, "cron sweep");
  return Response.json({ ticks });
}

export { handle as GET, handle as POST };
