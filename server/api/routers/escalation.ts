import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { acknowledgeEscalation, listEscalations, SEVERITIES } from "../../services/escalations";
import { listTriageRequests, resolveTriage } from "../../services/triage";
import { TriageActionSchema } from "../../domain/triage";
import { tickDepsOf } from "./tick";

// Escalations (SPEC.md §4.1): every member reads them; members acknowledge. Triage requests (DOMAIN.md §5.4)
// sit beside them: every member reads them; members decide them.

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

  triage: townProcedure.input(z.strictObject({ townId: TownIdSchema })).query(({ ctx }) => listTriageRequests(ctx.db, ctx.town.id)),

  resolveTriage: townWriteProcedure
    .input(
      z.strictObject({
        townId: TownIdSchema,
        requestId: z.string().min(1).max(64),
        action: TriageActionSchema,
        notes: z.string().trim().max(2000).default(""),
      }),
    )
    .mutation(({ ctx, input }) =>
      resolveTriage(tickDepsOf(ctx), ctx.db, ctx.town.id, ctx.user.id, { requestId: input.requestId, action: input.action, notes: input.notes }),
    ),
});
