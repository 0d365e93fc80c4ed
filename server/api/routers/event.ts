import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { getPool } from "../../db/pool";
import {
  bulkRequeueEvents,
  countEvents,
  discardEvent,
  editAndRequeueEvent,
  EVENT_QUEUE_STATUSES,
  EventPayloadEditSchema,
  EventTypeFilterSchema,
  getEventOrThrow,
  listEvents,
  requeueEvent,
} from "../../services/events";

// The event queue and the poison inbox (SPEC.md §2, §4.1): read by every member, repaired by members.

const EventRef = { townId: TownIdSchema, eventId: z.string().min(1).max(64) };

export const eventRouter = router({
  list: townProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        status: z.enum(EVENT_QUEUE_STATUSES).default("pending"),
        type: EventTypeFilterSchema.optional(),
        cursor: z.string().max(40).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) => listEvents(getPool(), ctx.town.id, { status: input.status, type: input.type, cursor: input.cursor ?? undefined, limit: input.limit })),

  counts: townProcedure
    .input(z.strictObject({ townId: TownIdSchema, type: EventTypeFilterSchema.optional() }))
    .query(({ ctx, input }) => countEvents(ctx.db, ctx.town.id, { type: input.type })),

  get: townProcedure.input(z.strictObject(EventRef)).query(({ ctx, input }) => getEventOrThrow(ctx.db, ctx.town.id, input.eventId)),

  requeue: townWriteProcedure
    .input(z.strictObject(EventRef))
    .mutation(({ ctx, input }) => requeueEvent(ctx.db, ctx.town.id, ctx.user.id, input.eventId)),

  editAndRequeue: townWriteProcedure
    .input(z.strictObject({ ...EventRef, payload: EventPayloadEditSchema }))
    .mutation(({ ctx, input }) => editAndRequeueEvent(ctx.db, ctx.town.id, ctx.user.id, { eventId: input.eventId, payload: input.payload })),

  discard: townWriteProcedure
    .input(z.strictObject({ ...EventRef, note: z.string().trim().min(1, "Say why the event is discarded.").max(2000) }))
    .mutation(({ ctx, input }) => discardEvent(ctx.db, ctx.town.id, ctx.user.id, { eventId: input.eventId, note: input.note })),

  bulkRequeue: townWriteProcedure
    .input(z.strictObject({ townId: TownIdSchema, eventType: EventTypeFilterSchema }))
    .mutation(({ ctx, input }) => bulkRequeueEvents(ctx.db, ctx.town.id, ctx.user.id, input.eventType)),
});
