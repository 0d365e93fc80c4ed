import type { SqlClient } from "../db/pool";
import { CIRCUIT_BREAKER_WINDOW_MS, WEBHOOK_FRESH_MS } from "../domain/constants";
import { effectiveSettings, type TownConfig } from "../domain/settings";
import type { Rig, World } from "../domain/types";
import {
  AGENT_COLUMNS,
  AGENT_FROM,
  BEAD_COLUMNS,
  agentFromRow,
  beadFromRow,
  convoyFromRow,
  dependencyFromRow,
  escalationFromRow,
  nudgeFromRow,
  reviewFromRow,
} from "./rows";

// The world snapshot the reconciler reads, in ONE statement whatever the town's size (issue 7 counts them):
// one round trip, and — unlike several statements under READ COMMITTED — one consistent snapshot. Terminal
// beads are loaded only when a live bead or an agent's hook refers to them (a blocker, the bead an MR tracks,
// a convoy's finished tasks), so 7,000 closed beads cost nothing per tick. The same statement counts the
// town's pending events, which the tick needs for its next due time.

const GUPP_NUDGE_WINDOW_MS = 60 * 60 * 1000;

const WORLD_SQL = `
WITH live AS (
  SELECT ${BEAD_COLUMNS} FROM beads b
   WHERE b.town_id = $1 AND b.status NOT IN ('closed', 'failed') AND b.type NOT IN ('message', 'agent')
), agents AS (
  SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1
), deps AS (
  SELECT d.town_id, d.bead_id, d.depends_on_bead_id, d.dependency_type, d.created_at FROM bead_dependencies d
   WHERE d.town_id = $1 AND (d.bead_id IN (SELECT bead_id FROM live) OR d.depends_on_bead_id IN (SELECT bead_id FROM live))
), missing AS (
  -- hooks of agents may point at terminal beads (A4 unhooks them): load those too
  (SELECT bead_id AS id FROM deps UNION SELECT depends_on_bead_id FROM deps
   UNION SELECT current_hook_bead_id FROM agents WHERE current_hook_bead_id IS NOT NULL)
  EXCEPT SELECT bead_id FROM live
), extra AS (
  SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.bead_id IN (SELECT id FROM missing) AND b.type <> 'agent'
), all_ids AS (
  SELECT bead_id FROM live UNION ALL SELECT bead_id FROM extra
)
SELECT
  (SELECT breaker_open FROM towns WHERE id = $1) AS breaker_open,
  (SELECT config FROM town_settings WHERE town_id = $1) AS config,
  (SELECT coalesce(json_agg(r ORDER BY r.created_at), '[]')
     FROM (SELECT id, town_id, name, git_url, default_branch, config, created_at FROM rigs WHERE town_id = $1) r) AS rigs,
  (SELECT coalesce(json_agg(x), '[]') FROM (SELECT * FROM live UNION ALL SELECT * FROM extra) x) AS beads,
  (SELECT coalesce(json_agg(a), '[]') FROM agents a) AS agents,
  (SELECT coalesce(json_agg(d), '[]') FROM deps d) AS deps,
  (SELECT coalesce(json_agg(r), '[]') FROM review_metadata r WHERE r.town_id = $1 AND r.bead_id IN (SELECT bead_id FROM all_ids)) AS reviews,
  (SELECT coalesce(json_agg(c), '[]') FROM convoy_metadata c WHERE c.town_id = $1 AND c.bead_id IN (SELECT bead_id FROM all_ids)) AS convoys,
  (SELECT coalesce(json_agg(e), '[]') FROM escalation_metadata e WHERE e.town_id = $1 AND e.bead_id IN (SELECT bead_id FROM all_ids)) AS escalations,
  (SELECT coalesce(json_agg(n), '[]') FROM agent_nudges n WHERE n.town_id = $1 AND (n.delivered_at IS NULL OR n.created_at >= $2)) AS nudges,
  -- breaker input (SPEC.md §2): dispatch_failed events in the last 30 min, cutoff bound as a parameter
  (SELECT count(*)::int FROM town_events WHERE town_id = $1 AND event_type = 'dispatch_failed' AND created_at >= $3) AS recent_failures,
  (SELECT count(*)::int FROM beads mb
    WHERE mb.town_id = $1 AND mb.type = 'message' AND mb.status = 'open'
      AND mb.assignee_agent_bead_id = (SELECT bead_id FROM agent_metadata WHERE town_id = $1 AND role = 'mayor' LIMIT 1)) AS mayor_unread_mail,
  (SELECT count(*)::int FROM town_events
    WHERE town_id = $1 AND processed_at IS NULL AND poisoned_at IS NULL AND discarded_at IS NULL) AS pending_events,
  -- GitHub webhooks (issue 16): the latest verified delivery per rig, and per MR that asked for a poll
  (SELECT coalesce(json_object_agg(w.rig_id, w.at), '{}') FROM
     (SELECT u.rig_id, max(d.received_at) AS at FROM github_webhook_deliveries d, unnest(d.rig_ids) AS u(rig_id)
       WHERE d.town_id = $1 AND d.received_at >= $4 GROUP BY u.rig_id) w) AS webhook_rigs,
  (SELECT coalesce(json_object_agg(p.mr_id, p.at), '{}') FROM
     (SELECT u.mr_id, max(d.received_at) AS at FROM github_webhook_deliveries d, unnest(d.poll_mr_ids) AS u(mr_id)
       WHERE d.town_id = $1 AND d.received_at >= $4 GROUP BY u.mr_id) p) AS webhook_polls`;

