import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { ConvoyMergeModeSchema } from "../../domain/settings";
import { PrioritySchema } from "../../domain/types";
import {
  addBeadToConvoy,
  closeConvoy,
  CONVOY_STATUSES,
  createConvoy,
  getConvoy,
  listConvoys,
  removeBeadFromConvoy,
  startConvoy,
} from "../../services/convoys";
import { tickDepsOf } from "./tick";

// Convoys (SPEC.md §4.1): list and detail for every member; create, start, close, add/remove bead for members.

const ConvoyRef = { townId: TownIdSchema, convoyId: z.string().min(1).max(64) };
const BeadId = z.string().min(1).max(64);

export const MAX_CONVOY_TASKS = 100;

export const convoyRouter = router({
  list: townProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        status: z.array(z.enum(CONVOY_STATUSES)).max(3).optional(),
        cursor: z.string().max(500).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listConvoys(ctx.db, ctx.town.id, { status: input.status, cursor: input.cursor ?? undefined, limit: input.limit })),

  get: townProcedure.input(z.strictObject(ConvoyRef)).query(({ ctx, input }) => getConvoy(ctx.db, ctx.town.id, input.convoyId)),

  create: townWriteProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        title: z.string().trim().min(1, "Give the convoy a title.").max(200),
        rigId: z.string().min(1).max(64),
        tasks: z
          .array(
            z.strictObject({
              title: z.string().trim().min(1, "Every task needs a title.").max(200),
              body: z.string().max(20_000).optional(),
              priority: PrioritySchema.optional(),
              dependsOn: z.array(z.number().int()).max(MAX_CONVOY_TASKS).optional(),
            }),
          )
          .min(1, "A convoy needs at least one task.")
          .max(MAX_CONVOY_TASKS),
        mergeMode: ConvoyMergeModeSchema.optional(),
        staged: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) => {
      const { townId: _townId, ...convoy } = input;
      return createConvoy(tickDepsOrNull(ctx), ctx.db, ctx.town.id, ctx.user.id, convoy);
    }),

  start: townWriteProcedure.input(z.strictObject(ConvoyRef)).mutation(({ ctx, input }) => startConvoy(ctx.db, ctx.town.id, ctx.user.id, input.convoyId)),

  close: townWriteProcedure
    .input(z.strictObject({ ...ConvoyRef, reason: z.string().trim().max(500).optional() }))
    .mutation(({ ctx, input }) => closeConvoy(ctx.db, ctx.town.id, ctx.user.id, { convoyId: input.convoyId, reason: input.reason })),

  addBead: townWriteProcedure
    .input(z.strictObject({ ...ConvoyRef, beadId: BeadId, dependsOn: z.array(BeadId).max(MAX_CONVOY_TASKS).optional() }))
    .mutation(({ ctx, input }) =>
      addBeadToConvoy(ctx.db, ctx.town.id, ctx.user.id, { convoyId: input.convoyId, beadId: input.beadId, dependsOn: input.dependsOn }),
    ),

  removeBead: townWriteProcedure
    .input(z.strictObject({ ...ConvoyRef, beadId: BeadId }))
    .mutation(({ ctx, input }) => removeBeadFromConvoy(ctx.db, ctx.town.id, ctx.user.id, { convoyId: input.convoyId, beadId: input.beadId })),
});

/** GitHub for the feature branch; a server without a usable configuration just skips that step. */
function tickDepsOrNull(ctx: Parameters<typeof tickDepsOf>[0]) {
  try {
    return tickDepsOf(ctx);
  } catch {
    return null;
  }
}
