import { z } from "zod";
import { router, townProcedure, townWriteProcedure, TownIdSchema } from "../trpc";
import { AGENT_ROLES } from "../../domain/types";
import { deleteAgent, listAgents, MAX_LOG_BYTES, readAgentLog, resetAgent, stopAgent } from "../../services/agents";
import { tickDepsOf } from "./tick";

// The agents page (SPEC.md §4.1): list (every member), log tail and stop / reset / delete (members).
// The log is members-only: an agent's output can echo credentials it was given.

const AgentRef = { townId: TownIdSchema, agentId: z.string().min(1).max(64) };

export const agentRouter = router({
  list: townProcedure
    .input(z.strictObject({ townId: TownIdSchema, rigId: z.string().min(1).max(64).optional(), role: z.enum(AGENT_ROLES).optional() }))
    .query(({ ctx, input }) => listAgents(ctx.db, ctx.town.id, { rigId: input.rigId, role: input.role })),

  log: townWriteProcedure
    .input(z.strictObject({ ...AgentRef, maxBytes: z.number().int().min(1).max(MAX_LOG_BYTES).default(MAX_LOG_BYTES) }))
    .query(({ ctx, input }) => readAgentLog(tickDepsOf(ctx), ctx.db, ctx.town.id, { agentId: input.agentId, maxBytes: input.maxBytes })),

  stop: townWriteProcedure
    .input(z.strictObject(AgentRef))
    .mutation(({ ctx, input }) => stopAgent(tickDepsOf(ctx), ctx.db, ctx.town.id, ctx.user.id, input.agentId)),

  reset: townWriteProcedure
    .input(z.strictObject(AgentRef))
    .mutation(({ ctx, input }) => resetAgent(tickDepsOf(ctx), ctx.db, ctx.town.id, ctx.user.id, input.agentId)),

  delete: townWriteProcedure
    .input(z.strictObject(AgentRef))
    .mutation(({ ctx, input }) => deleteAgent(tickDepsOf(ctx), ctx.db, ctx.town.id, ctx.user.id, input.agentId)),
});
