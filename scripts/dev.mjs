// `npm run dev`: the one command that sets up and runs the app on a fresh machine.
// Uses DATABASE_URL when set; otherwise starts the embedded Postgres (data in .data/pglite, kept across
// restarts), applies the committed migrations, generates missing secrets into .data/secrets.json, then
// runs `next dev` (or `next start` with --prod). With --prod the production build in .next is reused when it
// started after the last change to any source file (scripts/lib/build-freshness.mjs); otherwise, or with
// --build, it builds first, as `npm run build` does (scripts/build.mjs).
import path from "node:path";
import { ROOT, bin, ensureAppDatabase, loadOrCreateSecrets, run } from "./lib/db.mjs";
import { decideBuildAt } from "./lib/build-freshness.mjs";
import { build } from "./build.mjs";

const prod = process.argv.includes("--prod");
const dataDir = path.resolve(ROOT, process.env.GASTOWN_DATA_DIR ?? ".data");
const port = process.env.PORT ?? "3000";

const secrets = loadOrCreateSecrets(dataDir);
const db = await ensureAppDatabase({ dataDir });
console.log(`[gastown] database: ${db.kind === "embedded" ? `embedded Postgres (data in ${path.relative(ROOT, dataDir)}/pglite)` : "DATABASE_URL"}; migrations applied`);

const env = {
  ...process.env,
  ...Object.fromEntries(Object.entries(secrets).filter(([k]) => !process.env[k])),
  DATABASE_URL: db.url,
  GASTOWN_DB_KIND: db.kind,
  GASTOWN_DATA_DIR: dataDir,
  NEXT_TELEMETRY_DISABLED: "1",
  BETTER_AUTH_URL: process.env.BETTER_AUTH_URL ?? `http://localhost:${port}`,
};
if (prod) {
  const decision = decideBuildAt(ROOT, { force: process.argv.includes("--build") });
  if (decision.build) {
    console.log(`[gastown] building the production server: ${decision.reason}`);
    const built = await build(env);
    if (built !== 0) {
      await db.stop();
      process.exit(built);
    }
  } else {
    console.log(`[gastown] reusing the production build: ${decision.reason} (\`npm run build\` or \`npm start -- --build\` rebuilds)`);
  }
}
console.log(`[gastown] open http://localhost:${port}`);
const code = await run(bin("next"), [prod ? "start" : "dev", "-p", port], env);
await db.stop();
process.exit(code);
