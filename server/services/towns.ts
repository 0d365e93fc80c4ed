import type { Db } from "../db/client";
import type { PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import type { Role } from "../domain/types";
import { stopAgentsOf, type RuntimeFor } from "./stop-agents";

// Towns and their members. A town belongs to its creator (owner); creating one also creates its mayor agent
// (idle, no hook: SPEC.md §3b) and its settings row.

export const TOWN_NAME_MAX = 64;

export function mayorIdentity(townId: string): string {
  return `mayor-${townId.slice(0, 8)}`;
}

export async function createTown(db: PrismaClient, userId: string, input: { name: string }) {
  return db.$transaction(async (tx) => {
    const town = await tx.town.create({ data: { name: input.name, ownerUserId: userId } });
    await tx.townMember.create({ data: { townId: town.id, userId, role: "owner" } });
    await tx.townSettings.create({ data: { townId: town.id, config: {} } });
    const mayor = await tx.bead.create({
      data: { townId: town.id, type: "agent", status: "open", title: "mayor", createdBy: "system", labels: [] },
    });
    await tx.agentMetadata.create({
      data: { beadId: mayor.id, townId: town.id, role: "mayor", identity: mayorIdentity(town.id), status: "idle" },
    });
    await tx.auditLog.create({
      data: { townId: town.id, actorUserId: userId, action: "town.create", targetType: "town", targetId: town.id, detail: { name: input.name } },
    });
    return town;
  });
}

export async function listTownsForUser(db: Db, userId: string) {
  const memberships = await db.townMember.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: {
      role: true,
      town: { select: { id: true, name: true, createdAt: true, lastTickAt: true, nextTickAt: true, hasActiveWork: true } },
    },
  });
  const ids = memberships.map((m) => m.town.id);
  const [rigCounts, openCounts, poisoned] = await Promise.all([
    db.rig.groupBy({ by: ["townId"], where: { townId: { in: ids } }, _count: { _all: true } }),
    db.bead.groupBy({
      by: ["townId"],
      where: { townId: { in: ids }, type: { in: ["issue", "merge_request"] }, status: { in: ["open", "in_progress", "in_review"] } },
      _count: { _all: true },
    }),
    db.townEvent.groupBy({
      by: ["townId"],
      where: { townId: { in: ids }, poisonedAt: { not: null }, discardedAt: null, processedAt: null },
      _count: { _all: true },
    }),
  ]);
  const count = (rows: { townId: string; _count: { _all: number } }[], id: string) => rows.find((r) => r.townId === id)?._count._all ?? 0;
  return memberships.map((m) => ({
    ...m.town,
    role: m.role as Role,
    rigCount: count(rigCounts, m.town.id),
    activeBeadCount: count(openCounts, m.town.id),
    poisonedCount: count(poisoned, m.town.id),
  }));
}

export async function getTownOrThrow(db: Db, townId: string) {
  const town = await db.town.findUnique({ where: { id: townId } });
  if (!town) throw new DomainError("not_found", "Town not found.");
  return town;
}

/** Pulls the town's next tick to now (SPEC.md §3b: a people-made change or a new event makes the town due). */
export async function makeTownDue(db: Db, townId: string, now = new Date()) {
  await db.town.updateMany({ where: { id: townId, nextTickAt: { gt: now } }, data: { nextTickAt: now } });
}

export async function deleteTown(db: PrismaClient, townId: string, runtimeFor: RuntimeFor) {
  // Stop the town's running agents, then everything cascades from the town row.
  await stopAgentsOf(runtimeFor, db, townId, "town deleted");
  await db.town.delete({ where: { id: townId } });
  return { deleted: true as const };
}

export async function listMembers(db: Db, townId: string) {
  const rows = await db.townMember.findMany({
    where: { townId },
    orderBy: { createdAt: "asc" },
    select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
  });
  return rows.map((r) => ({ userId: r.user.id, email: r.user.email, name: r.user.name, role: r.role as Role, since: r.createdAt }));
}

