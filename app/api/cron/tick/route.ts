// GET or POST /api/cron/tick — called by a scheduler every minute (serverless) or by tests; the in-process
// ticker does the same work every few seconds. Authorization: Bearer $CRON_SECRET, else 401.
// Ticks every due town (or ?town=<id> now) and returns the per-town metrics of SPEC.md §4.2.
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { getEnv } from "@/server/env";
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
  if (!authorized(req)) return Response.json({ error: { code: "unauthorized", message: "Missing or wrong cron secret." } }, { status: 401 });
  const url = new URL(req.url);
  const query = QuerySchema.safeParse({ town: url.searchParams.get("town") ?? undefined });
  if (!query.success) return Response.json({ error: { code: "bad_request", message: z.prettifyError(query.error) } }, { status: 400 });
  const ticks = await runTicks(getTickDeps(), { now: new Date(), townId: query.data.town });
  return Response.json({ ticks });
}

export { handle as GET, handle as POST };
