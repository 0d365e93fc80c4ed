import { z } from "zod";
import { tickDepsOf } from "./tick";
import { router, townOwnerProcedure, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { getPool } from "../../db/pool";
import { createRig, deleteRig, getRigOrThrow, listRigs, RigNameSchema, RigOverridePatchSchema, updateRigOverrides } from "../../services/rigs";

const RigRef = { townId: TownIdSchema, rigId: z.string().min(1) };

export const rigRouter = router({
  create: townWriteProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        name: RigNameSchema,
        gitUrl: z.string().trim().min(1, "Enter the repository URL.").max(500),
        defaultBranch: z.string().trim().min(1).max(200).regex(/^[^\s~^:?*[\\]+$/, "Not a valid branch name.").optional(),
      }),
    )
    .mutation(({ ctx, input }) => createRig(ctx.db, ctx.town.id, ctx.user.id, input)),

  list: townProcedure.input(z.strictObject({ townId: TownIdSchema })).query(({ ctx }) => listRigs(getPool(), ctx.town.id)),

  get: townProcedure.input(z.strictObject(RigRef)).query(({ ctx, input }) => getRigOrThrow(ctx.db, ctx.town.id, input.rigId)),

  // Overrides change how the town behaves (merge strategy, review, auto-merge): owners only (SPEC.md §3b).
  updateOverrides: townOwnerProcedure
    .input(z.strictObject({ ...RigRef, overrides: RigOverridePatchSchema }))
    .mutation(({ ctx, input }) => updateRigOverrides(ctx.db, ctx.town.id, ctx.user.id, input.rigId, input.overrides)),

  // Deleting a rig cascades its beads and their audit trail: owners only (SPEC.md §3b roles: delete).
  delete: townOwnerProcedure
    .input(z.strictObject(RigRef))
    .mutation(({ ctx, input }) => deleteRig(ctx.db, ctx.town.id, ctx.user.id, input.rigId, (name) => tickDepsOf(ctx).runtimeFor(name))),
});
