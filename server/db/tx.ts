import { Prisma } from "./client";
import type { PrismaClient } from "./generated/client";
import type { EventType } from "../domain/events";

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
