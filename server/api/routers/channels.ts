import { z } from "zod";
import { router, townOwnerProcedure, townProcedure, TownIdSchema } from "../trpc";
import {
  ChannelCreateSchema,
  ChannelUpdateSchema,
  createChannel,
  deleteChannel,
  listChannels,
  listDeliveries,
  sendTestMessage,
  updateChannel,
} from "../../services/notification-channels";

// Notifications out (issue 16): a town's channels (Slack, signed JSON webhook) and their delivery log.
// Every member reads them, URL and secret masked; only owners add, change, test or delete a channel.
// (`notification` is the in-app list on the overview; this is what leaves the app.)

const ChannelRef = { townId: TownIdSchema, channelId: z.string().min(1).max(64) };

export const channelsRouter = router({
  list: townProcedure.input(z.strictObject({ townId: TownIdSchema })).query(({ ctx }) => listChannels(ctx.db, ctx.town.id)),

  create: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema, channel: ChannelCreateSchema }))
    .mutation(({ ctx, input }) => createChannel(ctx.db, ctx.town.id, ctx.user.id, input.channel)),

  update: townOwnerProcedure
    .input(z.strictObject({ ...ChannelRef, patch: ChannelUpdateSchema }))
    .mutation(({ ctx, input }) => updateChannel(ctx.db, ctx.town.id, ctx.user.id, input.channelId, input.patch)),

  delete: townOwnerProcedure.input(z.strictObject(ChannelRef)).mutation(({ ctx, input }) => deleteChannel(ctx.db, ctx.town.id, ctx.user.id, input.channelId)),

  sendTest: townOwnerProcedure.input(z.strictObject(ChannelRef)).mutation(({ ctx, input }) => sendTestMessage(ctx.db, ctx.town.id, input.channelId)),

  deliveries: townProcedure
    .input(z.strictObject({ townId: TownIdSchema, channelId: z.string().min(1).max(64).optional(), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => listDeliveries(ctx.db, ctx.town.id, { limit: input.limit, channelId: input.channelId })),
});
