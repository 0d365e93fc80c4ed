// `npm run db:seed`: a demo town in the app's database — DATABASE_URL when set, else the embedded one in
// .data/pglite (used through the running dev server's port when `npm run dev` is up, else started here).
import { connect } from "node:net";
import path from "node:path";
import { ROOT, bin, ensureAppDatabase, loadOrCreateSecrets, migrate, run } from "./lib/db.mjs";

const dataDir = path.resolve(ROOT, process.env.GASTOWN_DATA_DIR ?? ".data");
const port = Number(process.env.GASTOWN_EMBEDDED_PG_PORT ?? 55432);

const listening = (p) =>
  new Promise((resolve) => {
    const s = connect(p, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

let url = process.env.DATABASE_URL;
let stop = async () => {};
if (url) {
  migrate(url);
} else if (await listening(port)) {
  url = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`; // the running `npm run dev`
  migrate(url);
} else {
  const db = await ensureAppDatabase({ dataDir });
  url = db.url;
  stop = db.stop;
}
const secrets = loadOrCreateSecrets(dataDir);
const code = await run(bin("tsx"), ["prisma/seed.ts"], {
  ...process.env,
  ...Object.fromEntries(Object.entries(secrets).filter(([k]) => !process.env[k])),
  DATABASE_URL: url,
  GASTOWN_DATA_DIR: dataDir,
  BETTER_AUTH_URL: process.env.BETTER_AUTH_URL ?? "http://localhost:3000",
});
await stop();
process.exit(code);
