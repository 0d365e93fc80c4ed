// Zero-setup Postgres: PGlite (Postgres 17 in Wasm) behind a Postgres wire-protocol socket on loopback.
// Usage: node scripts/pglite-server.mjs [dataDir|memory] [port] [maxConnections]
// Prints "pglite listening on 127.0.0.1:<port>" once ready (scripts/lib/db.mjs waits for that line).
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { installPgProtocolFilter } from "./lib/pg-protocol-filter.mjs";

const dataDir = process.argv[2] ?? "./.data/pglite";
const port = Number(process.argv[3] ?? 55432);
const maxConnections = Number(process.argv[4] ?? 10);
const t0 = Date.now();
// Fail fast (before PGlite spends seconds booting) when the port is taken.
await new Promise((resolve) => {
  const probe = createServer();
  probe.once("error", (err) => {
    console.error(`cannot listen on 127.0.0.1:${port}: ${err.code === "EADDRINUSE" ? "EADDRINUSE (port in use)" : err.message}`);
    process.exit(1);
  });
  probe.listen(port, "127.0.0.1", () => probe.close(resolve));
});
if (dataDir !== "memory") mkdirSync(dataDir, { recursive: true });
const db = await PGlite.create(dataDir === "memory" ? undefined : dataDir);
const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections });
installPgProtocolFilter(server);
try {
  await server.start();
} catch (err) {
  console.error(`cannot start the embedded Postgres on 127.0.0.1:${port}: ${err.code ?? ""} ${err.message}`);
  process.exit(1);
}
console.log(`pglite listening on 127.0.0.1:${port} (data: ${dataDir}, maxConnections: ${maxConnections}) in ${Date.now() - t0} ms`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
    await db.close();
  } finally {
    process.exit(0);
  }
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
// If our parent dies (dev server killed hard), do not linger holding the data directory.
process.on("disconnect", stop);
