import type { SqlClient } from "../db/pool";
import { CIRCUIT_BREAKER_WINDOW_MS } from "../domain/constants";
import { effectiveSettings, type TownConfig } from "../domain/settings";
import type { Bead, Rig, World } from "../domain/types";
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

// The world snapshot the reconciler reads, in a constant number of statements whatever the town's size
// (issue 7 counts them). Terminal beads are loaded only when a live bead refers to them (its blocker, the
// MR that tracks it, a convoy's finished tasks), so 7,000 closed beads cost nothing per tick.

const GUPP_NUDGE_WINDOW_MS = 60 * 60 * 1000;

export async function loadWorld(client: SqlClient, townId: string, now: Date): Promise<World> {
  // One client runs one statement at a time (queuing several on it is deprecated in pg): await in turn.
  const town = await client.query(`SELECT breaker_open FROM towns WHERE id = $1`, [townId]);
  const settings = await client.query(`SELECT config FROM town_settings WHERE town_id = $1`, [townId]);
  const rigs = await client.query(`SELECT id, town_id, name, git_url, default_branch, config FROM rigs WHERE town_id = $1 ORDER BY created_at`, [townId]);
  const live = await client.query(
    `SELECT ${BEAD_COLUMNS} FROM beads b
      WHERE b.town_id = $1 AND b.status NOT IN ('closed', 'failed') AND b.type NOT IN ('message', 'agent')`,
    [townId],
  );
  const agents = await client.query(`SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE m.town_id = $1`, [townId]);
  const nudges = await client.query(`SELECT * FROM agent_nudges WHERE town_id = $1 AND (delivered_at IS NULL OR created_at >= $2)`, [
    townId,
    new Date(now.getTime() - GUPP_NUDGE_WINDOW_MS),
  ]);
  // Breaker input (SPEC.md §2): dispatch_failed events in the last 30 min, cutoff bound as a parameter.
  const failures = await client.query(
    `SELECT count(*)::int AS n FROM town_events WHERE town_id = $1 AND event_type = 'dispatch_failed' AND created_at >= $2`,
    [townId, new Date(now.getTime() - CIRCUIT_BREAKER_WINDOW_MS)],
  );

  const townConfig = (settings.rows[0]?.config ?? {}) as TownConfig;
  const beads: Bead[] = live.rows.map(beadFromRow);
  const liveIds = beads.map((b) => b.id);
  // Hooks of agents may point at terminal beads (A4 unhooks them): load those too.
  const agentList = agents.rows.map(agentFromRow);
  const hookIds = agentList.map((a) => a.currentHookBeadId).filter((id): id is string => !!id);

  const deps = await client.query(
    `SELECT * FROM bead_dependencies WHERE town_id = $1 AND (bead_id = ANY($2::text[]) OR depends_on_bead_id = ANY($2::text[]))`,
    [townId, liveIds],
  );
  const dependencies = deps.rows.map(dependencyFromRow);
  const known = new Set(liveIds);
  const missing = new Set<string>();
  for (const d of dependencies) {
    if (!known.has(d.beadId)) missing.add(d.beadId);
    if (!known.has(d.dependsOnBeadId)) missing.add(d.dependsOnBeadId);
  }
  for (const id of hookIds) if (!known.has(id)) missing.add(id);
  if (missing.size > 0) {
    const extra = await client.query(`SELECT ${BEAD_COLUMNS} FROM beads b WHERE b.town_id = $1 AND b.bead_id = ANY($2::text[]) AND b.type <> 'agent'`, [
      townId,
      [...missing],
    ]);
    for (const r of extra.rows) beads.push(beadFromRow(r));
  }
  const allIds = beads.map((b) => b.id);
  const reviews = await client.query(`SELECT * FROM review_metadata WHERE town_id = $1 AND bead_id = ANY($2::text[])`, [townId, allIds]);
  const convoys = await client.query(`SELECT * FROM convoy_metadata WHERE town_id = $1 AND bead_id = ANY($2::text[])`, [townId, allIds]);
  const escalations = await client.query(`SELECT * FROM escalation_metadata WHERE town_id = $1 AND bead_id = ANY($2::text[])`, [townId, allIds]);

  const rigList: Rig[] = rigs.rows.map((r) => ({
    id: r.id as string,
    townId: r.town_id as string,
    name: r.name as string,
    gitUrl: r.git_url as string,
    defaultBranch: r.default_branch as string,
    config: (r.config ?? {}) as Rig["config"],
    settings: effectiveSettings(townConfig, r.config),
  }));

  return {
    townId,
    townSettings: townConfig,
    rigs: rigList,
    beads,
    agents: agentList,
    reviews: reviews.rows.map(reviewFromRow),
    convoys: convoys.rows.map(convoyFromRow),
    escalations: escalations.rows.map(escalationFromRow),
    dependencies,
    nudges: nudges.rows.map(nudgeFromRow),
    recentDispatchFailures: Number(failures.rows[0]?.n ?? 0),
    breakerWasOpen: Boolean(town.rows[0]?.breaker_open),
    draining: false,
  };
}
