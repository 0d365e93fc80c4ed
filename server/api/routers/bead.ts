import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { BeadCreateSchema, BeadListFilterSchema, countBeadsByStatus, createBead, getBeadOrThrow, listBeads } from "../../services/beads";

export const beadRouter = router({
  create: townWriteProcedure
    .input(BeadCreateSchema.extend({ townId: TownIdSchema }))
    .mutation(({ ctx, input }) => {
      const { townId: _townId, ...bead } = input;
      return createBead(ctx.db, ctx.town.id, ctx.user.id, bead);
    }),

  list: townProcedure
    .input(
      BeadListFilterSchema.extend({
        townId: TownIdSchema,
        cursor: z.string().max(500).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => {
      const { townId: _townId, cursor, ...rest } = input;
      return listBeads(ctx.db, ctx.town.id, { ...rest, cursor: cursor ?? undefined });
    }),

  counts: townProcedure
    .input(BeadListFilterSchema.extend({ townId: TownIdSchema }))
    .query(({ ctx, input }) => {
      const { townId: _townId, ...filter } = input;
      return countBeadsByStatus(ctx.db, ctx.town.id, filter);
    }),

  get: townProcedure
    .input(z.strictObject({ townId: TownIdSchema, beadId: z.string().min(1).max(64) }))
    .query(({ ctx, input }) => getBeadOrThrow(ctx.db, ctx.town.id, input.beadId)),
});
