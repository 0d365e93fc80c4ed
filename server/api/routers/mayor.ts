import { z } from "zod";
import { getAdapters } from "../../tick/deps";
import { getPool } from "../../db/pool";
import { getMayorStatus, listMayorConversation, MAYOR_MESSAGE_MAX, sendMayorMessage } from "../../services/mayor";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";

// The Mayor conversation (SPEC.md §4.4b): members and owners write to the mayor; every member reads the
// conversation and the mayor's status. Polled by the Mayor page and the overview's mayor bar.

export const mayorRouter = router({
  sendMessage: townWriteProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        message: z.string().trim().min(1, "Write a message first.").max(MAYOR_MESSAGE_MAX, `Messages are limited to ${MAYOR_MESSAGE_MAX} characters.`),
        rigId: z.string().min(1).max(64).nullish(),
      }),
    )
    .mutation(({ ctx, input }) => sendMayorMessage(ctx.db, ctx.town.id, { id: ctx.user.id, name: ctx.user.name || ctx.user.email }, input)),

  conversation: townProcedure
    .input(z.strictObject({ townId: TownIdSchema, cursor: z.string().max(20).nullish(), limit: z.number().int().min(1).max(200).optional() }))
    .query(({ ctx, input }) => listMayorConversation(getPool(), ctx.town.id, { cursor: input.cursor, limit: input.limit })),

  status: townProcedure
    .input(z.strictObject({ townId: TownIdSchema }))
    .query(({ ctx }) => getMayorStatus(getPool(), ctx.town.id, getAdapters().runtimeOptions())),
});
