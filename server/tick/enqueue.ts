import type { SqlClient } from "../db/pool";
import { prismaSqlClient } from "../db/prisma-sql";
import type { Tx } from "../db/tx";
import { parseEventPayload } from "../domain/events";

// The one way a fact is queued for the reconciler — by the tick's side effects, runtime exits, agent API
// callbacks and people alike. Every payload is checked against its event's zod schema first (the check
// the drain makes), so nothing is queued that would poison at once; nothing is written when one fails.
// Any new event pulls the town's next tick to now (SPEC.md §3b) unless the caller does that itself last
// (the agent API touches the town row at the end of its transaction).

export interface EventToEnqueue {
  eventType: string;
  beadId?: string | null;
  agentId?: string | null;
  payload: Record<string, unknown>;
}

/** Inserts the events in one statement after validating every payload. */
export async function enqueueEvents(client: SqlClient, townId: string, events: EventToEnqueue[], now: Date, options: { makeDue?: boolean } = {}): Promise<void> {
  await insertEvents(client, townId, events, now, options);
}

/** The same path inside a Prisma transaction (people's writes, the agent API; see db/prisma-sql.ts); returns the ids in order. */
export function enqueueEventsInTx(tx: Tx, townId: string, events: EventToEnqueue[], now: Date, options: { makeDue?: boolean } = {}): Promise<string[]> {
  return insertEvents(prismaSqlClient(tx), townId, events, now, options);
}

async function insertEvents(client: SqlClient, townId: string, events: EventToEnqueue[], now: Date, options: { makeDue?: boolean }): Promise<string[]> {
  if (events.length === 0) return [];
  for (const e of events) parseEventPayload(e.eventType, e.payload);
  // One round trip: the insert and the town's due time together (a data-modifying CTE runs whether or not
  // the outer query reads it; $4 switches it off when the caller makes the town due itself).
  const { rows } = await client.query(
    `WITH ins AS (
       INSERT INTO town_events (town_id, event_type, bead_id, agent_id, payload, created_at)
       SELECT $1, e.event_type, e.bead_id, e.agent_id, e.payload, $3
         FROM jsonb_to_recordset($2::jsonb) AS e(event_type text, bead_id text, agent_id text, payload jsonb)
       RETURNING event_id, seq
     ), due AS (
       UPDATE towns SET next_tick_at = $3 WHERE id = $1 AND next_tick_at > $3 AND $4::boolean
     )
     SELECT event_id FROM ins ORDER BY seq`,
    [
      townId,
      JSON.stringify(events.map((e) => ({ event_type: e.eventType, bead_id: e.beadId ?? null, agent_id: e.agentId ?? null, payload: e.payload }))),
      now,
      options.makeDue !== false,
    ],
  );
  return rows.map((r) => r.event_id as string);
}

export async function makeTownDueSql(client: SqlClient, townId: string, now: Date): Promise<void> {
  await client.query(`UPDATE towns SET next_tick_at = $2 WHERE id = $1 AND next_tick_at > $2`, [townId, now]);
}
