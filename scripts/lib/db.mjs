// Shared by dev/start/with-db: make sure a migrated Postgres is reachable and DATABASE_URL points at it.
// With DATABASE_URL set we use that database; without it we start the embedded one (PGlite, STACK.md §3).
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = (name) => path.join(ROOT, "node_modules", ".bin", name);

/** A free loopback port (for throwaway test databases). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts scripts/pglite-server.mjs and resolves once it prints its "listening" line.
 * dataDir "memory" keeps nothing; a folder keeps the data across restarts.
 */
export function startEmbeddedPostgres({ dataDir, port, maxConnections = 64, log = false }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/pglite-server.mjs"), dataDir, String(port), String(maxConnections)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`embedded Postgres did not start within 60 s:\n${out}`));
    }, 60_000);
    const onData = (chunk) => {
      out += chunk.toString();
      if (log) process.stderr.write(chunk);
      if (out.includes("pglite listening")) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve({
          url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null) return res();
              child.once("exit", () => res());
              child.kill("SIGTERM");
              setTimeout(() => child.kill("SIGKILL"), 5000).unref();
            }),
          child,
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (c) => (out += c.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!out.includes("pglite listening")) {
        reject(
          new Error(
            `embedded Postgres exited with code ${code} before listening on port ${port}.` +
              (out.includes("EADDRINUSE") ? ` Port ${port} is in use: stop the other server or set GASTOWN_EMBEDDED_PG_PORT.` : "") +
              `\n${out}`,
          ),
        );
      }
    });
  });
}

/** Applies the committed migrations (prisma migrate deploy) to `url`. Throws with the CLI output on failure. */
export function migrate(url) {
  const r = spawnSync(bin("prisma"), ["migrate", "deploy"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`prisma migrate deploy failed:\n${r.stdout}\n${r.stderr}`);
}

/** The same secrets file server/env.ts reads: generated on first run, kept in the data folder. */
export function loadOrCreateSecrets(dataDir) {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) {
    try {
      const s = JSON.parse(readFileSync(file, "utf8"));
      if (s.BETTER_AUTH_SECRET && s.CRON_SECRET && s.GASTOWN_TOKEN_KEY) return s;
    } catch {
      /* regenerate below */
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const s = {
    BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
    CRON_SECRET: randomBytes(32).toString("base64url"),
    GASTOWN_TOKEN_KEY: randomBytes(48).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(s, null, 2) + "\n", { mode: 0o600 });
  return s;
}

/**
 * Ensures a migrated database for a long-running app (dev/start): the given DATABASE_URL, or the embedded
 * Postgres with its data under <dataDir>/pglite. Returns { url, kind, stop }.
 */
export async function ensureAppDatabase({ dataDir }) {
  if (process.env.DATABASE_URL) {
    migrate(process.env.DATABASE_URL);
    return { url: process.env.DATABASE_URL, kind: "postgres", stop: async () => {} };
  }
  const port = Number(process.env.GASTOWN_EMBEDDED_PG_PORT ?? 55432);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pglite"), port });
  try {
    migrate(pg.url);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  return { url: pg.url, kind: "embedded", stop: pg.stop };
}

/** Runs a command with inherited stdio, resolving with its exit code. Forwards SIGINT/SIGTERM. */
export function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: "inherit", env });
    const forward = (sig) => child.kill(sig);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

export { bin };
