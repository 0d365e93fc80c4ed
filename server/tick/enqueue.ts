import type { SqlClient } from "../db/pool";

// Inserting an event is how everything outside the tick's state phase reports a fact (side effects, agent
// API callbacks, runtime exits, people). Any new event pulls the town's next tick to now (SPEC.md §3b).

export interface EventToEnqueue {
  eventType: string;
  beadId?: string | null;
  agentId?: string | null;
  payload: Record<string, unknown>;
}

export async function enqueueEvents(client: SqlClient, townId: string, events: EventToEnqueue[], now: Date): Promise<void> {
  if (events.length === 0) return;
  await client.query(
    `INSERT INTO town_events (town_id, event_type, bead_id, agent_id, payload, created_at)
     SELECT $1, e.event_type, e.bead_id, e.agent_id, e.payload, $3
       FROM jsonb_to_recordset($2::jsonb) AS e(event_type text, bead_id text, agent_id text, payload jsonb)`,
    [
      townId,
      JSON.stringify(events.map((e) => ({ event_type: e.eventType, bead_id: e.beadId ?? null, agent_id: e.agentId ?? null, payload: e.payload }))),
      now,
    ],
  );
  await makeTownDueSql(client, townId, now);
}

export async function makeTownDueSql(client: SqlClient, townId: string, now: Date): Promise<void> {
  await client.query(`UPDATE towns SET next_tick_at = $2 WHERE id = $1 AND next_tick_at > $2`, [townId, now]);
}
