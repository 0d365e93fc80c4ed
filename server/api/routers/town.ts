import { z } from "zod";
import { authedProcedure, router, townOwnerProcedure, townProcedure, TownIdSchema } from "../trpc";
import {
  addMember,
  createTown,
  deleteTown,
  listInvites,
  listMembers,
  listTownsForUser,
  removeMember,
  revokeInvite,
  setMemberRole,
  TOWN_NAME_MAX,
} from "../../services/towns";
import { getTownOverview } from "../../services/overview";
import { tickDepsOf } from "./tick";
import { getAdapters } from "../../tick/deps";
import { getPool } from "../../db/pool";

const TownNameSchema = z.string().trim().min(1, "Give the town a name.").max(TOWN_NAME_MAX);
const RoleSchema = z.enum(["owner", "member", "viewer"]);

export const townRouter = router({
  create: authedProcedure
    .input(z.strictObject({ name: TownNameSchema }))
    .mutation(({ ctx, input }) => createTown(ctx.db, ctx.user.id, input)),

  list: authedProcedure.query(({ ctx }) => listTownsForUser(ctx.db, ctx.user.id)),

  get: townProcedure
    .input(z.strictObject({ townId: TownIdSchema }))
    .query(({ ctx }) => getTownOverview(getPool(), ctx.town.id, ctx.role, getAdapters().runtimeOptions())),

  delete: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema }))
    .mutation(({ ctx }) => deleteTown(ctx.db, ctx.town.id, (name) => tickDepsOf(ctx).runtimeFor(name))),

  members: townProcedure
    .input(z.strictObject({ townId: TownIdSchema }))
    .query(({ ctx }) => listMembers(ctx.db, ctx.town.id)),

  invites: townProcedure
    .input(z.strictObject({ townId: TownIdSchema }))
    .query(({ ctx }) => listInvites(ctx.db, ctx.town.id)),

  /** Adds a person by email; an address without an account yet is invited (it joins when it signs up). */
  addMember: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema, email: z.email("Enter an email address."), role: RoleSchema }))
    .mutation(({ ctx, input }) => addMember(ctx.db, ctx.town.id, ctx.user.id, input)),

  setMemberRole: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema, userId: z.string().min(1), role: RoleSchema }))
    .mutation(({ ctx, input }) => setMemberRole(ctx.db, ctx.town.id, ctx.user.id, input)),

  revokeInvite: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema, email: z.email("Enter an email address.") }))
    .mutation(({ ctx, input }) => revokeInvite(ctx.db, ctx.town.id, ctx.user.id, input)),

  removeMember: townOwnerProcedure
    .input(z.strictObject({ townId: TownIdSchema, userId: z.string().min(1) }))
    .mutation(({ ctx, input }) => removeMember(ctx.db, ctx.town.id, ctx.user.id, input)),
});
