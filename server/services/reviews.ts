import type { Db } from "../db/client";
import { queryPrepared, type SqlClient } from "../db/pool";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { LABELS } from "../domain/constants";
import { effectiveSettings, type EffectiveSettings } from "../domain/settings";
import { isTerminal } from "../domain/types";
import { decodeCursor, encodeCursor, retryBead } from "./beads";
import {
  asRecord,
  asStringArray,
  changeStatusByPerson,
  enqueueEvent,
  inTransaction,
  json,
  makeTownDue,
  movedConflict,
  writeBeadEvent,
  type Tx,
} from "./people-writes";

// The review queue (SPEC.md §4.1 reviews page, §3b writes from people): MRs by state with their PR, source
// bead, feedback beads, the auto-merge countdown and the hold flag; hold / release / merge now / retry / fail,
// each a compare-and-set write in its own transaction with a `bead_events` row naming the person.

export const MR_STATUSES = ["open", "in_progress", "closed", "failed"] as const;
export type MrStatus = (typeof MR_STATUSES)[number];

const MR_INCLUDE = {
  review: true,
  rig: { select: { id: true, name: true, config: true } },
  dependencies: {
    include: { dependsOn: { select: { id: true, title: true, status: true, type: true, labels: true } } },
  },
} satisfies Prisma.BeadInclude;

type MrRow = Prisma.BeadGetPayload<{ include: typeof MR_INCLUDE }>;

/** What mrView reads of an MR: a Prisma row with MR_INCLUDE, or a row of the list's one statement. */
type MrViewInput = Pick<MrRow, "id" | "title" | "status" | "rigId" | "labels" | "metadata" | "createdAt" | "updatedAt" | "createdBy" | "assigneeAgentBeadId"> & {
  review: Pick<NonNullable<MrRow["review"]>, "autoMergeReadySince" | "prUrl" | "branch" | "targetBranch" | "retryCount" | "lastFeedbackCheckAt"> | null;
  rig: { name: string; config: unknown } | null;
  dependencies: { dependencyType: string; dependsOn: { id: string; title: string; status: string; type: string; labels: unknown } }[];
};

function mrView(mr: MrViewInput, settings: EffectiveSettings) {
  const labels = asStringArray(mr.labels);
  const metadata = asRecord(mr.metadata);
  const held = labels.includes(LABELS.held);
  const readySince = mr.review?.autoMergeReadySince ?? null;
  const delay = settings.autoMergeDelayMinutes;
  const timerRuns = !!readySince && settings.autoMerge && delay !== null && !held && !isTerminal(mr.status);
  const source = mr.dependencies.find((d) => d.dependencyType === "tracks")?.dependsOn ?? null;
  const blockers = mr.dependencies.filter((d) => d.dependencyType === "blocks").map((d) => d.dependsOn);
  return {
    id: mr.id,
    title: mr.title,
    status: mr.status,
    rigId: mr.rigId,
    rigName: mr.rig?.name ?? null,
    labels,
    held,
    createdAt: mr.createdAt,
    updatedAt: mr.updatedAt,
    createdBy: mr.createdBy,
    assigneeAgentBeadId: mr.assigneeAgentBeadId,
    prUrl: mr.review?.prUrl ?? null,
    branch: mr.review?.branch ?? null,
    targetBranch: mr.review?.targetBranch ?? null,
    retryCount: mr.review?.retryCount ?? 0,
    lastFeedbackCheckAt: mr.review?.lastFeedbackCheckAt ?? null,
    lastPollAt: typeof metadata.last_poll_at === "string" ? metadata.last_poll_at : null,
    convoyId: typeof metadata.convoy_id === "string" ? metadata.convoy_id : null,
    failure:
      mr.status === "failed"
        ? { reason: typeof metadata.failureReason === "string" ? metadata.failureReason : null, message: typeof metadata.failureMessage === "string" ? metadata.failureMessage : null }
        : null,
    source: source ? { id: source.id, title: source.title, status: source.status, type: source.type } : null,
    feedbackBeads: blockers.map((b) => {
      const bl = asStringArray(b.labels);
      const kind = bl.includes(LABELS.prFeedback) ? "pr_feedback" : bl.includes(LABELS.rework) ? "rework" : bl.includes(LABELS.prConflict) ? "pr_conflict" : "other";
      return { id: b.id, title: b.title, status: b.status, kind, blocking: !isTerminal(b.status) };
    }),
    autoMerge: {
      enabled: settings.autoMerge && delay !== null,
      delayMinutes: delay,
      pending: metadata.auto_merge_pending === true || metadata.auto_merge_pending === 1,
      readySince,
      mergesAt: timerRuns ? new Date(readySince!.getTime() + delay! * 60_000) : null,
    },
  };
}

