// Runs a command against a migrated database: DATABASE_URL when set, else a throwaway in-memory embedded
// Postgres on a free port (so `npm test` passes on a fresh machine). Exports GASTOWN_DB_KIND so tests that
// need real concurrency can skip themselves on the embedded one (SPEC.md §3b).
// Usage: node scripts/with-db.mjs <command> [args...]
import path from "node:path";
import { ROOT, bin, freePort, loadOrCreateSecrets, migrate, run, startEmbeddedPostgres } from "./lib/db.mjs";

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error("usage: node scripts/with-db.mjs <command> [args...]");
  process.exit(2);
}
let url = process.env.DATABASE_URL;
let kind = process.env.GASTOWN_DB_KIND ?? "postgres";
let stop = async () => {};
if (!url) {
  const pg = await startEmbeddedPostgres({ dataDir: "memory", port: await freePort() });
  url = pg.url;
  kind = "embedded";
  stop = pg.stop;
}
migrate(url);
const dataDir = path.resolve(ROOT, process.env.GASTOWN_DATA_DIR ?? ".data");
const secrets = loadOrCreateSecrets(dataDir);
const resolved = cmd.includes("/") ? cmd : bin(cmd);
const code = await run(resolved, args, {
  ...process.env,
  ...Object.fromEntries(Object.entries(secrets).filter(([k]) => !process.env[k])),
  DATABASE_URL: url,
  GASTOWN_DB_KIND: kind,
  GASTOWN_DATA_DIR: dataDir,
  NEXT_TELEMETRY_DISABLED: "1",
});
await stop();
process.exit(code);
