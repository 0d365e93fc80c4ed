import { randomUUID } from "node:crypto";
import { convoyFeatureBranch } from "../domain/convoy-dag";
import { LABELS } from "../domain/constants";
import { RigOverrideConfigSchema, TownConfigSchema, type ConvoyMergeMode } from "../domain/settings";
import { asRecord, json, type Tx } from "../db/tx";
import { enqueueEventsInTx } from "../tick/enqueue";
import { townTokenOf, type TownRef } from "../adapters/github/tenancy";

// Creating a convoy with its tasks (DOMAIN.md §6.6), shared by the mayor's gt_sling_batch and the browser's
// convoy.create: the convoy bead (no rig, `gt:convoy`, its feature branch), convoy_metadata, one issue per
// task that `tracks` the convoy, `blocks` edges between tasks, `created` bead events and `bead_created`
// events. No agent is created up front: rule B1 assigns the unblocked tasks.

/** Merge mode and staging of a new convoy when the caller does not say: rig ?? town ?? default for the
 *  merge mode (the rig may override it, DOMAIN.md §7.2), the town's `staged_convoys_default` for staging.
 *  A stored config that no longer parses falls back to the defaults rather than refusing the convoy. */
export function convoyDefaults(townConfig: unknown, rigConfig: unknown): { mergeMode: ConvoyMergeMode; staged: boolean } {
  const town = TownConfigSchema.safeParse(townConfig ?? {});
  const rig = RigOverrideConfigSchema.safeParse(rigConfig ?? {});
  return {
    mergeMode: (rig.success ? rig.data.convoy_merge_mode : undefined) ?? (town.success ? town.data.convoy_merge_mode : "review-then-land"),
    staged: town.success ? town.data.staged_convoys_default : false,
  };
}

export interface ConvoyRecordsInput {
  townId: string;
  rig: { id: string; config: unknown; gitUrl: string; defaultBranch: string };
  title: string;
  tasks: { title: string; body?: string | null; priority?: string }[];
  /** validated edges: task index `task` is blocked by task index `dependsOn` */
  edges: { task: number; dependsOn: number }[];
  mergeMode?: ConvoyMergeMode;
  staged?: boolean;
  /** who made it: an agent (the mayor) or a person */
  actor: { agentId: string } | { userId: string };
  /** extra metadata for the convoy and every task (the mayor's `metadata`) */
  metadata?: Record<string, unknown>;
  now: Date;
}

export interface ConvoyRecords {
  convoyId: string;
  featureBranch: string;
  mergeMode: ConvoyMergeMode;
  staged: boolean;
  taskIds: string[];
  /** the town's own GitHub token, if any, for creating the feature branch */
  townToken: string | null;
  /** the town and its owner, for the shared-token policy */
  town: TownRef;
}

export async function insertConvoyWithTasks(tx: Tx, input: ConvoyRecordsInput): Promise<ConvoyRecords> {
  const { townId, rig, now } = input;
  const [settings, townRow] = await Promise.all([
    tx.townSettings.findUnique({ where: { townId }, select: { config: true } }),
    tx.town.findUnique({ where: { id: townId }, select: { owner: { select: { email: true } } } }),
  ]);
  const defaults = convoyDefaults(settings?.config, rig.config);
  const mergeMode = input.mergeMode ?? defaults.mergeMode;
  const staged = input.staged ?? defaults.staged;
  const convoyId = randomUUID();
  const featureBranch = convoyFeatureBranch(input.title, convoyId);
  const by = "agentId" in input.actor ? input.actor.agentId : input.actor.userId;
  const agentId = "agentId" in input.actor ? input.actor.agentId : null;
  const actorUserId = "userId" in input.actor ? input.actor.userId : null;
  const extra = input.metadata ?? {};

  await tx.bead.create({
    data: {
      id: convoyId,
      townId,
      type: "convoy",
      status: "open",
      title: input.title,
      rigId: null,
      labels: json([LABELS.convoy]),
      metadata: json({ ...extra, feature_branch: featureBranch, slung_by: by }),
      createdBy: by,
      createdAt: now,
      updatedAt: now,
    },
  });
  await tx.convoyMetadata.create({ data: { beadId: convoyId, townId, totalBeads: input.tasks.length, closedBeads: 0, featureBranch, mergeMode, staged } });

  const taskIds = input.tasks.map(() => randomUUID());
  await tx.bead.createMany({
    data: input.tasks.map((task, i) => ({
      id: taskIds[i],
      townId,
      type: "issue",
      status: "open",
      title: task.title,
      body: task.body ?? null,
      rigId: rig.id,
      priority: task.priority ?? "medium",
      labels: json([]),
      metadata: json({ ...extra, convoy_id: convoyId, feature_branch: featureBranch, convoy_task_index: i, slung_by: by }),
      createdBy: by,
      createdAt: now,
      updatedAt: now,
    })),
  });
  await tx.beadEvent.createMany({
    data: [convoyId, ...taskIds].map((id, i) => ({
      townId,
      beadId: id,
      agentId,
      actorUserId,
      eventType: "created",
      newValue: "open",
      metadata: json({ type: i === 0 ? "convoy" : "issue", ...(i === 0 ? {} : { convoy_id: convoyId }) }),
      createdAt: now,
    })),
  });
  await tx.beadDependency.createMany({
    data: [
      ...taskIds.map((id) => ({ townId, beadId: id, dependsOnBeadId: convoyId, dependencyType: "tracks", createdAt: now })),
      ...input.edges.map((e) => ({ townId, beadId: taskIds[e.task], dependsOnBeadId: taskIds[e.dependsOn], dependencyType: "blocks", createdAt: now })),
    ],
    skipDuplicates: true,
  });
  const blocked = new Set(input.edges.map((e) => e.task));
  // (the caller makes the town due)
  await enqueueEventsInTx(
    tx,
    townId,
    [
      { eventType: "bead_created", beadId: convoyId, agentId, payload: { bead_type: "convoy", rig_id: null } },
      ...taskIds.map((id, i) => ({
        eventType: "bead_created",
        beadId: id,
        agentId,
        payload: { bead_type: "issue", rig_id: rig.id, convoy_id: convoyId, has_blockers: blocked.has(i) },
      })),
    ],
    now,
    { makeDue: false },
  );
  const townToken = townTokenOf(asRecord(asRecord(settings?.config).git_auth).github_token);
  return { convoyId, featureBranch, mergeMode, staged, taskIds, townToken, town: { id: townId, ownerEmail: townRow?.owner.email ?? null } };
}