async function townConfigOf(db: Db, townId: string): Promise<unknown> {
  const row = await db.townSettings.findUnique({ where: { townId }, select: { config: true } });
  return row?.config ?? {};
}

/**
 * MRs in the given states, oldest first (queue order), with counts per state for the tabs: one statement on the
 * pool (issue 15: through Prisma's includes it was seven queries and ≈ 10 ms of CPU per call of the reviews page).
 */
export async function listReviews(sql: SqlClient, townId: string, input: { status?: MrStatus[]; rigId?: string; cursor?: string; limit: number }) {
  const statuses = input.status?.length ? input.status : (["open", "in_progress"] as MrStatus[]);
  const c = input.cursor ? decodeCursor(input.cursor) : null;
  const { rows } = await queryPrepared<ReviewListRow>(
    sql,
    "gt_reviews_list",
    `WITH page AS (
       SELECT b.* FROM beads b
        WHERE b.town_id = $1 AND b.type = 'merge_request' AND ($2::text IS NULL OR b.rig_id = $2) AND b.status = ANY($3::text[])
          AND ($4::timestamptz IS NULL OR b.created_at > $4 OR (b.created_at = $4 AND b.bead_id > $5))
        ORDER BY b.created_at ASC, b.bead_id ASC
        LIMIT $6
     )
     SELECT NULL AS kind, p.bead_id AS id, p.title, p.status, p.rig_id AS "rigId", p.labels, p.metadata, p.created_at AS "createdAt",
            p.updated_at AS "updatedAt", p.created_by AS "createdBy", p.assignee_agent_bead_id AS "assigneeAgentBeadId",
            rm.bead_id IS NOT NULL AS "hasReview", rm.auto_merge_ready_since AS "autoMergeReadySince", rm.pr_url AS "prUrl",
            rm.branch, rm.target_branch AS "targetBranch", rm.retry_count AS "retryCount", rm.last_feedback_check_at AS "lastFeedbackCheckAt",
            r.name AS "rigName", r.config AS "rigConfig",
            (SELECT coalesce(json_agg(json_build_object('dependencyType', d.dependency_type, 'id', dep.bead_id, 'title', dep.title,
                                                        'status', dep.status, 'type', dep.type, 'labels', dep.labels)
                                      ORDER BY d.created_at, d.depends_on_bead_id), '[]')
               FROM bead_dependencies d JOIN beads dep ON dep.bead_id = d.depends_on_bead_id
              WHERE d.bead_id = p.bead_id) AS deps,
            NULL::jsonb AS extra
       FROM page p
       LEFT JOIN review_metadata rm ON rm.bead_id = p.bead_id
       LEFT JOIN rigs r ON r.id = p.rig_id
     UNION ALL
     SELECT 'totals', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            jsonb_build_object(
              'config', (SELECT config FROM town_settings WHERE town_id = $1),
              'counts', (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (
                 SELECT status, count(*)::int AS n FROM beads
                  WHERE town_id = $1 AND type = 'merge_request' AND ($2::text IS NULL OR rig_id = $2) GROUP BY status) s))
     ORDER BY kind NULLS FIRST, "createdAt", id`,
    [townId, input.rigId ?? null, statuses, c?.createdAt ?? null, c?.id ?? null, input.limit + 1],
  );
  const totals = rows.find((r) => r.kind === "totals")?.extra ?? { config: null, counts: {} };
  const mrs = rows.filter((r) => r.kind === null);
  const page = mrs.slice(0, input.limit);
  const byStatus = Object.fromEntries(MR_STATUSES.map((s) => [s, 0])) as Record<MrStatus, number>;
  for (const [status, n] of Object.entries(totals.counts ?? {})) if (status in byStatus) byStatus[status as MrStatus] = n;
  // The settings are parsed once per rig, not once per MR (the page holds up to 200 MRs of a few rigs).
  const settingsByRig = new Map<string | null, EffectiveSettings>();
  const settingsOf = (mr: MrViewInput) => {
    let settings = settingsByRig.get(mr.rigId);
    if (!settings) settingsByRig.set(mr.rigId, (settings = effectiveSettings(totals.config ?? {}, mr.rig?.config ?? {})));
    return settings;
  };
  return {
    items: page.map((r) => {
      const mr = mrOfListRow(r);
      return mrView(mr, settingsOf(mr));
    }),
    nextCursor: mrs.length > input.limit ? encodeCursor(page[page.length - 1]) : null,
    counts: byStatus,
  };
}