type Rows = Record<string, unknown>[];

export interface WorldSnapshot {
  world: World;
  /** the town's pending (unprocessed, not poisoned, not discarded) events at the same instant */
  pendingEvents: number;
}

export async function loadWorldSnapshot(client: SqlClient, townId: string, now: Date): Promise<WorldSnapshot> {
  const { rows } = await client.query(WORLD_SQL, [
    townId,
    new Date(now.getTime() - GUPP_NUDGE_WINDOW_MS),
    new Date(now.getTime() - CIRCUIT_BREAKER_WINDOW_MS),
    new Date(now.getTime() - WEBHOOK_FRESH_MS),
  ]);
  const r = rows[0];
  const townConfig = (r.config ?? {}) as TownConfig;
  const rigs: Rig[] = (r.rigs as Rows).map((x) => ({
    id: x.id as string,
    townId: x.town_id as string,
    name: x.name as string,
    gitUrl: x.git_url as string,
    defaultBranch: x.default_branch as string,
    config: (x.config ?? {}) as Rig["config"],
    settings: safeEffectiveSettings(townConfig, x.config),
  }));
  return {
    world: {
      townId,
      townSettings: townConfig,
      rigs,
      beads: (r.beads as Rows).map(beadFromRow),
      agents: (r.agents as Rows).map(agentFromRow),
      reviews: (r.reviews as Rows).map(reviewFromRow),
      convoys: (r.convoys as Rows).map(convoyFromRow),
      escalations: (r.escalations as Rows).map(escalationFromRow),
      dependencies: (r.deps as Rows).map(dependencyFromRow),
      nudges: (r.nudges as Rows).map(nudgeFromRow),
      recentDispatchFailures: Number(r.recent_failures ?? 0),
      breakerWasOpen: Boolean(r.breaker_open),
      draining: false,
      mayorUnreadMail: Number(r.mayor_unread_mail ?? 0),
      webhooks: { lastDeliveryAtByRig: datesOf(r.webhook_rigs), pollRequestedAtByMr: datesOf(r.webhook_polls) },
    },
    pendingEvents: Number(r.pending_events ?? 0),
  };
}

/** `{id: timestamp}` as json_object_agg gives it → `{id: Date}` (unparseable entries dropped). */
function datesOf(raw: unknown): Record<string, Date> {
  const out: Record<string, Date> = {};
  if (!raw || typeof raw !== "object") return out;
  for (const [id, at] of Object.entries(raw as Record<string, unknown>)) {
    const d = new Date(String(at));
    if (!Number.isNaN(d.getTime())) out[id] = d;
  }
  return out;
}

export async function loadWorld(client: SqlClient, townId: string, now: Date): Promise<World> {
  return (await loadWorldSnapshot(client, townId, now)).world;
}

/**
 * Stored settings are validated on every write, but a row edited by hand must not stop the town's ticks:
 * an override that does not parse is ignored (the rig inherits), and a town config that does not parse
 * falls back to the defaults.
 */
export function safeEffectiveSettings(townConfig: unknown, rigConfig: unknown) {
  for (const [town, rig] of [
    [townConfig, rigConfig],
    [townConfig, {}],
    [{}, {}],
  ] as const) {
    try {
      return effectiveSettings(town, rig);
    } catch {
      // try the next, more forgiving combination
    }
  }
  return effectiveSettings({}, {});
}
