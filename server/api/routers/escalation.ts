import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { acknowledgeEscalation, listEscalations, SEVERITIES } from "../../services/escalations";

// Escalations (SPEC.md §4.1): every member reads them; members acknowledge.

export const escalationRouter = router({
  list: townProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        acknowledged: z.boolean().default(false),
        severity: z.array(z.enum(SEVERITIES)).max(4).optional(),
        limit: z.number().int().min(1).max(500).default(200),
      }),
    )
    .query(({ ctx, input }) => listEscalations(ctx.db, ctx.town.id, { acknowledged: input.acknowledged, severity: input.severity, limit: input.limit })),

  acknowledge: townWriteProcedure
    .input(z.strictObject({ townId: TownIdSchema, escalationId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => acknowledgeEscalation(ctx.db, ctx.town.id, ctx.user.id, input.escalationId)),
});
