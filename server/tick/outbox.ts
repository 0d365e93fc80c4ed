import { postJson, signBody, DELIVERY_HEADER, DELIVERY_TIMEOUT_MS, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../adapters/notify/webhook";
import type { SqlClient } from "../db/pool";
import {
  nextAttemptAt,
  slackBody,
  storedMessage,
  StoredMessageSchema,
  webhookBody,
  type DeliveryContext,
  type DeliveryKind,
  type OutboundMessage,
} from "../domain/notify";
import type { Priority } from "../domain/types";
import { createRedactor } from "../secrets/redact";

// Notifications out (issue 16): the outbox and its delivery pass.
//
// Why the outbox row is written in the transaction of the state change, not by a scan after the tick:
// every cause already has one write path that runs inside a transaction — raiseEscalation and
// setBeadStatus (domain/operations.ts, through the TownRepo port, so the drain's batches, the state phase,
// people's writes and the agent API all share it), close_convoy (state-actions.ts), the drain's poison(),
// the breaker flag in run-tick's state phase and housekeeping's re-escalation. Writing there means a
// message exists exactly when its state change committed: a rolled-back batch or a dry run takes its
// messages with it, and a crash between "state changed" and "message written" cannot happen. A scan after
// the record phase would need a cursor over rows that commit out of order (people's writes and the agent
// API run beside the tick), which loses or repeats messages. The write is one INSERT … SELECT over the
// town's channels — zero rows and no round trip more when a town has none — and only on these rare events,
// so it never slows a tick.
//
// Delivery happens outside every tick transaction: the in-process ticker runs the pass on its own timer
// and the cron route after its sweep. A pass claims due rows with FOR UPDATE SKIP LOCKED in one statement
// that also leases them (next_attempt_at pushed past the POST timeout) and counts the attempt, so no
// transaction or connection is held while a receiver answers, two instances never send one row at the
// same time, and a process that dies mid-POST leaves the row due again after the lease. Then it POSTs
// (5 s timeout, in parallel) and marks the row delivered, due again after a backoff, or failed after the
// last attempt. A dead or slow receiver costs only its own rows.

const SEVERITY_ORDER = `ARRAY['low','medium','high','critical']`;

/** The outbox write: one row per (message, channel that wants it). Runs on the caller's transaction. */
export async function insertOutboundMessages(client: SqlClient, townId: string, messages: OutboundMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await client.query(
    `INSERT INTO notification_deliveries (town_id, channel_id, kind, severity, message, next_attempt_at, created_at)
     SELECT $1, c.channel_id, v.kind, v.severity, v.message, v.created_at, v.created_at
       FROM jsonb_to_recordset($2::jsonb) AS v(kind text, severity text, message jsonb, created_at timestamptz)
       JOIN notification_channels c ON c.town_id = $1 AND v.kind = ANY(c.kinds)
      WHERE v.kind <> 'escalation'
         OR array_position(${SEVERITY_ORDER}, coalesce(v.severity, 'low')) >= array_position(${SEVERITY_ORDER}, c.min_severity)`,
    [
      townId,
      JSON.stringify(messages.map((m) => ({ kind: m.kind, severity: m.severity, message: storedMessage(m), created_at: m.createdAt }))),
    ],
  );
}

/** A row is leased for this long while its POST is in flight (well over the POST timeout). */
export const DELIVERY_LEASE_MS = 60_000;
export const DELIVERY_BATCH = 50;
const DELIVERY_CONCURRENCY = 8;

export interface DeliveryPassOptions {
  now: Date;
  /** the app's public URL, for links in messages */
  appUrl?: string | null;
  limit?: number;
  timeoutMs?: number;
  /** only these rows (a test message sent now) */
  deliveryIds?: string[];
}

export interface DeliveryOutcome {
  deliveryId: string;
  townId: string;
  channelId: string;
  kind: string;
  attempt: number;
  status: "delivered" | "pending" | "failed";
  statusCode: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
}

interface ClaimedRow {
  delivery_id: string;
  town_id: string;
  channel_id: string;
  kind: string;
  severity: string | null;
  message: unknown;
  attempts: number;
  created_at: Date | string;
  type: string;
  url: string;
  secret: string | null;
  town_name: string;
}

/** One delivery pass (see the header). Never throws for a receiver's sake; returns what happened per row. */
export async function deliverNotifications(db: SqlClient, options: DeliveryPassOptions): Promise<DeliveryOutcome[]> {
  const { now } = options;
  const only = options.deliveryIds ?? null;
  const { rows } = await db.query<ClaimedRow & Record<string, unknown>>(
    `WITH due AS (
       SELECT delivery_id FROM notification_deliveries
        WHERE status = 'pending' AND next_attempt_at <= $1 AND ($3::text[] IS NULL OR delivery_id = ANY($3::text[]))
        ORDER BY next_attempt_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED)
     UPDATE notification_deliveries d
        SET attempts = d.attempts + 1, last_attempt_at = $1, next_attempt_at = $4
       FROM due, notification_channels c, towns t
      WHERE d.delivery_id = due.delivery_id AND c.channel_id = d.channel_id AND t.id = d.town_id
     RETURNING d.delivery_id, d.town_id, d.channel_id, d.kind, d.severity, d.message, d.attempts, d.created_at,
               c.type, c.url, c.secret, t.name AS town_name`,
    [now, options.limit ?? DELIVERY_BATCH, only, new Date(now.getTime() + DELIVERY_LEASE_MS)],
  );
  const outcomes: DeliveryOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++];
      outcomes.push(await deliverOne(db, row, options));
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, rows.length) }, worker));
  return outcomes;
}

