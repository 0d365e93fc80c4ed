import type { Db } from "../db/client";
import type { PrismaClient } from "../db/generated/client";
import type { Action } from "../domain/actions";
import { LABELS } from "../domain/constants";
import { resolveTriageRequest, triageChoices, type TriageAction } from "../domain/triage";
import { PgTownRepo } from "../tick/pg-repo";
import { safeEffectiveSettings } from "../tick/load-world";
import type { TickDeps } from "../tick/types";
import { stopQuietly } from "./agents";
import { asRecord } from "./people-writes";

// Triage requests as people see and decide them (DOMAIN.md §5.4; SPEC.md §2 SHOULD — the triage agent that
// would decide them itself is later). Listed on the escalations page; a member picks one of the request's
// options, the domain's resolveTriageRequest carries it out in one transaction on the pg pool (the request row
// locked, so two people cannot both decide), and any agent it stops is stopped after the commit.

const OPEN = ["open", "in_progress", "in_review"];

export async function listTriageRequests(db: Db, townId: string, limit = 100) {
  const rows = await db.bead.findMany({
    where: { townId, type: "issue", status: { in: OPEN }, labels: { array_contains: [LABELS.triageRequest] } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: { id: true, title: true, metadata: true, rigId: true, createdAt: true },
  });
  const meta = rows.map((r) => asRecord(r.metadata));
  const str = (v: unknown) => (typeof v === "string" && v ? v : null);
  const context = (m: Record<string, unknown>) => asRecord(m.context);
  const ids = new Set<string>();
  for (const m of meta) for (const id of [str(m.agent_bead_id), str(m.hooked_bead_id), str(context(m).source_bead_id)]) if (id) ids.add(id);
  const related = ids.size
    ? await db.bead.findMany({ where: { townId, id: { in: [...ids] } }, select: { id: true, title: true, status: true, type: true } })
    : [];
  const byId = new Map(related.map((b) => [b.id, b]));
  return rows.map((r, i) => {
    const m = meta[i];
    const agent = byId.get(str(m.agent_bead_id) ?? "");
    const bead = byId.get(str(m.hooked_bead_id) ?? str(context(m).source_bead_id) ?? "");
    return {
      id: r.id,
      title: r.title,
      triageType: str(m.triage_type) ?? "unknown",
      reason: str(context(m).reason) ?? r.title,
      severity: str(context(m).severity),
      escalationId: str(context(m).escalation_bead_id),
      agent: agent ? { id: agent.id, name: agent.title } : null,
      bead: bead && bead.type !== "agent" ? { id: bead.id, title: bead.title, status: bead.status } : null,
      choices: triageChoices({ metadata: m }),
      createdAt: r.createdAt,
    };
  });
}

export async function resolveTriage(
  deps: Pick<TickDeps, "pool" | "runtimeFor">,
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: { requestId: string; action: TriageAction; notes: string },
  now = new Date(),
) {
  const client = await deps.pool.connect();
  let actions: Action[];
  try {
    await client.query("BEGIN");
    // the request row first: a second person deciding the same request waits, then finds it closed
    const { rows } = await client.query(
      `SELECT b.rig_id, ts.config AS town_config, r.config AS rig_config
         FROM beads b LEFT JOIN town_settings ts ON ts.town_id = b.town_id LEFT JOIN rigs r ON r.id = b.rig_id
        WHERE b.bead_id = $1 AND b.town_id = $2 FOR UPDATE OF b`,
      [input.requestId, townId],
    );
    const settings = safeEffectiveSettings(rows[0]?.town_config ?? {}, rows[0]?.rig_config ?? {});
    actions = await resolveTriageRequest(
      new PgTownRepo(client, townId),
      { ...input, resolvedBy: `user:${actorUserId}`, maxDispatchAttempts: settings.maxDispatchAttempts },
      now,
    );
    await client.query(`UPDATE towns SET next_tick_at = $2 WHERE id = $1 AND next_tick_at > $2`, [townId, now]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  let stopped = 0;
  for (const a of actions) {
    if (a.type !== "stop_agent") continue;
    const agent = await db.agentMetadata.findFirst({ where: { beadId: a.agentId, townId }, select: { beadId: true, runtimeName: true } });
    if (agent && (await stopQuietly(deps, db, townId, agent, a.reason))) stopped++;
  }
  return { requestId: input.requestId, action: input.action, agentsStopped: stopped };
}
