import { z } from "zod";
import type { Db } from "../db/client";
import type { Prisma, PrismaClient } from "../db/generated/client";
import { queryPrepared, type SqlClient } from "../db/pool";
import { DomainError } from "../domain/errors";
import { assertRepoAllowed, assertRigGitUrl } from "./github-url";
import { makeTownDue } from "./towns";
import { stopAgentsOf, type RuntimeFor } from "./stop-agents";

// Rigs: git repositories attached to a town, each with override config (DOMAIN.md §7.2). Deleting a rig
// deletes its beads (DOMAIN.md §2.10).

export const RigNameSchema = z
  .string()
  .trim()
  .min(1, "Give the rig a name.")
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, dots, dashes and underscores; start with a letter or digit.");

// The overridable keys of SPEC.md §2. null clears an override (the rig inherits again); absent keys are left as they are.
export const RigOverridePatchSchema = z.strictObject({
  merge_strategy: z.enum(["direct", "pr"]).nullable().optional(),
  code_review: z.boolean().nullable().optional(),
  auto_merge: z.boolean().nullable().optional(),
  auto_merge_delay_minutes: z.number().int().min(0).max(10_080).nullable().optional(),
  auto_resolve_pr_feedback: z.boolean().nullable().optional(),
  review_mode: z.enum(["rework", "comments"]).nullable().optional(),
  max_dispatch_attempts: z.number().int().min(1).max(50).nullable().optional(),
  max_concurrent_polecats: z.number().int().min(1).max(50).nullable().optional(),
});
export type RigOverridePatch = z.infer<typeof RigOverridePatchSchema>;

export async function createRig(
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: { name: string; gitUrl: string; defaultBranch?: string },
) {
  assertRigGitUrl(input.gitUrl);
  assertRepoAllowed(input.gitUrl.trim());
  const existing = await db.rig.findUnique({ where: { townId_name: { townId, name: input.name } } });
  if (existing) throw new DomainError("conflict", `A rig named "${input.name}" already exists in this town.`);
  const rig = await db.rig.create({
    data: { townId, name: input.name, gitUrl: input.gitUrl.trim(), defaultBranch: input.defaultBranch ?? "main" },
  });
  await db.auditLog.create({
    data: { townId, actorUserId, action: "rig.create", targetType: "rig", targetId: rig.id, detail: { name: rig.name, gitUrl: rig.gitUrl } },
  });
  return rig;
}

/** The town's rigs with their agent and active-bead counts: one statement (every beads page asks for it). */
export async function listRigs(sql: SqlClient, townId: string) {
  const { rows } = await queryPrepared<{
    id: string;
    townId: string;
    name: string;
    gitUrl: string;
    defaultBranch: string;
    config: Prisma.JsonValue;
    createdAt: Date;
    updatedAt: Date;
    agentCount: number;
    activeBeadCount: number;
  }>(
    sql,
    "gt_rigs_list",
    `SELECT r.id, r.town_id AS "townId", r.name, r.git_url AS "gitUrl", r.default_branch AS "defaultBranch", r.config,
            r.created_at AS "createdAt", r.updated_at AS "updatedAt",
            coalesce(c.agents, 0)::int AS "agentCount", coalesce(c.active, 0)::int AS "activeBeadCount"
       FROM rigs r
       LEFT JOIN (
         SELECT rig_id,
                count(*) FILTER (WHERE type = 'agent') AS agents,
                count(*) FILTER (WHERE type IN ('issue', 'merge_request') AND status IN ('open', 'in_progress', 'in_review')) AS active
           FROM beads
          WHERE town_id = $1 AND rig_id IS NOT NULL
            AND (type = 'agent' OR (type IN ('issue', 'merge_request') AND status IN ('open', 'in_progress', 'in_review')))
          GROUP BY rig_id
       ) c ON c.rig_id = r.id
      WHERE r.town_id = $1
      ORDER BY r.created_at ASC, r.id`,
    [townId],
  );
  return rows;
}

export async function getRigOrThrow(db: Db, townId: string, rigId: string) {
  const rig = await db.rig.findFirst({ where: { id: rigId, townId } });
  if (!rig) throw new DomainError("not_found", "Rig not found in this town.");
  return rig;
}

export async function updateRigOverrides(db: PrismaClient, townId: string, actorUserId: string, rigId: string, patch: RigOverridePatch) {
  return db.$transaction(async (tx) => {
    const rig = await getRigOrThrow(tx, townId, rigId);
    const config = { ...(rig.config as Record<string, string | number | boolean>) };
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (value === null) delete config[key];
      else config[key] = value;
    }
    // Compare-and-set on updated_at: a concurrent edit makes this a conflict, not a lost update.
    const res = await tx.rig.updateMany({ where: { id: rigId, townId, updatedAt: rig.updatedAt }, data: { config } });
    if (res.count === 0) throw new DomainError("conflict", "The rig was changed by someone else; reload and try again.");
    await tx.auditLog.create({ data: { townId, actorUserId, action: "rig.overrides", targetType: "rig", targetId: rigId, detail: patch } });
    await makeTownDue(tx, townId);
    return tx.rig.findUniqueOrThrow({ where: { id: rigId } });
  });
}

export async function deleteRig(db: PrismaClient, townId: string, actorUserId: string, rigId: string, runtimeFor: RuntimeFor) {
  await getRigOrThrow(db, townId, rigId);
  // The rig's agents are agent beads with rig_id = this rig: stop their processes, then they cascade with it.
  await stopAgentsOf(runtimeFor, db, townId, "rig deleted", rigId);
  await db.$transaction([
    db.rig.delete({ where: { id: rigId } }),
    db.auditLog.create({ data: { townId, actorUserId, action: "rig.delete", targetType: "rig", targetId: rigId } }),
  ]);
  return { deleted: true as const };
}