interface ReviewListRow {
  kind: "totals" | null;
  id: string;
  title: string;
  status: string;
  rigId: string | null;
  labels: Prisma.JsonValue;
  metadata: Prisma.JsonValue;
  createdAt: Date;
  updatedAt: Date;
  createdBy: string | null;
  assigneeAgentBeadId: string | null;
  hasReview: boolean;
  autoMergeReadySince: Date | null;
  prUrl: string | null;
  branch: string | null;
  targetBranch: string | null;
  retryCount: number | null;
  lastFeedbackCheckAt: Date | null;
  rigName: string | null;
  rigConfig: Prisma.JsonValue | null;
  deps: { dependencyType: string; id: string; title: string; status: string; type: string; labels: Prisma.JsonValue }[];
  extra: { config: unknown; counts: Record<string, number> } | null;
}

function mrOfListRow(r: ReviewListRow): MrViewInput {
  return {
    id: r.id,
    title: r.title,
    status: r.status,
    rigId: r.rigId,
    labels: r.labels ?? [],
    metadata: r.metadata ?? {},
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    createdBy: r.createdBy,
    assigneeAgentBeadId: r.assigneeAgentBeadId,
    review: r.hasReview
      ? {
          autoMergeReadySince: r.autoMergeReadySince,
          prUrl: r.prUrl,
          branch: r.branch ?? "",
          targetBranch: r.targetBranch ?? "main",
          retryCount: r.retryCount ?? 0,
          lastFeedbackCheckAt: r.lastFeedbackCheckAt,
        }
      : null,
    rig: r.rigId && r.rigName !== null ? { name: r.rigName, config: r.rigConfig ?? {} } : null,
    dependencies: r.deps.map((d) => ({ dependencyType: d.dependencyType, dependsOn: { id: d.id, title: d.title, status: d.status, type: d.type, labels: d.labels } })),
  };
}

/** Locks the MR row for this transaction (people's writes on one MR serialise) and loads it. */
async function lockMr(tx: Tx, townId: string, mrId: string) {
  await tx.$queryRaw`SELECT bead_id FROM beads WHERE bead_id = ${mrId} AND town_id = ${townId} FOR UPDATE`;
  const mr = await tx.bead.findFirst({ where: { id: mrId, townId }, include: MR_INCLUDE });
  if (!mr || mr.type !== "merge_request") throw new DomainError("not_found", "Merge request not found in this town.");
  return mr;
}

async function viewAfter(tx: Db, townId: string, mrId: string) {
  const mr = await tx.bead.findFirstOrThrow({ where: { id: mrId, townId }, include: MR_INCLUDE });
  return mrView(mr, effectiveSettings((await townConfigOf(tx, townId)) ?? {}, mr.rig?.config ?? {}));
}

async function setLabels(tx: Tx, townId: string, mr: MrRow, labels: string[], metadata: Record<string, unknown>, now: Date) {
  const res = await tx.bead.updateMany({
    where: { id: mr.id, townId, status: mr.status, updatedAt: mr.updatedAt },
    data: { labels: json(labels), metadata: json(metadata), updatedAt: now },
  });
  if (res.count === 0) throw movedConflict("This merge request");
}

/**
 * Hold (SPEC.md §3b): label `gt:held`, and the auto-merge state cleared (`auto_merge_pending`,
 * `auto_merge_ready_since`) so a held MR is never merged and its grace period starts afresh on release.
 */
