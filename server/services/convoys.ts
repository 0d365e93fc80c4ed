import type { Db } from "../db/client";
import { Prisma } from "../db/client";
import type { PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { validateConvoyDag } from "../domain/convoy-dag";
import type { GitHub } from "../adapters/github/types";
import type { ConvoyMergeMode } from "../domain/settings";
import { isTerminal, PRIORITIES } from "../domain/types";
import {
  asRecord,
  changeStatusByPerson,
  enqueueEvent,
  enqueueEvents,
  inTransaction,
  json,
  makeTownDue,
  recountConvoy,
  writeBeadEvent,
  type Tx,
} from "./people-writes";
import { getRigOrThrow } from "./rigs";
import { insertConvoyWithTasks } from "./convoy-records";
import { decodeCursor, encodeCursor } from "./beads";
import type { TickDeps } from "../tick/types";

// Convoys as people drive them (SPEC.md §4.1 convoys pages, DOMAIN.md §6.6): list with progress, detail with
// tracked beads and their MRs, create with tasks and dependencies (the agent API's DAG validator: a cycle
// is a clear 400), start a staged convoy, force-close, add and remove beads.

/** SPEC.md §3 #8: progress counts tracked `issue` beads only; done = closed + failed. One definition. */
export async function convoyProgress(db: Db, townId: string, convoyIds: string[]): Promise<Map<string, { done: number; total: number }>> {
  const out = new Map<string, { done: number; total: number }>();
  if (convoyIds.length === 0) return out;
  const rows = await db.$queryRaw<{ convoy_id: string; total: number; done: number }[]>`
    SELECT d.depends_on_bead_id AS convoy_id,
           count(*)::int AS total,
           count(*) FILTER (WHERE b.status IN ('closed', 'failed'))::int AS done
      FROM bead_dependencies d JOIN beads b ON b.bead_id = d.bead_id AND b.type = 'issue'
     WHERE d.town_id = ${townId} AND d.dependency_type = 'tracks' AND d.depends_on_bead_id IN (${Prisma.join(convoyIds)})
     GROUP BY d.depends_on_bead_id`;
  for (const r of rows) out.set(r.convoy_id, { done: Number(r.done), total: Number(r.total) });
  return out;
}

function progressView(p: { done: number; total: number } | undefined) {
  const done = p?.done ?? 0;
  const total = p?.total ?? 0;
  return { done, total, percent: total === 0 ? 0 : Math.round((done / total) * 100) };
}

export const CONVOY_STATUSES = ["open", "closed", "failed"] as const;

export async function listConvoys(db: Db, townId: string, input: { status?: (typeof CONVOY_STATUSES)[number][]; cursor?: string; limit: number }) {
  const where: Prisma.BeadWhereInput = { townId, type: "convoy", ...(input.status?.length ? { status: { in: input.status } } : {}) };
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    where.OR = [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }];
  }
  const rows = await db.bead.findMany({ where, include: { convoy: true }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: input.limit + 1 });
  const page = rows.slice(0, input.limit);
  const progress = await convoyProgress(db, townId, page.map((c) => c.id));
  return {
    items: page.map((c) => ({
      id: c.id,
      title: c.title,
      status: c.status,
      createdAt: c.createdAt,
      closedAt: c.closedAt,
      mergeMode: (c.convoy?.mergeMode ?? "review-then-land") as ConvoyMergeMode,
      staged: c.convoy?.staged ?? false,
      featureBranch: c.convoy?.featureBranch ?? null,
      readyToLand: c.convoy?.readyToLand ?? false,
      landedAt: c.convoy?.landedAt ?? null,
      progress: progressView(progress.get(c.id)),
    })),
    nextCursor: rows.length > input.limit ? encodeCursor(page[page.length - 1]) : null,
  };
}

async function findConvoyOrThrow(db: Db, townId: string, convoyId: string) {
  const convoy = await db.bead.findFirst({ where: { id: convoyId, townId, type: "convoy" }, include: { convoy: true } });
  if (!convoy || !convoy.convoy) throw new DomainError("not_found", "Convoy not found in this town.");
  return { ...convoy, meta: convoy.convoy };
}

async function lockOpenConvoy(tx: Tx, townId: string, convoyId: string) {
  await tx.$queryRaw`SELECT bead_id FROM beads WHERE bead_id = ${convoyId} AND town_id = ${townId} FOR UPDATE`;
  const convoy = await findConvoyOrThrow(tx, townId, convoyId);
  if (isTerminal(convoy.status)) throw new DomainError("conflict", `This convoy is already ${convoy.status}.`);
  return convoy;
}

