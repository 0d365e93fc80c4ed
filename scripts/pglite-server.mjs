// Zero-setup Postgres: PGlite (Postgres 17 in Wasm) behind a Postgres wire-protocol socket on loopback.
// Usage: node scripts/pglite-server.mjs [dataDir|memory] [port] [maxConnections]
// Prints "pglite listening on 127.0.0.1:<port>" once ready (scripts/lib/db.mjs waits for that line).
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler, PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { installPgProtocolFilter } from "./lib/pg-protocol-filter.mjs";

const dataDir = process.argv[2] ?? "./.data/pglite";
const port = Number(process.argv[3] ?? 55432);
// Connections are cheap here (one shared PGlite), and clients churn them: pg's pool destroys a connection
// whose query failed and opens a new one at once, before this server has seen the old socket close. With a
// limit near the clients' pool sizes, Node's listener dropped those new connections without a word
// ("Connection terminated unexpectedly" in the client). So the limit sits far above any pool we use.
const maxConnections = Number(process.argv[4] ?? 64);
const t0 = Date.now();
// pglite-socket only logs a dropped connection in its (very verbose) debug mode; say why a connection ended.
const handleError = PGLiteSocketHandler.prototype.handleError;
PGLiteSocketHandler.prototype.handleError = function (err) {
  if (!/ECONNRESET|Idle timeout/.test(err?.message ?? "")) console.error(`pglite: connection #${this.id} dropped: ${err?.stack ?? err}`);
  return handleError.call(this, err);
};
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
// Over the limit, pglite-socket writes plain text and hangs up; a client then reports only "Connection
// terminated unexpectedly". Refuse the way Postgres does (FATAL 53300), so the client says why.
const handleConnection = server.handleConnection.bind(server);
server.handleConnection = (socket) => {
  if (server.handlers.size < maxConnections) return handleConnection(socket);
  console.error(`pglite: refused a connection: ${maxConnections} already open`);
  socket.end(tooManyClients(maxConnections));
};
try {
  await server.start();
} catch (err) {
  console.error(`cannot start the embedded Postgres on 127.0.0.1:${port}: ${err.code ?? ""} ${err.message}`);
  process.exit(1);
}
// Node's own cap drops sockets silently; leave room above ours for sockets still closing.
server.server.maxConnections = maxConnections * 2;
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

function tooManyClients(limit) {
  const field = (code, text) => Buffer.concat([Buffer.from(code), Buffer.from(text), Buffer.from([0])]);
  const body = Buffer.concat([
    field("S", "FATAL"),
    field("V", "FATAL"),
    field("C", "53300"),
    field("M", `sorry, too many clients already (the embedded Postgres allows ${limit} connections)`),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