/** The body and headers of one attempt (exported for the tests of the wire format). */
export function renderDelivery(row: Pick<ClaimedRow, "type" | "secret">, ctx: DeliveryContext): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (row.type === "slack") return { body: JSON.stringify(slackBody(ctx)), headers };
  const body = JSON.stringify(webhookBody(ctx));
  headers[DELIVERY_HEADER] = ctx.deliveryId;
  headers[TIMESTAMP_HEADER] = String(Math.floor(ctx.sentAt.getTime() / 1000));
  headers[EVENT_HEADER] = ctx.kind;
  if (row.secret) headers[SIGNATURE_HEADER] = signBody(row.secret, body);
  return { body, headers };
}

async function deliverOne(db: SqlClient, row: ClaimedRow, options: DeliveryPassOptions): Promise<DeliveryOutcome> {
  const { now } = options;
  const parsed = StoredMessageSchema.safeParse(row.message);
  const base = { deliveryId: row.delivery_id, townId: row.town_id, channelId: row.channel_id, kind: row.kind, attempt: row.attempts };
  let outcome: { ok: boolean; status: number | null; error: string | null };
  if (!parsed.success) {
    outcome = { ok: false, status: null, error: "the stored message is not readable" };
  } else {
    const { body, headers } = renderDelivery(row, {
      deliveryId: row.delivery_id,
      townId: row.town_id,
      townName: row.town_name,
      kind: row.kind as DeliveryKind,
      severity: (row.severity as Priority | null) ?? null,
      message: parsed.data,
      occurredAt: new Date(row.created_at),
      sentAt: now,
      attempt: row.attempts,
      appUrl: options.appUrl ?? null,
    });
    outcome = await postJson(row.url, body, headers, options.timeoutMs ?? DELIVERY_TIMEOUT_MS);
  }
  // What a receiver or the network said may quote the URL (a Slack hook's path is its secret) or the secret.
  const redact = createRedactor([row.url, row.secret, safePath(row.url)]);
  const error = outcome.error === null ? null : redact.text(outcome.error).slice(0, 500);
  const retryAt = outcome.ok ? null : nextAttemptAt(row.attempts, now);
  const status = outcome.ok ? "delivered" : retryAt ? "pending" : "failed";
  // Only while this pass still holds the row (same attempt count): a pass whose lease ran out meanwhile
  // must not overwrite the outcome of the one that took over.
  try {
    await db.query(
      `UPDATE notification_deliveries
          SET status = $3, next_attempt_at = coalesce($4, next_attempt_at), last_status_code = $5, last_error = $6,
              delivered_at = CASE WHEN $3 = 'delivered' THEN $7::timestamptz ELSE delivered_at END
        WHERE delivery_id = $1 AND attempts = $2 AND status = 'pending'`,
      [row.delivery_id, row.attempts, status, retryAt, outcome.status, error, now],
    );
  } catch {
    // The database is unavailable: the lease runs out and the row is tried again; nothing is lost.
  }
  return { ...base, status, statusCode: outcome.status, error, nextAttemptAt: retryAt };
}

function safePath(url: string): string | null {
  try {
    const u = new URL(url);
    return u.pathname.length >= 8 ? u.pathname : null;
  } catch {
    return null;
  }
}
