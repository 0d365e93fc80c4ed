import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

// A local HTTP server standing in for a Slack incoming webhook or a JSON webhook receiver (issue 16): it
// records every POST (raw body and headers) and answers what the test says — a status per attempt, or
// nothing at all (a hung receiver).

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface Receiver {
  url(path?: string): string;
  received: Received[];
  /** the status of the n-th request (0-based); a function may return "hang" to never answer */
  respond: (n: number, req: Received) => number | "hang";
  close(): Promise<void>;
}

export async function startReceiver(respond: Receiver["respond"] = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = {
    received,
    respond,
    url: (path = "/") => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = { path: req.url ?? "/", headers: req.headers, rawBody: Buffer.concat(chunks).toString("utf8") };
      const status = receiver.respond(received.length, r);
      received.push(r);
      if (status === "hang") return;
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "receiver error");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return receiver;
}

/** A loopback URL nobody listens on (a dead receiver). */
export async function deadUrl(path = "/dead"): Promise<string> {
  const r = await startReceiver();
  const url = r.url(path);
  await r.close();
  return url;
}
