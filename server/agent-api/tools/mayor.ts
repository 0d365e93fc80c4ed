import type { Prisma } from "../../db/client";
import { isTerminal, type BeadStatus, type BeadType } from "../../domain/types";
import { WORK_TYPES } from "../../services/beads";
import { insertConvoyWithTasks } from "../../services/convoy-records";
import { recordMayorLine } from "../../services/mayor";
import { validateConvoyDag } from "../../domain/convoy-dag";
import { badRequest, conflict, notFound } from "../errors";
import { MAX_LIST_BEADS } from "../schemas";
import {
  beadDetail,
  beadSummary,
  changeBeadStatus,
  enqueueTownEvent,
  enqueueTownEvents,
  getTownBead,
  getTownRig,
  inTownTransaction,
  insertBead,
  json,
  type Tx,
} from "../store";
import { TOOL_CATALOG } from "../catalog";
import { defineTool, type FeatureBranchCreator } from "./define";
import type { TownRef } from "../../adapters/github/tenancy";

// The mayor's tools (DOMAIN.md §8.2): sling work, batch-sling a convoy, list and update beads, start and
// force-close convoys. Creating work never dispatches here — the reconciler's B1 picks open beads up.

export const gtSling = defineTool({
  ...TOOL_CATALOG.gt_sling,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const rig = await getTownRig(tx, principal.townId, input.rig_id);
      const bead = await insertBead(
        tx,
        principal.townId,
        {
          type: "issue",
          status: "open",
          title: input.title,
          body: input.body ?? null,
          rigId: rig.id,
          priority: input.priority ?? "medium",
          labels: json(input.labels ?? []),
          metadata: json({ ...(input.metadata ?? {}), slung_by: principal.agentId }),
          createdBy: principal.agentId,
        },
        now,
        principal.agentId,
      );
      await enqueueTownEvent(tx, principal.townId, "bead_created", { beadId: bead.id, agentId: principal.agentId, payload: { bead_type: "issue", rig_id: rig.id, has_blockers: false } }, now);
      await recordMayorLine(tx, principal.townId, { kind: "action", text: `Slung "${bead.title}" to rig ${rig.name}`, beadId: bead.id, rigId: rig.id }, now);
      return { status: 201, body: { bead_id: bead.id, bead: beadDetail(bead) } };
    });
  },
});

type BranchOutcome = { status: "created" | "exists" | "skipped" | "failed"; reason?: string };

async function createFeatureBranch(
  github: FeatureBranchCreator | null | undefined,
  target: { repoUrl: string; fromBranch: string; town: TownRef; townToken: string | null; branch: string },
): Promise<BranchOutcome> {
  if (!github || !target.repoUrl) return { status: "skipped", reason: "no GitHub adapter or no repository URL" };
  try {
    const result = await github.createBranch({ town: target.town, townToken: target.townToken, repoUrl: target.repoUrl, branch: target.branch, fromBranch: target.fromBranch });
    return result.ok ? { status: result.created ? "created" : "exists" } : { status: "failed", reason: result.reason };
  } catch {
    return { status: "failed", reason: "GitHub call failed" };
  }
}

/**
 * gt_sling_batch (DOMAIN.md §6.6): a convoy and its tasks in one transaction — the convoy bead (no rig,
 * `gt:convoy`, its feature branch), convoy_metadata, one issue per task that `tracks` the convoy, `blocks`
 * edges from `depends_on`, and `bead_created` events. The DAG is validated first (400 with the issues).
 * The feature branch is then created on GitHub at the rig's default branch, best effort: a failure is
 * reported in the answer and never undoes the convoy. No agent is created up front (B1 assigns).
 */