export async function holdMr(db: PrismaClient, townId: string, actorUserId: string, mrId: string, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const mr = await lockMr(tx, townId, mrId);
    if (isTerminal(mr.status)) throw new DomainError("conflict", `This merge request is already ${mr.status}; there is nothing to hold.`);
    const labels = asStringArray(mr.labels);
    if (labels.includes(LABELS.held)) return viewAfter(tx, townId, mr.id); // already held: nothing to change
    const metadata = { ...asRecord(mr.metadata) };
    delete metadata.auto_merge_pending;
    await setLabels(tx, townId, mr, [...labels, LABELS.held], metadata, now);
    await tx.reviewMetadata.updateMany({ where: { beadId: mr.id, townId }, data: { autoMergeReadySince: null } });
    await writeBeadEvent(tx, townId, actorUserId, { beadId: mr.id, eventType: "fields_updated", newValue: LABELS.held, metadata: { fields: ["labels"], action: "hold" } }, now);
    await makeTownDue(tx, townId, now);
    return viewAfter(tx, townId, mr.id);
  });
}

/** Release a hold: the label goes; polling starts the grace timer again from scratch. */
export async function releaseMr(db: PrismaClient, townId: string, actorUserId: string, mrId: string, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const mr = await lockMr(tx, townId, mrId);
    const labels = asStringArray(mr.labels);
    if (!labels.includes(LABELS.held)) return viewAfter(tx, townId, mr.id); // not held: nothing to change
    await setLabels(tx, townId, mr, labels.filter((l) => l !== LABELS.held), asRecord(mr.metadata), now);
    await writeBeadEvent(tx, townId, actorUserId, { beadId: mr.id, eventType: "fields_updated", oldValue: LABELS.held, metadata: { fields: ["labels"], action: "release" } }, now);
    await makeTownDue(tx, townId, now);
    return viewAfter(tx, townId, mr.id);
  });
}

/**
 * Merge now (SPEC.md §3b): enqueues `pr_auto_merge {mr_bead_id, pr_url}` — the same fact the grace timer
 * produces — so the next tick marks it pending and `merge_pr` merges it with its usual checks (repo match,
 * fresh feedback). Refused for an MR without a PR and for a held one.
 */
export async function mergeMrNow(db: PrismaClient, townId: string, actorUserId: string, mrId: string, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const mr = await lockMr(tx, townId, mrId);
    if (isTerminal(mr.status)) throw new DomainError("conflict", `This merge request is already ${mr.status}.`);
    const prUrl = mr.review?.prUrl ?? null;
    if (!prUrl) {
      throw new DomainError("bad_request", "This merge request has no pull request, so there is nothing to merge on GitHub (direct merges are done by the refinery).");
    }
    if (asStringArray(mr.labels).includes(LABELS.held)) throw new DomainError("conflict", "This merge request is on hold; release the hold before merging it.");
    const eventId = await enqueueEvent(tx, townId, "pr_auto_merge", { beadId: mr.id, payload: { mr_bead_id: mr.id, pr_url: prUrl } }, now);
    await writeBeadEvent(tx, townId, actorUserId, { beadId: mr.id, eventType: "merge_requested", newValue: prUrl, metadata: { action: "merge_now", event_id: eventId } }, now);
    return { queued: true as const, eventId, mr: await viewAfter(tx, townId, mr.id) };
  });
}

/** Retry a failed MR (the bead retry, restricted to merge requests). */
export async function retryMr(db: PrismaClient, townId: string, actorUserId: string, mrId: string, now = new Date()) {
  await retryBead(db, townId, actorUserId, { beadId: mrId, only: "merge_request" }, now);
  return viewAfter(db, townId, mrId);
}

/** Fail an MR by hand with a reason. Reopening its source bead is the reconciler's job (B4). */
export async function failMr(db: PrismaClient, townId: string, actorUserId: string, input: { mrId: string; reason: string }, now = new Date()) {
  return inTransaction(db, async (tx) => {
    const mr = await lockMr(tx, townId, input.mrId);
    if (isTerminal(mr.status)) throw new DomainError("conflict", `This merge request is already ${mr.status}.`);
    const metadata = { ...asRecord(mr.metadata) };
    delete metadata.auto_merge_pending;
    await changeStatusByPerson(tx, townId, actorUserId, { id: mr.id, status: mr.status, metadata }, "failed", now, {
      reason: input.reason,
      failure: { code: "failed_by_user", message: input.reason },
    });
    await tx.reviewMetadata.updateMany({ where: { beadId: mr.id, townId }, data: { autoMergeReadySince: null } });
    await makeTownDue(tx, townId, now);
    return viewAfter(tx, townId, mr.id);
  });
}
