import { z } from "zod";
import { router, townOwnerProcedure, townProcedure, TownIdSchema } from "../trpc";
import { TownConfigUpdateSchema } from "../../domain/settings";
import { getAdapters } from "../../tick/deps";
import { RigOverridePatchSchema } from "../../services/rigs";
import { getRigSettings, getRuntimeOptions, getTownSettings, updateRigSettings, updateTownSettings } from "../../services/settings";

// Settings (SPEC.md §4.1, §3b Roles): every member reads them — secrets masked —; only owners change them.

const RigRef = { townId: TownIdSchema, rigId: z.string().min(1).max(64) };

export const settingsRouter = router({
  getTown: townProcedure.input(z.strictObject({ townId: TownIdSchema })).query(({ ctx }) => getTownSettings(ctx.db, ctx.town.id)),

  updateTown: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema, patch: TownConfigUpdateSchema, version: z.number().int().min(0).optional() }))
    .mutation(({ ctx, input }) => updateTownSettings(getAdapters(), ctx.db, ctx.town.id, ctx.user.id, { patch: input.patch, version: input.version })),

  getRig: townProcedure.input(z.strictObject(RigRef)).query(({ ctx, input }) => getRigSettings(ctx.db, ctx.town.id, input.rigId)),

  updateRig: townOwnerProcedure
    .input(z.strictObject({ ...RigRef, overrides: RigOverridePatchSchema }))
    .mutation(({ ctx, input }) => updateRigSettings(ctx.db, ctx.town.id, ctx.user.id, input.rigId, input.overrides)),

  runtimeOptions: townProcedure.input(z.strictObject({ townId: TownIdSchema })).query(({ ctx }) => getRuntimeOptions(getAdapters(), ctx.db, ctx.town.id)),
});
