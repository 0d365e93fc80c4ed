import { queryPrepared, type SqlClient } from "../db/pool";
import { DomainError } from "../domain/errors";
import type { Role } from "../domain/types";
import { gitHubAccess } from "./github-access";
import type { NotificationRow } from "./notifications";

// The town overview: counts by status, tick status, poison-inbox size, notifications and recent activity.
// Everything is an aggregate or a short list, so it stays cheap at 10,000 beads.

/** Which runtime the town's agents start on, and whether the operator configured it (SPEC.md §4.4: without
 *  one, dispatch fails cleanly and the town says "no agent runtime configured"). */
export interface RuntimeStatus {
  selected: string | null;
  configured: boolean;
  message: string | null;
}

export function runtimeStatus(selected: string | null, options: { name: string }[]): RuntimeStatus {
  const names = options.map((o) => o.name);
  if (selected) {
    return names.includes(selected)
      ? { selected, configured: true, message: null }
      : { selected, configured: false, message: `The runtime "${selected}" is not configured on this server any more; pick another in Settings.` };
  }
  if (names.includes("default")) return { selected: null, configured: true, message: null };
  return {
    selected: null,
    configured: false,
    message:
      names.length > 0
        ? "No agent runtime selected: pick one in Settings, or agents cannot start."
        : "No agent runtime configured: the operator sets GASTOWN_AGENT_COMMANDS or GASTOWN_RUNTIMES (see the README). Until then dispatches fail and back off.",
  };
}

const OVERVIEW_SQL = `
SELECT
  t.id, t.name, t.created_at, t.last_tick_at, t.next_tick_at, t.has_active_work, t.last_metrics, t.breaker_open,
  (SELECT config FROM town_settings WHERE town_id = t.id) AS config,
  (SELECT email FROM users WHERE id = t.owner_user_id) AS owner_email,
  (SELECT count(*)::int FROM rigs WHERE town_id = t.id) AS rig_count,
  (SELECT coalesce(json_agg(c), '[]') FROM (
     SELECT type, status, count(*)::int AS n FROM beads
      WHERE town_id = t.id AND type IN ('issue', 'merge_request', 'convoy', 'escalation') GROUP BY type, status) c) AS counts,
  (SELECT coalesce(json_agg(a), '[]') FROM (
     SELECT status, count(*)::int AS n FROM agent_metadata WHERE town_id = t.id GROUP BY status) a) AS agents,
  (SELECT count(*)::int FROM beads
    WHERE town_id = t.id AND type = 'issue' AND status IN ('open', 'in_progress', 'in_review')
      AND labels @> '["gt:triage-request"]'::jsonb) AS triage,
  (SELECT count(*)::int FROM town_events
    WHERE town_id = t.id AND poisoned_at IS NOT NULL AND discarded_at IS NULL AND processed_at IS NULL) AS poisoned,
  (SELECT count(*)::int FROM town_events
    WHERE town_id = t.id AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL) AS pending,
  (SELECT coalesce(json_agg(n ORDER BY n."createdAt" DESC), '[]') FROM (
     SELECT notification_id AS id, town_id AS "townId", kind, message, bead_id AS "beadId", event_id AS "eventId",
            created_at AS "createdAt", read_at AS "readAt"
       FROM notifications WHERE town_id = t.id ORDER BY created_at DESC LIMIT 10) n) AS notifications,
  (SELECT coalesce(json_agg(e ORDER BY e."createdAt" DESC), '[]') FROM (
     SELECT be.bead_event_id AS id, be.bead_id AS "beadId", be.event_type AS "eventType", be.old_value AS "oldValue",
            be.new_value AS "newValue", be.created_at AS "createdAt", json_build_object('title', b.title, 'type', b.type) AS bead
       FROM bead_events be JOIN beads b ON b.bead_id = be.bead_id
      -- mail being read is not town activity (a person's message to the mayor shares its title with the work)
      WHERE be.town_id = t.id AND b.type <> 'message' ORDER BY be.created_at DESC LIMIT 15) e) AS activity
FROM towns t WHERE t.id = $1`;

type Row = Record<string, unknown>;
const toDate = (v: unknown) => (v == null ? null : new Date(v as string));

/**
 * One statement (issue 7: the overview is polled every few seconds by everyone watching a town; through
 * Prisma it was ten queries and most of the request's CPU). The shape is what the page reads.
 */
export async function getTownOverview(pool: SqlClient, townId: string, role: Role, runtimeOptions: { name: string }[] = []) {
  const { rows } = await queryPrepared(pool, "gt_overview", OVERVIEW_SQL, [townId]);
  const town = rows[0] as Row | undefined;
  if (!town) throw new DomainError("not_found", "Town not found.");
  const counts: Record<string, Record<string, number>> = {};
  for (const r of town.counts as { type: string; status: string; n: number }[]) (counts[r.type] ??= {})[r.status] = r.n;
  const notifications = (town.notifications as Row[]).map((n) => ({ ...n, createdAt: toDate(n.createdAt)!, readAt: toDate(n.readAt) })) as NotificationRow[];
  const activity = (town.activity as Row[]).map((e) => ({ ...e, createdAt: toDate(e.createdAt)! })) as {
    id: string;
    beadId: string;
    eventType: string;
    oldValue: string | null;
    newValue: string | null;
    createdAt: Date;
    bead: { title: string; type: string };
  }[];
  return {
    id: town.id as string,
    name: town.name as string,
    role,
    createdAt: town.created_at as Date,
    rigCount: town.rig_count as number,
    counts,
    agents: Object.fromEntries((town.agents as { status: string; n: number }[]).map((a) => [a.status, a.n])) as Record<string, number>,
    tick: {
      lastTickAt: (town.last_tick_at as Date | null) ?? null,
      nextTickAt: town.next_tick_at as Date,
      hasActiveWork: town.has_active_work as boolean,
      lastMetrics: (town.last_metrics ?? null) as Record<string, unknown> | null,
      breakerOpen: town.breaker_open as boolean,
    },
    poisonedCount: town.poisoned as number,
    /** open triage requests (DOMAIN.md §5.4), decided on the escalations page */
    triageCount: town.triage as number,
    pendingEventCount: town.pending as number,
    runtime: runtimeStatus(((town.config ?? {}) as { agent_runtime?: string }).agent_runtime ?? null, runtimeOptions),
    /** whether polls, merges, branches and agents get a GitHub token (SPEC.md §5 Tenants); never the token */
    github: gitHubAccess(
      { id: town.id as string, ownerEmail: (town.owner_email as string | null) ?? null },
      ((town.config ?? {}) as { git_auth?: { github_token?: unknown } }).git_auth?.github_token,
    ),
    notifications,
    activity,
  };
}
