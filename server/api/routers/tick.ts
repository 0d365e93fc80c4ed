import { z } from "zod";
import { router, townOwnerProcedure, townProcedure, TownIdSchema, type Context } from "../trpc";
import { getTickDeps } from "../../tick/deps";
import type { TickDeps } from "../../tick/types";
import { dryRunTown, latestTick, listTickPoints, listTicks, replayTown } from "../../services/ticks";
import { getPool } from "../../db/pool";

// Tick history (any member) and the debug tools (owners only, SPEC.md §3b Roles): dry run and replay.

/** The tick dependencies for this request: the context's (tests pass doubles), else the app's. */
export function tickDepsOf(ctx: Context): TickDeps {
  return ctx.tickDeps ?? getTickDeps();
}

export const tickRouter = router({
  history: townProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        cursor: z.string().max(500).nullish(),
        limit: z.number().int().min(1).max(100).default(20),
      }),
    )
    .query(({ ctx, input }) => listTicks(ctx.db, ctx.town.id, { cursor: input.cursor ?? undefined, limit: input.limit })),

  /** The chart's points only (started at, duration, events drained), newest first. */
  chart: townProcedure
    .input(z.strictObject({ townId: TownIdSchema, limit: z.number().int().min(1).max(100).default(60) }))
    .query(({ ctx, input }) => listTickPoints(getPool(), ctx.town.id, input.limit)),

  latest: townProcedure.input(z.strictObject({ townId: TownIdSchema })).query(({ ctx }) => latestTick(ctx.db, ctx.town.id)),

  dryRun: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema }))
    .mutation(({ ctx }) => dryRunTown(tickDepsOf(ctx), ctx.town.id)),

  replay: townOwnerProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        from: z.string().max(100).optional(),
        to: z.string().max(100).optional(),
      }),
    )
    .mutation(({ ctx, input }) => replayTown(tickDepsOf(ctx), ctx.town.id, { from: input.from, to: input.to })),
});
