// `npm run build`: the production build (prisma generate, next build), and a note of when it started
// (.next/gastown-build.json) so `npm start` can tell whether a source changed since (scripts/lib/build-freshness.mjs).
import { pathToFileURL } from "node:url";
import { ROOT, bin, run } from "./lib/db.mjs";
import { writeBuildMarker } from "./lib/build-freshness.mjs";

/** Builds; resolves with the exit code. */
export async function build(env = process.env) {
  const startedAt = Date.now();
  let code = await run(bin("prisma"), ["generate"], env);
  if (code === 0) code = await run(bin("next"), ["build"], env);
  if (code === 0) writeBuildMarker(ROOT, startedAt);
  return code;
}

// run as a script (not imported by dev.mjs)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await build());