export const gtSlingBatch = defineTool({
  ...TOOL_CATALOG.gt_sling_batch,
  async run({ db, principal, now, github }, input) {
    const dag = validateConvoyDag(input.tasks, { requireDependencies: !input.parallel });
    if (!dag.ok) throw badRequest(dag.message, dag.issues);
    const townId = principal.townId;

    const created = await inTownTransaction(db, townId, now, async (tx) => {
      const rig = await getTownRig(tx, townId, input.rig_id);
      const records = await insertConvoyWithTasks(tx, {
        townId,
        rig,
        title: input.convoy_title,
        tasks: input.tasks,
        edges: dag.edges,
        mergeMode: input.merge_mode,
        staged: input.staged,
        actor: { agentId: principal.agentId },
        metadata: input.metadata,
        now,
      });
      const staged = input.staged ? " (staged: start it when ready)" : "";
      await recordMayorLine(tx, townId, { kind: "action", text: `Created convoy "${input.convoy_title}" with ${records.taskIds.length} task(s) in rig ${rig.name}${staged}`, beadId: records.convoyId, rigId: rig.id }, now);
      return { ...records, branchTarget: { repoUrl: rig.gitUrl, fromBranch: rig.defaultBranch || "main", town: records.town, townToken: records.townToken } };
    });

    const branch = await createFeatureBranch(github, { ...created.branchTarget, branch: created.featureBranch });
    return {
      status: 201,
      body: {
        convoy_id: created.convoyId,
        feature_branch: created.featureBranch,
        feature_branch_on_github: branch.status,
        ...(branch.reason ? { feature_branch_note: branch.reason } : {}),
        merge_mode: created.mergeMode,
        staged: created.staged,
        total_beads: created.taskIds.length,
        tasks: input.tasks.map((t, i) => ({
          index: i,
          bead_id: created.taskIds[i],
          title: t.title,
          depends_on: dag.edges.filter((e) => e.task === i).map((e) => e.dependsOn),
        })),
      },
    };
  },
});

export const gtListBeads = defineTool({
  ...TOOL_CATALOG.gt_list_beads,
  async run({ db, principal }, input) {
    if (input.rig_id) await getTownRig(db, principal.townId, input.rig_id);
    const types = input.type === undefined ? [...WORK_TYPES] : ([] as BeadType[]).concat(input.type);
    const statuses = input.status === undefined ? undefined : ([] as BeadStatus[]).concat(input.status);
    const limit = input.limit ?? MAX_LIST_BEADS;
    const rows = await db.bead.findMany({
      where: {
        townId: principal.townId,
        ...(input.rig_id ? { rigId: input.rig_id } : {}),
        type: { in: types },
        ...(statuses ? { status: { in: statuses } } : {}),
      },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit + 1,
    });
    return { body: { beads: rows.slice(0, limit).map(beadSummary), truncated: rows.length > limit } };
  },
});

/**
 * gt_bead_update: fields, and status. A status change to `closed`/`failed` is a cancellation: the
 * `bead_cancelled` event goes in first (its apply unhooks and stops the agents working on it), then the
 * synchronous status write (DOMAIN.md §3). Terminal beads are immutable (409); agent beads are the
 * system's.
 */
export const gtBeadUpdate = defineTool({
  ...TOOL_CATALOG.gt_bead_update,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const townId = principal.townId;
      const bead = await getTownBead(tx, townId, input.bead_id);
      if (bead.type === "agent") throw conflict("Agent beads are managed by the system.");
      if (isTerminal(bead.status)) throw conflict(`Bead ${bead.id} is ${bead.status}; terminal beads are immutable (a person can retry it).`);

      const data: Prisma.BeadUpdateManyMutationInput = {};
      if (input.title !== undefined && input.title !== bead.title) data.title = input.title;
      if (input.body !== undefined && (input.body ?? null) !== bead.body) data.body = input.body ?? null;
      if (input.priority !== undefined && input.priority !== bead.priority) data.priority = input.priority;
      if (input.labels !== undefined) data.labels = json(input.labels);
      const changed = Object.keys(data);
      if (changed.length) {
        const res = await tx.bead.updateMany({ where: { id: bead.id, townId, status: bead.status }, data: { ...data, updatedAt: now } });
        if (res.count === 0) throw conflict(`Bead ${bead.id} changed while it was being updated; read it again and retry.`);
        await tx.beadEvent.create({
          data: { townId, beadId: bead.id, agentId: principal.agentId, eventType: "fields_updated", metadata: json({ fields: changed, actor: "mayor" }), createdAt: now },
        });
      }

      if (input.status !== undefined && input.status !== bead.status) {
        const reason = input.reason ?? `set to ${input.status} by the mayor`;
        if (isTerminal(input.status)) {
          await enqueueTownEvent(
            tx,
            townId,
            "bead_cancelled",
            { beadId: bead.id, agentId: principal.agentId, payload: { cancel_status: input.status as "closed" | "failed", reason, actor: "mayor" } },
            now,
          );
        }
        await changeBeadStatus(tx, townId, bead, input.status, now, {
          agentId: principal.agentId,
          reason,
          actor: "mayor",
          failure: input.status === "failed" ? { code: "cancelled", message: reason, source: "mayor" } : undefined,
        });
      }
      const updated = await getTownBead(tx, townId, bead.id);
      const statusChanged = input.status !== undefined && input.status !== bead.status;
      if (changed.length || statusChanged) {
        const what = [...changed, ...(statusChanged ? [`status → ${input.status}`] : [])].join(", ");
        await recordMayorLine(tx, townId, { kind: "action", text: `Updated "${updated.title}": ${what}`, beadId: bead.id, rigId: bead.rigId }, now);
      }
      return { body: { bead: beadDetail(updated), changed: [...changed, ...(input.status !== undefined && input.status !== bead.status ? ["status"] : [])] } };
    });
  },
});