/** A convoy with its tracked beads (their blockers inside the convoy and the MRs reviewing them) and its landing MRs. */
export async function getConvoy(db: Db, townId: string, convoyId: string) {
  const convoy = await findConvoyOrThrow(db, townId, convoyId);
  const tracked = await db.beadDependency.findMany({
    where: { townId, dependsOnBeadId: convoyId, dependencyType: "tracks" },
    orderBy: [{ createdAt: "asc" }, { beadId: "asc" }],
    include: {
      bead: {
        select: {
          id: true,
          type: true,
          title: true,
          status: true,
          rigId: true,
          priority: true,
          assigneeAgentBeadId: true,
          dispatchAttempts: true,
          createdAt: true,
          updatedAt: true,
          metadata: true,
          review: { select: { prUrl: true, branch: true, targetBranch: true } },
          dependencies: { where: { dependencyType: "blocks" }, select: { dependsOnBeadId: true } },
          dependents: {
            where: { dependencyType: "tracks", bead: { type: "merge_request" } },
            select: { bead: { select: { id: true, title: true, status: true, createdAt: true, review: { select: { prUrl: true } } } } },
          },
        },
      },
    },
  });
  const progress = await convoyProgress(db, townId, [convoyId]);
  // Task order as created (the index the convoy's tasks were given), then the order beads joined.
  const taskIndex = (m: unknown) => {
    const i = asRecord(m).convoy_task_index;
    return typeof i === "number" ? i : Number.MAX_SAFE_INTEGER;
  };
  const beads = tracked.map((t, order) => ({ ...t.bead, order })).sort((x, y) => taskIndex(x.metadata) - taskIndex(y.metadata) || x.order - y.order);
  const mrView = (m: { id: string; title: string; status: string; createdAt: Date; review: { prUrl: string | null } | null }) => ({
    id: m.id,
    title: m.title,
    status: m.status,
    prUrl: m.review?.prUrl ?? null,
    createdAt: m.createdAt,
  });
  return {
    id: convoy.id,
    title: convoy.title,
    status: convoy.status,
    createdAt: convoy.createdAt,
    closedAt: convoy.closedAt,
    mergeMode: (convoy.meta.mergeMode ?? "review-then-land") as ConvoyMergeMode,
    staged: convoy.meta.staged,
    featureBranch: convoy.meta.featureBranch,
    readyToLand: convoy.meta.readyToLand,
    landedAt: convoy.meta.landedAt,
    progress: progressView(progress.get(convoyId)),
    beads: beads
      .filter((b) => b.type !== "merge_request")
      .map((b) => ({
        id: b.id,
        type: b.type,
        title: b.title,
        status: b.status,
        rigId: b.rigId,
        priority: b.priority,
        assigneeAgentBeadId: b.assigneeAgentBeadId,
        dispatchAttempts: b.dispatchAttempts,
        updatedAt: b.updatedAt,
        blockedBy: b.dependencies.map((d) => d.dependsOnBeadId),
        mergeRequests: b.dependents.map((d) => mrView(d.bead)).sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime()),
      })),
    landingMergeRequests: beads.filter((b) => b.type === "merge_request").map((b) => mrView(b)),
  };
}

export interface ConvoyCreateInput {
  title: string;
  rigId: string;
  tasks: { title: string; body?: string; priority?: (typeof PRIORITIES)[number]; dependsOn?: number[] }[];
  mergeMode?: ConvoyMergeMode;
  staged?: boolean;
}

/**
 * Create a convoy with its tasks (DOMAIN.md §6.6), all in one transaction: the convoy bead (no rig,
 * `gt:convoy`, its feature branch), convoy_metadata, one issue per task that `tracks` the convoy, `blocks`
 * edges from `dependsOn`, and `bead_created` events. Then the feature branch is created on GitHub, best
 * effort (a failure is reported, never undoes the convoy). No agent is created here: B1 assigns.
 */
