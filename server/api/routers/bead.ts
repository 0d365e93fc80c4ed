import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import {
  BeadCreateSchema,
  BeadListFilterSchema,
  cancelBead,
  beadsPage,
  createBead,
  explainBeadForPage,
  getBeadOrThrow,
  listBeads,
  retryBead,
} from "../../services/beads";
import { getPool } from "../../db/pool";

const BeadRef = { townId: TownIdSchema, beadId: z.string().min(1).max(64) };
const ListInput = BeadListFilterSchema.extend({
  townId: TownIdSchema,
  cursor: z.string().max(500).nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const beadRouter = router({
  create: townWriteProcedure
    .input(BeadCreateSchema.extend({ townId: TownIdSchema }))
    .mutation(({ ctx, input }) => {
      const { townId: _townId, ...bead } = input;
      return createBead(ctx.db, ctx.town.id, ctx.user.id, bead);
    }),

  /** Sling (SPEC.md §4.1): create work in a rig with labels, body and priority; the reconciler (B1) hands it
   *  to a polecat. Same write as `create`, named for the beads page's sling form. */
  sling: townWriteProcedure
    .input(BeadCreateSchema.extend({ townId: TownIdSchema }))
    .mutation(({ ctx, input }) => {
      const { townId: _townId, ...bead } = input;
      return createBead(ctx.db, ctx.town.id, ctx.user.id, bead);
    }),

  list: townProcedure.input(ListInput).query(({ ctx, input }) => {
    const { townId: _townId, cursor, ...rest } = input;
    return listBeads(getPool(), ctx.town.id, { ...rest, cursor: cursor ?? undefined });
  }),

  /** The beads page in one call: a page of beads and the counts by status (the filter's status aside). */
  page: townProcedure.input(ListInput).query(({ ctx, input }) => {
    const { townId: _townId, cursor, ...rest } = input;
    return beadsPage(getPool(), ctx.town.id, { ...rest, cursor: cursor ?? undefined });
  }),

  get: townProcedure.input(z.strictObject(BeadRef)).query(({ ctx, input }) => getBeadOrThrow(ctx.db, ctx.town.id, input.beadId)),

  /** "Why is this stuck?" — the reconciler's facts about the bead and its last decisions on it. */
  explain: townProcedure
    .input(z.strictObject(BeadRef))
    .query(({ ctx, input }) => explainBeadForPage(ctx.db, getPool(), ctx.town.id, input.beadId)),

  cancel: townWriteProcedure
    .input(z.strictObject({ ...BeadRef, reason: z.string().trim().max(500).optional() }))
    .mutation(({ ctx, input }) => cancelBead(ctx.db, ctx.town.id, ctx.user.id, { beadId: input.beadId, reason: input.reason })),

  retry: townWriteProcedure
    .input(z.strictObject(BeadRef))
    .mutation(({ ctx, input }) => retryBead(ctx.db, ctx.town.id, ctx.user.id, { beadId: input.beadId })),
});
