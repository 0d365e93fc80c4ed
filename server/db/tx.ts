import { Prisma } from "./client";
import type { PrismaClient } from "./generated/client";
import { parseEventPayload, type EventType } from "../domain/events";

// What every Prisma write path shares (people's changes through tRPC, agents' tool calls): one transaction
// per call, JSON helpers, and queueing town events — validated by their zod schema before they are stored.

export type Tx = Prisma.TransactionClient;

/** One call = one transaction. Generous timeouts: the embedded Postgres serialises transactions. */
export function inTransaction<T>(db: PrismaClient, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(fn, { maxWait: 15_000, timeout: 30_000 });
}

export function json(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export interface TownEventInput {
  type: EventType;
  beadId?: string | null;
  agentId?: string | null;
  payload: Record<string, unknown>;
}

/** Inserts events for the reconciler; a payload that fails its schema throws before anything is written. */
export async function insertTownEvents(tx: Tx, townId: string, events: TownEventInput[], now: Date): Promise<void> {
  if (events.length === 0) return;
  for (const e of events) parseEventPayload(e.type, e.payload);
  await tx.townEvent.createMany({
    data: events.map((e) => ({ townId, eventType: e.type, beadId: e.beadId ?? null, agentId: e.agentId ?? null, payload: json(e.payload), createdAt: now })),
  });
}
