import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { getPool } from "../../db/pool";
import { failMr, holdMr, listReviews, mergeMrNow, MR_STATUSES, releaseMr, retryMr } from "../../services/reviews";

// The review queue (SPEC.md §4.1): read by every member; hold, release, merge now, retry and fail by members.

const MrRef = { townId: TownIdSchema, mrId: z.string().min(1).max(64) };

export const reviewRouter = router({
  list: townProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        status: z.array(z.enum(MR_STATUSES)).max(4).optional(),
        rigId: z.string().min(1).max(64).optional(),
        cursor: z.string().max(500).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) =>
      listReviews(getPool(), ctx.town.id, { status: input.status, rigId: input.rigId, cursor: input.cursor ?? undefined, limit: input.limit }),
    ),

  hold: townWriteProcedure.input(z.strictObject(MrRef)).mutation(({ ctx, input }) => holdMr(ctx.db, ctx.town.id, ctx.user.id, input.mrId)),

  release: townWriteProcedure.input(z.strictObject(MrRef)).mutation(({ ctx, input }) => releaseMr(ctx.db, ctx.town.id, ctx.user.id, input.mrId)),

  mergeNow: townWriteProcedure.input(z.strictObject(MrRef)).mutation(({ ctx, input }) => mergeMrNow(ctx.db, ctx.town.id, ctx.user.id, input.mrId)),

  retry: townWriteProcedure.input(z.strictObject(MrRef)).mutation(({ ctx, input }) => retryMr(ctx.db, ctx.town.id, ctx.user.id, input.mrId)),

  fail: townWriteProcedure
    .input(z.strictObject({ ...MrRef, reason: z.string().trim().min(1, "Say why the merge request fails.").max(1000) }))
    .mutation(({ ctx, input }) => failMr(ctx.db, ctx.town.id, ctx.user.id, { mrId: input.mrId, reason: input.reason })),
});