export async function createConvoy(
  deps: Pick<TickDeps, "resolveGitHubToken" | "repoRefusal"> & { github: Pick<GitHub, "createBranch"> } | null,
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: ConvoyCreateInput,
  now = new Date(),
) {
  const dag = validateConvoyDag(input.tasks.map((t) => ({ depends_on: t.dependsOn })));
  if (!dag.ok) throw new DomainError("bad_request", dag.message);

  const created = await inTransaction(db, async (tx) => {
    const rig = await getRigOrThrow(tx, townId, input.rigId);
    const records = await insertConvoyWithTasks(tx, {
      townId,
      rig,
      title: input.title,
      tasks: input.tasks,
      edges: dag.edges,
      mergeMode: input.mergeMode,
      staged: input.staged,
      actor: { userId: actorUserId },
      now,
    });
    await makeTownDue(tx, townId, now);
    return { ...records, rig };
  });

  let featureBranchOnGitHub: "created" | "exists" | "failed" | "skipped" = "skipped";
  if (deps && created.rig.gitUrl && !deps.repoRefusal(created.rig.gitUrl)) {
    try {
      const res = await deps.github.createBranch({
        token: deps.resolveGitHubToken(created.town, created.townToken),
        repoUrl: created.rig.gitUrl,
        branch: created.featureBranch,
        fromBranch: created.rig.defaultBranch || "main",
      });
      featureBranchOnGitHub = res && "ok" in res && res.ok ? (res.created ? "created" : "exists") : "failed";
    } catch {
      featureBranchOnGitHub = "failed";
    }
  }
  return { ...(await getConvoy(db, townId, created.convoyId)), featureBranchOnGitHub };
}

/** Start a staged convoy: staged := false now and via `convoy_started` (DOMAIN.md §6.6). */
export async function startConvoy(db: PrismaClient, townId: string, actorUserId: string, convoyId: string, now = new Date()) {
  await inTransaction(db, async (tx) => {
    const convoy = await lockOpenConvoy(tx, townId, convoyId);
    const res = await tx.convoyMetadata.updateMany({ where: { beadId: convoy.id, townId, staged: true }, data: { staged: false } });
    if (res.count === 0) throw new DomainError("conflict", "This convoy is not staged: it has already been started.");
    await writeBeadEvent(tx, townId, actorUserId, { beadId: convoy.id, eventType: "fields_updated", oldValue: "staged", newValue: "started", metadata: { fields: ["staged"], action: "start" } }, now);
    await enqueueEvent(tx, townId, "convoy_started", { beadId: convoy.id, payload: { convoy_id: convoy.id } }, now);
  });
  return getConvoy(db, townId, convoyId);
}

/**
 * Force-close (DOMAIN.md §6.6): every unfinished tracked bead is cancelled — `bead_cancelled` first, so the
 * tick unhooks and stops the agents on it, then the status write — as `closed` (a merge request tracking the
 * convoy is cancelled as `failed`: `closed` would mean merged); then the convoy closes with
 * closed_beads := total and landed_at.
 */
export async function closeConvoy(db: PrismaClient, townId: string, actorUserId: string, input: { convoyId: string; reason?: string }, now = new Date()) {
  const cancelled = await inTransaction(db, async (tx) => {
    const convoy = await lockOpenConvoy(tx, townId, input.convoyId);
    const reason = input.reason?.trim() || "convoy closed by a person";
    const tracked = await tx.beadDependency.findMany({
      where: { townId, dependsOnBeadId: convoy.id, dependencyType: "tracks" },
      include: { bead: { select: { id: true, type: true, status: true, metadata: true } } },
      orderBy: [{ createdAt: "asc" }, { beadId: "asc" }],
    });
    const ids: string[] = [];
    for (const { bead } of tracked) {
      if (isTerminal(bead.status)) continue;
      const to = bead.type === "merge_request" ? "failed" : "closed";
      await enqueueEvent(tx, townId, "bead_cancelled", { beadId: bead.id, payload: { cancel_status: to, reason, actor: "user" } }, now);
      await changeStatusByPerson(tx, townId, actorUserId, bead, to, now, { reason, ...(to === "failed" ? { failure: { code: "cancelled", message: reason } } : {}) });
      ids.push(bead.id);
    }
    await changeStatusByPerson(tx, townId, actorUserId, convoy, "closed", now, { reason });
    await tx.$executeRaw`UPDATE convoy_metadata SET closed_beads = total_beads, landed_at = ${now} WHERE bead_id = ${convoy.id} AND town_id = ${townId}`;
    await makeTownDue(tx, townId, now);
    return ids;
  });
  return { ...(await getConvoy(db, townId, input.convoyId)), cancelledBeadIds: cancelled };
}

/** Adds an issue to an open convoy (tracks + optional `blocks` edges from beads already in it). The graph
 *  stays acyclic (the same DAG check as creation). */