/** Invitations of addresses that have no account yet (they become members when they sign up). */
export async function listInvites(db: Db, townId: string) {
  const rows = await db.invite.findMany({ where: { townId }, orderBy: { createdAt: "asc" } });
  return rows.map((r) => ({ email: r.email, role: r.role as Role, since: r.createdAt }));
}

/**
 * Adds a person by email. An address with no account yet gets an invitation instead (GASTOWN_SIGNUP=invite lets
 * exactly those addresses sign up; under every policy they join this town with this role when they do).
 */
export async function addMember(db: PrismaClient, townId: string, actorUserId: string, input: { email: string; role: Role }) {
  const email = input.email.trim().toLowerCase();
  const user = await db.user.findUnique({ where: { email } });
  if (!user) {
    const existing = await db.invite.findUnique({ where: { townId_email: { townId, email } } });
    if (existing) throw new DomainError("conflict", `${email} is already invited as a ${existing.role}.`);
    await db.$transaction([
      db.invite.create({ data: { townId, email, role: input.role, invitedByUserId: actorUserId } }),
      db.auditLog.create({ data: { townId, actorUserId, action: "member.invite", targetType: "invite", targetId: email, detail: { email, role: input.role } } }),
    ]);
    return { invited: true as const, email };
  }
  const existing = await db.townMember.findUnique({ where: { townId_userId: { townId, userId: user.id } } });
  if (existing) throw new DomainError("conflict", `${input.email} is already a ${existing.role} of this town.`);
  await db.$transaction([
    db.townMember.create({ data: { townId, userId: user.id, role: input.role } }),
    db.auditLog.create({
      data: { townId, actorUserId, action: "member.add", targetType: "user", targetId: user.id, detail: { email: user.email, role: input.role } },
    }),
  ]);
  return { invited: false as const, email };
}

export async function revokeInvite(db: PrismaClient, townId: string, actorUserId: string, input: { email: string }) {
  const email = input.email.trim().toLowerCase();
  await db.$transaction(async (tx) => {
    const res = await tx.invite.deleteMany({ where: { townId, email } });
    if (res.count === 0) throw new DomainError("not_found", `${email} has no open invitation to this town.`);
    await tx.auditLog.create({ data: { townId, actorUserId, action: "member.uninvite", targetType: "invite", targetId: email } });
  });
  return { revoked: true as const };
}

/** The role change and its audit row commit together, or neither does (issue 13). */
export async function setMemberRole(db: PrismaClient, townId: string, actorUserId: string, input: { userId: string; role: Role }) {
  const town = await getTownOrThrow(db, townId);
  if (input.userId === town.ownerUserId && input.role !== "owner") {
    throw new DomainError("conflict", "The town's creator always stays an owner.");
  }
  await db.$transaction(async (tx) => {
    const res = await tx.townMember.updateMany({ where: { townId, userId: input.userId }, data: { role: input.role } });
    if (res.count === 0) throw new DomainError("not_found", "That person is not a member of this town.");
    await tx.auditLog.create({
      data: { townId, actorUserId, action: "member.role", targetType: "user", targetId: input.userId, detail: { role: input.role } },
    });
  });
  return listMembers(db, townId);
}

export async function removeMember(db: PrismaClient, townId: string, actorUserId: string, input: { userId: string }) {
  const town = await getTownOrThrow(db, townId);
  if (input.userId === town.ownerUserId) throw new DomainError("conflict", "The town's creator cannot be removed.");
  const res = await db.townMember.deleteMany({ where: { townId, userId: input.userId } });
  if (res.count === 0) throw new DomainError("not_found", "That person is not a member of this town.");
  await db.auditLog.create({ data: { townId, actorUserId, action: "member.remove", targetType: "user", targetId: input.userId } });
  return listMembers(db, townId);
}
