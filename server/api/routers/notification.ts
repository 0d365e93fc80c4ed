import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { listNotifications, markNotificationsRead } from "../../services/notifications";
import { getPool } from "../../db/pool";

// The town's notifications (SPEC.md §3b): every member reads them; members mark them read.

export const notificationRouter = router({
  list: townProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        unreadOnly: z.boolean().default(false),
        cursor: z.string().max(500).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listNotifications(getPool(), ctx.town.id, { unreadOnly: input.unreadOnly, cursor: input.cursor ?? undefined, limit: input.limit })),

  markRead: townWriteProcedure
    .input(z.strictObject({ townId: TownIdSchema, ids: z.array(z.string().min(1).max(64)).max(500).optional(), all: z.literal(true).optional() }))
    .mutation(({ ctx, input }) => markNotificationsRead(ctx.db, ctx.town.id, { ids: input.ids, all: input.all })),
});
