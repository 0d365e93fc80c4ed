import type { PrismaClient } from "../db/generated/client";
import { getDb } from "../db/client";
import { createCaller } from "../api/root";
import type { SessionUser } from "../auth/auth";
import type { TickDeps } from "../tick/types";

// Integration-test helpers: the real database (DATABASE_URL, provided by scripts/with-db.mjs), a clean slate
// per file, and tRPC callers acting as a given user.

export const isEmbeddedDb = process.env.GASTOWN_DB_KIND === "embedded";
/** Tests that need real concurrency, crashes or load run on a real Postgres only (SPEC.md §3b). */
export const REAL_PG_ONLY_REASON = "needs a real Postgres (the embedded one serialises transactions); runs in CI";

export function testDb(): PrismaClient {
  return getDb();
}

export async function truncateAll(db: PrismaClient) {
  const tables = await db.$queryRaw<{ tablename: string }[]>`
    SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (tables.length === 0) return;
  await db.$executeRawUnsafe(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(", ")} RESTART IDENTITY CASCADE`);
}

export function callerFor(user: { id: string; email: string; name: string } | null, extra: { tickDeps?: TickDeps } = {}) {
  const sessionUser: SessionUser | null = user ? { id: user.id, email: user.email, name: user.name } : null;
  return createCaller({ db: getDb(), user: sessionUser, ...extra });
}

/** Moves the town's next tick an hour out, so a test can see a change make it due again. */
export async function pushTickOut(townId: string) {
  await getDb().town.update({ where: { id: townId }, data: { nextTickAt: new Date(Date.now() + 3_600_000) } });
}

/** Whether the town's next tick is due now (SPEC.md §3b: people's changes and new events make it due). */
export async function isDue(townId: string) {
  return (await getDb().town.findUniqueOrThrow({ where: { id: townId } })).nextTickAt.getTime() <= Date.now();
}
