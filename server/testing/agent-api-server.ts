import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { POST } from "../../app/api/agent/[tool]/route";

// The agent API on a loopback HTTP port, served by the real route handler, so agent processes started by
// the local runtime can call it exactly as they would call the app.

export async function startAgentApiServer(): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const match = url.pathname.match(/^\/api\/agent\/([^/]+)$/);
      if (!match || req.method !== "POST") {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const response = await POST(new Request(url, { method: "POST", headers, body: Buffer.concat(chunks) }), {
        params: Promise.resolve({ tool: decodeURIComponent(match[1]) }),
      });
      res.writeHead(response.status, { "content-type": response.headers.get("content-type") ?? "application/json" });
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