async function getOpenConvoy(tx: Tx, townId: string, convoyId: string) {
  const convoy = await tx.bead.findFirst({ where: { id: convoyId, townId, type: "convoy" }, include: { convoy: true } });
  if (!convoy || !convoy.convoy) throw notFound(`Convoy ${convoyId} not found in this town.`);
  if (isTerminal(convoy.status)) throw conflict(`Convoy ${convoyId} is already ${convoy.status}.`);
  return { ...convoy, meta: convoy.convoy };
}

/** Start a staged convoy (DOMAIN.md §6.6): staged := false now and via `convoy_started`. Idempotent. */
export const gtConvoyStart = defineTool({
  ...TOOL_CATALOG.gt_convoy_start,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const townId = principal.townId;
      const convoy = await getOpenConvoy(tx, townId, input.convoy_id);
      const wasStaged = convoy.meta.staged;
      if (wasStaged) {
        await tx.convoyMetadata.updateMany({ where: { beadId: convoy.id, townId }, data: { staged: false } });
        await tx.beadEvent.create({
          data: { townId, beadId: convoy.id, agentId: principal.agentId, eventType: "fields_updated", oldValue: "staged", newValue: "started", metadata: json({ fields: ["staged"], actor: "mayor" }), createdAt: now },
        });
        await enqueueTownEvent(tx, townId, "convoy_started", { beadId: convoy.id, agentId: principal.agentId, payload: { convoy_id: convoy.id } }, now);
      }
      if (wasStaged) await recordMayorLine(tx, townId, { kind: "action", text: `Started convoy "${convoy.title}"`, beadId: convoy.id }, now);
      return { body: { convoy_id: convoy.id, started: true, was_staged: wasStaged } };
    });
  },
});

/**
 * Force-close a convoy (DOMAIN.md §6.6): every non-terminal tracked bead is cancelled as `closed` (event
 * first, so its apply unhooks and stops the agents on it), then the convoy closes with
 * closed_beads := total and landed_at.
 */
export const gtConvoyClose = defineTool({
  ...TOOL_CATALOG.gt_convoy_close,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const townId = principal.townId;
      const convoy = await getOpenConvoy(tx, townId, input.convoy_id);
      const tracked = await tx.beadDependency.findMany({
        where: { dependsOnBeadId: convoy.id, townId, dependencyType: "tracks" },
        include: { bead: { select: { id: true, status: true, metadata: true } } },
        orderBy: { createdAt: "asc" },
      });
      const reason = "convoy force-closed by the mayor";
      const cancelled: string[] = [];
      for (const { bead } of tracked) {
        if (isTerminal(bead.status)) continue;
        await enqueueTownEvent(tx, townId, "bead_cancelled", { beadId: bead.id, agentId: principal.agentId, payload: { cancel_status: "closed", reason, actor: "mayor" } }, now);
        await changeBeadStatus(tx, townId, bead, "closed", now, { agentId: principal.agentId, reason, actor: "mayor" });
        cancelled.push(bead.id);
      }
      await changeBeadStatus(tx, townId, convoy, "closed", now, { agentId: principal.agentId, reason, actor: "mayor" });
      await tx.$executeRaw`UPDATE convoy_metadata SET closed_beads = total_beads, landed_at = ${now} WHERE bead_id = ${convoy.id} AND town_id = ${townId}`;
      await recordMayorLine(tx, townId, { kind: "action", text: `Closed convoy "${convoy.title}" (${cancelled.length} unfinished bead(s) cancelled)`, beadId: convoy.id }, now);
      return { body: { convoy_id: convoy.id, closed: true, cancelled_bead_ids: cancelled } };
    });
  },
});

/** gt_reply: the mayor answers the town's people; the line appears in the Mayor conversation. */
export const gtReply = defineTool({
  ...TOOL_CATALOG.gt_reply,
  async run({ db, principal, now }, input) {
    const line = await recordMayorLine(db, principal.townId, { kind: "mayor", text: input.text }, now);
    return { status: 201, body: { ok: true, message_id: line.id } };
  },
});
