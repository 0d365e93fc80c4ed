import { z } from "zod";
import type { Db } from "../db/client";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { AppError } from "../api/errors";
import { getRigOrThrow } from "./rigs";
import { makeTownDue } from "./towns";

// Beads as people see them: create, list with filters and keyset pagination, get with its satellites.
// Lists never load a whole town: they page on (created_at, bead_id) with an index behind it.

export const BEAD_TYPES = ["issue", "merge_request", "convoy", "agent", "escalation", "message", "molecule"] as const;
export const BEAD_STATUSES = ["open", "in_progress", "in_review", "closed", "failed"] as const;
export const PRIORITIES = ["low", "medium", "high", "critical"] as const;
/** What the beads page shows when no type filter is set: work, not agents or mail. */
export const WORK_TYPES = ["issue", "merge_request", "convoy", "escalation"] as const;

export const LabelSchema = z.string().trim().min(1).max(100).regex(/^[^\s"]+$/, "Labels have no spaces or quotes.");

export const BeadCreateSchema = z.strictObject({
  rigId: z.string().min(1),
  title: z.string().trim().min(1, "Give the bead a title.").max(200),
  body: z.string().max(20_000).optional(),
  priority: z.enum(PRIORITIES).default("medium"),
  labels: z.array(LabelSchema).max(20).default([]),
});
export type BeadCreate = z.infer<typeof BeadCreateSchema>;

export const BeadListFilterSchema = z.strictObject({
  rigId: z.string().min(1).optional(),
  status: z.array(z.enum(BEAD_STATUSES)).max(5).optional(),
  type: z.array(z.enum(BEAD_TYPES)).max(7).optional(),
  label: LabelSchema.optional(),
  search: z.string().trim().max(200).optional(),
});
export type BeadListFilter = z.infer<typeof BeadListFilterSchema>;

const CursorSchema = z.object({ createdAt: z.iso.datetime(), id: z.string() });

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ createdAt: row.createdAt.toISOString(), id: row.id })).toString("base64url");
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const parsed = CursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { createdAt: new Date(parsed.createdAt), id: parsed.id };
  } catch {
    throw new AppError("bad_request", "The page cursor is not valid; reload the list.");
  }
}

/** Creates an issue bead in a rig, records `bead_created` for the reconciler and makes the town due. */
export async function createBead(db: PrismaClient, townId: string, actorUserId: string, input: BeadCreate) {
  await getRigOrThrow(db, townId, input.rigId);
  return db.$transaction(async (tx) => {
    const bead = await tx.bead.create({
      data: {
        townId,
        type: "issue",
        status: "open",
        title: input.title,
        body: input.body ?? null,
        rigId: input.rigId,
        priority: input.priority,
        labels: input.labels,
        metadata: { slung_by: actorUserId },
        createdBy: actorUserId,
      },
    });
    await tx.beadEvent.create({ data: { townId, beadId: bead.id, actorUserId, eventType: "created", newValue: "open" } });
    await tx.townEvent.create({
      data: {
        townId,
        eventType: "bead_created",
        beadId: bead.id,
        payload: { bead_type: "issue", rig_id: input.rigId, has_blockers: false },
      },
    });
    await makeTownDue(tx, townId);
    return bead;
  });
}

function listWhere(townId: string, f: BeadListFilter): Prisma.BeadWhereInput {
  return {
    townId,
    ...(f.rigId ? { rigId: f.rigId } : {}),
    type: { in: [...(f.type?.length ? f.type : WORK_TYPES)] },
    ...(f.status?.length ? { status: { in: [...f.status] } } : {}),
    ...(f.label ? { labels: { array_contains: [f.label] } } : {}),
    ...(f.search ? { title: { contains: f.search, mode: "insensitive" as const } } : {}),
  };
}

export async function listBeads(db: Db, townId: string, input: BeadListFilter & { cursor?: string; limit: number }) {
  const { cursor, limit, ...filter } = input;
  const where = listWhere(townId, filter);
  if (cursor) {
    const c = decodeCursor(cursor);
    where.OR = [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }];
  }
  const rows = await db.bead.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: {
      id: true,
      type: true,
      status: true,
      title: true,
      rigId: true,
      priority: true,
      labels: true,
      assigneeAgentBeadId: true,
      dispatchAttempts: true,
      createdAt: true,
      updatedAt: true,
      rig: { select: { name: true } },
    },
  });
  const items = rows.slice(0, limit);
  return {
    items: items.map(({ rig, labels, ...b }) => ({ ...b, labels: labels as string[], rigName: rig?.name ?? null })),
    nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null,
  };
}

/** Counts by status for the filter in use (server-side, so 10,000 beads never reach the browser). */
export async function countBeadsByStatus(db: Db, townId: string, filter: BeadListFilter) {
  const { status: _ignored, ...rest } = filter;
  const rows = await db.bead.groupBy({ by: ["status"], where: listWhere(townId, rest), _count: { _all: true } });
  const counts = Object.fromEntries(BEAD_STATUSES.map((s) => [s, 0])) as Record<(typeof BEAD_STATUSES)[number], number>;
  for (const r of rows) if (r.status in counts) counts[r.status as keyof typeof counts] = r._count._all;
  return counts;
}

export async function getBeadOrThrow(db: Db, townId: string, beadId: string) {
  const bead = await db.bead.findFirst({
    where: { id: beadId, townId },
    include: {
      rig: { select: { id: true, name: true, gitUrl: true } },
      review: true,
      convoy: true,
      escalation: true,
      agent: true,
      hookedBy: { select: { beadId: true, role: true, status: true, lastActivityAt: true, identity: true } },
      dependencies: { include: { dependsOn: { select: { id: true, title: true, status: true, type: true } } } },
      dependents: { include: { bead: { select: { id: true, title: true, status: true, type: true } } } },
    },
  });
  if (!bead) throw new AppError("not_found", "Bead not found in this town.");
  const timeline = await db.beadEvent.findMany({ where: { beadId, townId }, orderBy: { createdAt: "desc" }, take: 200 });
  return { ...bead, labels: bead.labels as string[], metadata: bead.metadata as Record<string, unknown>, timeline };
}
