import { randomUUID } from "node:crypto";
import type { PrismaClient } from "../server/db/generated/client";
import { createTown } from "../server/services/towns";

// Factories shared by the seed, the integration tests, e2e and the benchmarks. They write through our own
// services where one exists (so a town always has its mayor) and straight to the tables for bulk data.

let seq = 0;
const next = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

export async function makeUser(db: PrismaClient, over: Partial<{ email: string; name: string }> = {}) {
  const n = next();
  return db.user.create({
    data: { id: randomUUID(), email: over.email ?? `user-${n}@example.test`, name: over.name ?? `User ${n}`, emailVerified: true },
  });
}

export async function makeTown(db: PrismaClient, ownerUserId: string, over: Partial<{ name: string }> = {}) {
  return createTown(db, ownerUserId, { name: over.name ?? `town-${next()}` });
}

export async function addMembership(db: PrismaClient, townId: string, userId: string, role: "owner" | "member" | "viewer") {
  return db.townMember.create({ data: { townId, userId, role } });
}

export async function makeRig(db: PrismaClient, townId: string, over: Partial<{ name: string; gitUrl: string; config: object }> = {}) {
  const n = next();
  return db.rig.create({
    data: {
      townId,
      name: over.name ?? `rig-${n}`,
      gitUrl: over.gitUrl ?? `https://github.com/example/repo-${n}`,
      config: over.config ?? {},
    },
  });
}

export type BeadSeed = {
  type?: string;
  status?: string;
  title?: string;
  rigId?: string | null;
  labels?: string[];
  priority?: string;
  createdAt?: Date;
  metadata?: object;
  dispatchAttempts?: number;
};

export async function makeBead(db: PrismaClient, townId: string, over: BeadSeed = {}) {
  return db.bead.create({
    data: {
      townId,
      type: over.type ?? "issue",
      status: over.status ?? "open",
      title: over.title ?? `bead ${next()}`,
      rigId: over.rigId ?? null,
      labels: over.labels ?? [],
      priority: over.priority ?? "medium",
      metadata: over.metadata ?? {},
      dispatchAttempts: over.dispatchAttempts ?? 0,
      ...(over.createdAt ? { createdAt: over.createdAt, updatedAt: over.createdAt } : {}),
    },
  });
}

/**
 * Bulk-inserts `count` beads with one statement per 1,000 rows. `pick(i)` decides each bead's fields;
 * created_at steps back one second per bead so lists have a stable order.
 */
export async function makeBeads(db: PrismaClient, townId: string, count: number, pick: (i: number) => BeadSeed = () => ({})) {
  const start = Date.now();
  for (let offset = 0; offset < count; offset += 1000) {
    const rows = [];
    for (let i = offset; i < Math.min(count, offset + 1000); i++) {
      const b = pick(i);
      const createdAt = b.createdAt ?? new Date(start - i * 1000);
      rows.push({
        townId,
        type: b.type ?? "issue",
        status: b.status ?? "open",
        title: b.title ?? `bead ${i}`,
        rigId: b.rigId ?? null,
        labels: b.labels ?? [],
        priority: b.priority ?? "medium",
        metadata: b.metadata ?? {},
        dispatchAttempts: b.dispatchAttempts ?? 0,
        createdAt,
        updatedAt: createdAt,
      });
    }
    await db.bead.createMany({ data: rows });
  }
}
