import { z } from "zod";
import type { Db } from "../db/client";
import { queryPrepared, type SqlClient } from "../db/pool";
import { DomainError } from "../domain/errors";
import { runTick, type TickDeps, type TickReport } from "../tick/run-tick";
import { replayEventWindow, type ReplayResult } from "../tick/replay";

// Tick history and the two debug tools of DOMAIN.md §10 (SPEC.md §2 "Debug"): the dry run ("what will the
// next tick do?") and the replay of an event window. Both run inside a transaction that is always rolled
// back and never execute a side effect; event-emitted actions are listed first.

type TickCursor = { startedAt: Date; id: string };

function encodeTickCursor(c: TickCursor): string {
  return Buffer.from(JSON.stringify({ s: c.startedAt.toISOString(), i: c.id })).toString("base64url");
}

const TickCursorSchema = z.object({ s: z.iso.datetime(), i: z.string().max(64) });

function decodeTickCursor(cursor: string): TickCursor {
  try {
    const raw = TickCursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { startedAt: new Date(raw.s), id: raw.i };
  } catch {
    throw new DomainError("bad_request", "The page cursor is not valid; reload the list.");
  }
}

/** A point of the tick chart: what `TickChart` draws, nothing more. */
export interface TickPoint {
  startedAt: Date;
  wallClockMs: number;
  eventsDrained: number;
}

/** The last `limit` ticks as chart points, newest first: one statement on the pg pool. The overview polls
 *  it every 5 s (issue 15); the full rows carry every action and outcome, which the chart never shows. */
export async function listTickPoints(pool: SqlClient, townId: string, limit: number): Promise<{ items: TickPoint[] }> {
  const { rows } = await queryPrepared<TickPoint>(
    pool,
    "gt_tick_points",
    `SELECT started_at AS "startedAt", wall_clock_ms AS "wallClockMs", events_drained AS "eventsDrained"
       FROM ticks WHERE town_id = $1 ORDER BY started_at DESC, tick_id DESC LIMIT $2`,
    [townId, limit],
  );
  return { items: rows };
}

/** Recent tick rows with their metrics, actions (rule, target, reason), side-effect outcomes and violations. */
export async function listTicks(db: Db, townId: string, input: { cursor?: string; limit: number }) {
  const c = input.cursor ? decodeTickCursor(input.cursor) : null;
  const rows = await db.tick.findMany({
    where: { townId, ...(c ? { OR: [{ startedAt: { lt: c.startedAt } }, { startedAt: c.startedAt, id: { lt: c.id } }] } : {}) },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
  });
  const items = rows.slice(0, input.limit);
  return { items, nextCursor: rows.length > input.limit ? encodeTickCursor(items[items.length - 1]) : null };
}

/** The town's tick status and its most recent tick row (null before anything happened). */
export async function latestTick(db: Db, townId: string) {
  const [town, tick] = await Promise.all([
    db.town.findUniqueOrThrow({
      where: { id: townId },
      select: { lastTickAt: true, nextTickAt: true, hasActiveWork: true, breakerOpen: true, lastMetrics: true },
    }),
    db.tick.findFirst({ where: { townId }, orderBy: [{ startedAt: "desc" }, { id: "desc" }] }),
  ]);
  return { town, tick };
}

/** "What will the next tick do?" — drain + reconcile + apply, always rolled back, no side effect. */
export async function dryRunTown(deps: TickDeps, townId: string, now = new Date()): Promise<TickReport> {
  const report = await runTick(deps, townId, { now, dryRun: true });
  if (!report) throw new DomainError("conflict", "The dry run could not run; try again.");
  return report;
}

function parseInstant(value: string | undefined, name: "from" | "to"): Date {
  if (value === undefined || value.trim() === "") throw new DomainError("bad_request", `Give "${name}" as an ISO 8601 time, e.g. 2025-01-31T12:00:00Z.`);
  const trimmed = value.trim();
  // Date.parse accepts many shapes; require something that starts like an ISO date.
  const at = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? new Date(trimmed) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1 || at.getUTCFullYear() > 9999) throw new DomainError("bad_request", `"${name}" is not a time we can read: ${JSON.stringify(value.slice(0, 60))}. Use ISO 8601, e.g. 2025-01-31T12:00:00Z.`);
  return at;
}

/** Replay of the events created in [from, to] on top of the live state (DOMAIN.md §10), always rolled back. */
export async function replayTown(deps: TickDeps, townId: string, input: { from?: string; to?: string }, now = new Date()): Promise<ReplayResult & { from: Date; to: Date }> {
  const from = parseInstant(input.from, "from");
  const to = parseInstant(input.to, "to");
  if (from.getTime() > to.getTime()) throw new DomainError("bad_request", `"from" (${from.toISOString()}) is after "to" (${to.toISOString()}).`);
  const result = await replayEventWindow(deps, townId, { from, to, now });
  return { ...result, from, to };
}
