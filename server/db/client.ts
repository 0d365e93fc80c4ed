import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "./generated/client";
import { getEnv } from "../env";

// One Prisma client per process, through the pg driver adapter (the same path serves the embedded
// Postgres and a real one). Keep the pool at or below the embedded server's connection limit.
export type Db = PrismaClient | Prisma.TransactionClient;
export { Prisma };

const globalForPrisma = globalThis as unknown as { __gastownPrisma?: PrismaClient };

function createClient(): PrismaClient {
  const env = getEnv();
  if (!env.DATABASE_URL) {
    throw new Error(
      "DATABASE_URL is not set. Start the app with `npm run dev` (it starts an embedded Postgres) or set DATABASE_URL to a Postgres database.",
    );
  }
  const adapter = new PrismaPg({ connectionString: env.DATABASE_URL, max: env.DATABASE_POOL_MAX });
  return new PrismaClient({ adapter });
}

/** The process-wide client, created on first use so that importing this module never needs a database. */
export function getDb(): PrismaClient {
  globalForPrisma.__gastownPrisma ??= createClient();
  return globalForPrisma.__gastownPrisma;
}