export async function addBeadToConvoy(
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: { convoyId: string; beadId: string; dependsOn?: string[] },
  now = new Date(),
) {
  await inTransaction(db, async (tx) => {
    const convoy = await lockOpenConvoy(tx, townId, input.convoyId);
    const bead = await tx.bead.findFirst({ where: { id: input.beadId, townId } });
    if (!bead) throw new DomainError("not_found", "Bead not found in this town.");
    if (bead.type !== "issue") throw new DomainError("bad_request", `Only issues can join a convoy; this is a ${bead.type}.`);
    if (isTerminal(bead.status)) throw new DomainError("conflict", `This bead is already ${bead.status}.`);
    const existing = await tx.beadDependency.findFirst({ where: { townId, beadId: bead.id, dependencyType: "tracks", dependsOn: { type: "convoy" } } });
    if (existing) {
      throw new DomainError("conflict", existing.dependsOnBeadId === convoy.id ? "This bead is already in this convoy." : "This bead is in another convoy; remove it there first.");
    }
    const members = await tx.beadDependency.findMany({ where: { townId, dependsOnBeadId: convoy.id, dependencyType: "tracks", bead: { type: "issue" } }, select: { beadId: true } });
    const memberIds = members.map((m) => m.beadId);
    const dependsOn = [...new Set(input.dependsOn ?? [])];
    const outside = dependsOn.filter((id) => !memberIds.includes(id));
    if (outside.length) throw new DomainError("bad_request", `A new convoy bead can only depend on beads of the convoy; not in it: ${outside.join(", ")}.`);
    // The whole graph (existing blocks edges between members + the new ones) must stay acyclic.
    const nodes = [...memberIds, bead.id];
    const index = new Map(nodes.map((id, i) => [id, i]));
    const edges = await tx.beadDependency.findMany({
      where: { townId, dependencyType: "blocks", beadId: { in: nodes }, dependsOnBeadId: { in: nodes } },
      select: { beadId: true, dependsOnBeadId: true },
    });
    const graph = nodes.map((id) => ({
      depends_on: [
        ...edges.filter((e) => e.beadId === id).map((e) => index.get(e.dependsOnBeadId)!),
        ...(id === bead.id ? dependsOn.map((d) => index.get(d)!) : []),
      ],
    }));
    const dag = validateConvoyDag(graph);
    if (!dag.ok) throw new DomainError("bad_request", dag.message);

    await tx.beadDependency.create({ data: { townId, beadId: bead.id, dependsOnBeadId: convoy.id, dependencyType: "tracks", createdAt: now } });
    if (dependsOn.length) {
      await tx.beadDependency.createMany({
        data: dependsOn.map((d) => ({ townId, beadId: bead.id, dependsOnBeadId: d, dependencyType: "blocks", createdAt: now })),
        skipDuplicates: true,
      });
    }
    const metadata = { ...asRecord(bead.metadata), convoy_id: convoy.id, ...(convoy.meta.featureBranch ? { feature_branch: convoy.meta.featureBranch } : {}) };
    const res = await tx.bead.updateMany({ where: { id: bead.id, townId, status: bead.status, updatedAt: bead.updatedAt }, data: { metadata: json(metadata), updatedAt: now } });
    if (res.count === 0) throw new DomainError("conflict", "The bead was changed by someone else meanwhile; reload and try again.");
    await recountConvoy(tx, townId, convoy.id);
    await writeBeadEvent(tx, townId, actorUserId, { beadId: bead.id, eventType: "fields_updated", newValue: convoy.id, metadata: { fields: ["convoy"], action: "convoy_add", depends_on: dependsOn } }, now);
    await makeTownDue(tx, townId, now);
  });
  return getConvoy(db, townId, input.convoyId);
}

/** Takes a bead out of an open convoy (its `tracks` edge and convoy metadata); its `blocks` edges stay. */
export async function removeBeadFromConvoy(db: PrismaClient, townId: string, actorUserId: string, input: { convoyId: string; beadId: string }, now = new Date()) {
  await inTransaction(db, async (tx) => {
    const convoy = await lockOpenConvoy(tx, townId, input.convoyId);
    const res = await tx.beadDependency.deleteMany({ where: { townId, beadId: input.beadId, dependsOnBeadId: convoy.id, dependencyType: "tracks" } });
    if (res.count === 0) throw new DomainError("not_found", "That bead is not in this convoy.");
    const bead = await tx.bead.findFirstOrThrow({ where: { id: input.beadId, townId } });
    const metadata = { ...asRecord(bead.metadata) };
    if (metadata.convoy_id === convoy.id) {
      delete metadata.convoy_id;
      delete metadata.feature_branch;
      await tx.bead.updateMany({ where: { id: bead.id, townId }, data: { metadata: json(metadata), updatedAt: now } });
    }
    await recountConvoy(tx, townId, convoy.id);
    await writeBeadEvent(tx, townId, actorUserId, { beadId: bead.id, eventType: "fields_updated", oldValue: convoy.id, metadata: { fields: ["convoy"], action: "convoy_remove" } }, now);
    await makeTownDue(tx, townId, now);
  });
  return getConvoy(db, townId, input.convoyId);
}
