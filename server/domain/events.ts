import { z } from "zod";
import { DomainError } from "./errors";
import type { TownEventRow } from "./types";

// Town events (DOMAIN.md §3): immutable facts, each with its own payload schema. Payloads are snake_case
// (the wire and the jsonb column). Payload schemas drop unknown keys (agent bodies do too), so an extra
// field never poisons an event; a missing or mistyped one does, immediately (`invalid_payload`).

const Id = z.string().min(1);
const OptionalText = z.string().nullish();
/** Timestamps arrive as ISO strings from jsonb (or Dates from in-process callers). */
const Timestamp = z.coerce.date().refine((d) => !Number.isNaN(d.getTime()), "not a valid timestamp");

export const EventPayloadSchemas = {
  agent_done: z.object({ branch: z.string(), pr_url: OptionalText, summary: OptionalText }),
  /** Anything but `completed` counts as `failed` (DOMAIN.md §3). */
  agent_completed: z.object({
    status: z.unknown().optional().transform((s): "completed" | "failed" => (s === "completed" ? "completed" : "failed")),
    reason: OptionalText,
  }),
  /** `source`: who saw it (issue 16); absent = a poll or a merge of ours. */
  pr_status_changed: z.object({ pr_url: z.string(), pr_state: z.string(), source: z.enum(["poll", "webhook"]).optional() }),
  bead_created: z.object({
    bead_type: z.string().optional(),
    rig_id: z.string().nullish(),
    convoy_id: z.string().nullish(),
    has_blockers: z.boolean().optional(),
  }),
  bead_cancelled: z.object({
    cancel_status: z.enum(["closed", "failed"]).default("failed"),
    reason: OptionalText,
    actor: OptionalText,
  }),
  convoy_started: z.object({ convoy_id: Id }),
  container_status: z.object({ status: z.string(), exit_reason: OptionalText }),
  container_eviction: z.object({}),
  nudge_timeout: z.object({}),
  pr_feedback_detected: z.object({
    mr_bead_id: Id,
    pr_url: z.string(),
    pr_number: z.number().int(),
    repo: z.string(),
    branch: z.string(),
    has_unresolved_comments: z.boolean(),
    has_failing_checks: z.boolean(),
    has_unchecked_runs: z.boolean(),
  }),
  pr_auto_merge: z.object({ mr_bead_id: Id, pr_url: z.string() }),
  auto_merge_cleared: z.object({
    mr_bead_id: Id,
    reason: z.enum(["fresh_feedback", "merge_failed", "merge_error", "repo_mismatch", "repo_not_allowed"]),
  }),
  poll_nonnull_result: z.object({ mr_bead_id: Id }),
  poll_null_result: z.object({ mr_bead_id: Id, pr_url: z.string() }),
  poll_feedback_checked: z.object({ mr_bead_id: Id, checked_at: Timestamp }),
  poll_auto_merge_update: z.object({ mr_bead_id: Id, ready_since: Timestamp.nullable() }),
  pr_conflict_detected: z.object({
    mr_bead_id: Id,
    source_bead_id: z.string().nullish(),
    pr_url: z.string(),
    branch: z.string(),
  }),
  /** Ours (SPEC.md §2): the runtime refused or threw on a dispatch. `dispatched_at` (optional) ties the
   *  failure to one dispatch, so a late failure never rolls back a newer one. */
  dispatch_failed: z.object({ agent_id: Id, bead_id: Id.nullable(), reason: z.string(), dispatched_at: Timestamp.nullish() }),
} as const;

export type EventType = keyof typeof EventPayloadSchemas;
export const EVENT_TYPES = Object.keys(EventPayloadSchemas) as EventType[];
export const EventTypeSchema = z.enum(EVENT_TYPES as [EventType, ...EventType[]]);
export type EventPayload<T extends EventType> = z.output<(typeof EventPayloadSchemas)[T]>;
/** What a producer writes into `town_events.payload`. */
export type EventPayloadInput<T extends EventType> = z.input<(typeof EventPayloadSchemas)[T]>;

const envelope = {
  id: z.string().optional(),
  agentId: z.string().nullable(),
  beadId: z.string().nullable(),
  createdAt: z.date().optional(),
};

function eventSchema<T extends EventType>(type: T) {
  return z.object({ eventType: z.literal(type), ...envelope, payload: EventPayloadSchemas[type] });
}

/** A validated town event: a discriminated union over `eventType`. */
export const TownEventSchema = z.discriminatedUnion("eventType", [
  eventSchema("agent_done"),
  eventSchema("agent_completed"),
  eventSchema("pr_status_changed"),
  eventSchema("bead_created"),
  eventSchema("bead_cancelled"),
  eventSchema("convoy_started"),
  eventSchema("container_status"),
  eventSchema("container_eviction"),
  eventSchema("nudge_timeout"),
  eventSchema("pr_feedback_detected"),
  eventSchema("pr_auto_merge"),
  eventSchema("auto_merge_cleared"),
  eventSchema("poll_nonnull_result"),
  eventSchema("poll_null_result"),
  eventSchema("poll_feedback_checked"),
  eventSchema("poll_auto_merge_update"),
  eventSchema("pr_conflict_detected"),
  eventSchema("dispatch_failed"),
]);
export type TownEvent = z.output<typeof TownEventSchema>;
export type TownEventOf<T extends EventType> = Extract<TownEvent, { eventType: T }>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(payload)"}: ${i.message}`).join("; ");
}

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EventPayloadSchemas, type);
}

/** Validates one payload against its event type's schema; throws `invalid_payload` with the zod issues
 *  (the tick poisons such an event at once — it can never succeed). */
export function parseEventPayload<T extends EventType>(type: T, payload: unknown): EventPayload<T>;
export function parseEventPayload(type: string, payload: unknown): unknown;
export function parseEventPayload(type: string, payload: unknown): unknown {
  if (!isEventType(type)) throw new DomainError("invalid_payload", `Unknown event type "${type}".`);
  const result = EventPayloadSchemas[type].safeParse(payload ?? {});
  if (!result.success) {
    throw new DomainError("invalid_payload", `Invalid ${type} payload: ${describeIssues(result.error)}`);
  }
  return result.data;
}

/** Turns a drained `town_events` row into a typed event, or throws `invalid_payload`. */
export function parseTownEvent(row: Pick<TownEventRow, "eventType" | "agentId" | "beadId" | "payload"> & { id?: string; createdAt?: Date }): TownEvent {
  const payload = parseEventPayload(row.eventType, row.payload);
  return {
    eventType: row.eventType,
    id: row.id,
    agentId: row.agentId ?? null,
    beadId: row.beadId ?? null,
    createdAt: row.createdAt,
    payload,
  } as TownEvent;
}

/** Builds an event in-process (producers and tests), validating the payload the same way the drain will. */
export function makeEvent<T extends EventType>(
  type: T,
  fields: { agentId?: string | null; beadId?: string | null; id?: string; createdAt?: Date; payload: EventPayloadInput<T> },
): TownEventOf<T> {
  return parseTownEvent({
    eventType: type,
    agentId: fields.agentId ?? null,
    beadId: fields.beadId ?? null,
    payload: fields.payload,
    id: fields.id,
    createdAt: fields.createdAt,
  }) as TownEventOf<T>;
}
