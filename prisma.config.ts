import "dotenv/config";
import "./prisma/cli-workarounds";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// The CLI needs some URL even for `prisma generate` (else the 6.19 CLI falls back to the library engine and
// tries a download). scripts/with-db.mjs and scripts/dev.mjs set the real one.
process.env.DATABASE_URL ??= "postgresql://postgres:postgres@127.0.0.1:55432/postgres";

// Discrete fields, not { connectionString }: the adapter derives the shadow database config by spreading
// this object with another `database`, and a connectionString would win over it.
function pgConfig(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    allowExitOnIdle: true,
  };
}

// adapter-pg 6.19.3 drops the shadow database before closing its pool; close first, then drop.
// The embedded server serves one database whatever the name, so it needs SHADOW_DATABASE_URL (a second server).
class PrismaPgForMigrate extends PrismaPg {
  constructor(private readonly cfg: ReturnType<typeof pgConfig>) {
    super(cfg);
  }
  override async connectToShadowDb() {
    const shadowUrl = process.env.SHADOW_DATABASE_URL;
    if (shadowUrl) {
      const shadow = await new PrismaPg(pgConfig(shadowUrl)).connect();
      await shadow.executeScript('DROP SCHEMA IF EXISTS "public" CASCADE; CREATE SCHEMA "public"');
      return shadow;
    }
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg({ ...this.cfg, database }).connect();
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow();
      await main.executeScript(`DROP DATABASE "${database}"`);
      await main.dispose();
    };
    return shadow;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaPgForMigrate(pgConfig(process.env.DATABASE_URL!)),
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
});
