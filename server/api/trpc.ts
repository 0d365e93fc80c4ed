import { initTRPC, TRPCError } from "@trpc/server";
import * as Sentry from "@sentry/nextjs";
import superjson from "superjson";
import { z } from "zod";
import { getDb, type Db } from "../db/client";
import { getPool, queryPrepared } from "../db/pool";
import type { PrismaClient } from "../db/generated/client";
import { getSessionUser, type SessionUser } from "../auth/auth";
import { MembershipMemo } from "./membership-memo";
import { toTRPCError } from "./errors";
import { getLogger } from "../log";
import { containsNul } from "../validation";
import type { TickDeps } from "../tick/types";
import type { Role } from "../domain/types";

// tRPC setup: context (db + signed-in user), the error table (STYLE.md #6) and the procedure ladder:
// public → authed (signed in) → town (member of the town in input.townId; non-members get NOT_FOUND so a
// town's existence is not revealed) → write (member or owner; viewers read only) → owner.

export type { Role } from "../domain/types";
/** `tickDeps` is optional: the routers that run the tick (dry run, replay) or talk to the runtime (agent stop,
 *  log) default to the app's `getTickDeps()`; tests pass doubles. */
export type Context = { db: PrismaClient; user: SessionUser | null; tickDeps?: TickDeps; membershipMemo?: MembershipMemo<Membership> };

export type Membership = { role: Role; id: string; name: string; owner_user_id: string };

const globalForMemo = globalThis as unknown as { __gastownMembershipMemo?: MembershipMemo<Membership> };
/** 5 s, like the session memo; at most 20,000 (town, person) answers. Tests may pass their own. */
function processMembershipMemo(): MembershipMemo<Membership> {
  globalForMemo.__gastownMembershipMemo ??= new MembershipMemo<Membership>(5_000, 20_000);
  return globalForMemo.__gastownMembershipMemo;
}

/** One context per HTTP request (so per batch). */
export async function createContext(opts: { headers: Headers }): Promise<Context> {
  return { db: getDb(), user: await getSessionUser(opts.headers) };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zodIssues = error.cause instanceof z.ZodError ? error.cause.issues : undefined;
    return {
      ...shape,
      message: zodIssues ? z.prettifyError(error.cause as z.ZodError) : shape.message,
      data: { ...shape.data, zodIssues, stack: undefined },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Maps domain errors to tRPC codes; anything unexpected is logged, reported to Sentry once and becomes a 500. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause ?? result.error);
    if (mapped) throw mapped;
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      getLogger().error({ procedure: path, err: result.error.cause ?? result.error }, "procedure failed");
      Sentry.captureException(result.error.cause ?? result.error, { tags: { procedure: path } });
    }
  }
  return result;
});

/** Postgres text and jsonb cannot hold NUL characters: a clear 400 instead of a failed insert. */
const rejectNul = t.middleware(async ({ next, getRawInput }) => {
  if (containsNul(await getRawInput())) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "Text may not contain NUL (\\u0000) characters." });
  }
  return next();
});

export const publicProcedure = t.procedure.use(errorMapping).use(rejectNul);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const TownIdSchema = z.string().min(1).max(64);
const TownRefSchema = z.object({ townId: TownIdSchema });

export type TownContext = Context & { user: SessionUser; town: { id: string; name: string; ownerUserId: string }; role: Role };

/** Loads the town named by input.townId and the caller's role in it. */
export const townProcedure = authedProcedure.use(async ({ ctx, next, getRawInput, type }) => {
  const ref = TownRefSchema.safeParse(await getRawInput());
  if (!ref.success) throw new TRPCError({ code: "BAD_REQUEST", message: "townId is required." });
  const townId = ref.data.townId;
  // Every town request pays this check, and pages poll: one plain statement on the pg pool (issue 7), and for
  // reads an answer of the last few seconds (membership-memo.ts says why that is safe). Mutations always look
  // again, and afterwards forget the town's answers: they may have changed a membership.
  const lookup = () =>
    queryPrepared(
      getPool(),
      "gt_membership",
      `SELECT m.role, t.id, t.name, t.owner_user_id FROM town_members m JOIN towns t ON t.id = m.town_id
        WHERE m.town_id = $1 AND m.user_id = $2`,
      [townId, ctx.user.id],
    ).then(({ rows }) => rows[0] as Membership | undefined);
  const memo = ctx.membershipMemo ?? processMembershipMemo();
  const membership = type === "query" ? await memo.get(townId, ctx.user.id, lookup) : await lookup();
  if (!membership) throw new TRPCError({ code: "NOT_FOUND", message: "Town not found." });
  const town = { id: membership.id, name: membership.name, ownerUserId: membership.owner_user_id };
  try {
    return await next({ ctx: { ...ctx, town, role: membership.role } });
  } finally {
    if (type === "mutation") memo.forgetTown(townId);
  }
});

export const townWriteProcedure = townProcedure.use(({ ctx, next }) => {
  if (ctx.role === "viewer") {
    throw new TRPCError({ code: "FORBIDDEN", message: "Viewers can look but not change anything in this town." });
  }
  return next();
});

export const townOwnerProcedure = townProcedure.use(({ ctx, next }) => {
  if (ctx.role !== "owner") throw new TRPCError({ code: "FORBIDDEN", message: "Only the town's owners can do this." });
  return next();
});

export type { Db };
