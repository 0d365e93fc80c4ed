import http from "node:http";
import type { RecordedPage, RecordedRequest } from "./browser";

// Replaying what Chromium recorded, as a browser would send it: the same paths and headers, each user's own
// cookie, one keep-alive agent per user with at most 6 connections to the host (Chromium's HTTP/1.1 limit).
// Bodies are read to the end but not decompressed (the browser's inflate is the client's cost, not the
// server's). A cookie the server sets (better-auth's session cache) is kept and sent back, like a browser.

export class Client {
  readonly agent: http.Agent;
  private readonly jar = new Map<string, { value: string; expires: number }>();

  constructor(
    readonly origin: string,
    cookie: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    for (const part of cookie.split(";")) {
      const [name, ...v] = part.trim().split("=");
      if (name) this.jar.set(name, { value: v.join("="), expires: Infinity });
    }
  }

  private cookieHeader(): string {
    const now = Date.now();
    const parts: string[] = [];
    for (const [name, c] of this.jar) {
      if (c.expires <= now) this.jar.delete(name);
      else parts.push(`${name}=${c.value}`);
    }
    return parts.join("; ");
  }

  private store(setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair, ...attrs] = line.split(";");
      const [name, ...v] = pair.trim().split("=");
      const value = v.join("=");
      const maxAge = attrs.map((a) => a.trim().match(/^max-age=(-?\d+)$/i)?.[1]).find(Boolean);
      const expires = maxAge !== undefined ? Date.now() + Number(maxAge) * 1000 : Infinity;
      if (!value || expires <= Date.now()) this.jar.delete(name);
      else this.jar.set(name, { value, expires });
    }
  }

  /** One request, body read to the end; resolves with the status and the elapsed ms. */
  send(req: Pick<RecordedRequest, "method" | "path" | "headers">): Promise<{ status: number; ms: number; bytes: number }> {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const r = http.request(
        this.origin + req.path,
        { method: req.method, agent: this.agent, headers: { ...req.headers, cookie: this.cookieHeader() } },
        (res) => {
          this.store(res.headers["set-cookie"]);
          let bytes = 0;
          res.on("data", (c: Buffer) => (bytes += c.length));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start, bytes }));
          res.on("error", reject);
        },
      );
      r.on("error", reject);
      r.end();
    });
  }

  /** A whole page load: the document, then every first-render tRPC call at once (the browser sends them
   *  together once its scripts run). Returns the total and the parts. */
  async load(page: RecordedPage): Promise<{ ok: boolean; ms: number; documentMs: number; trpcMs: number }> {
    const start = performance.now();
    const doc = await this.send(page.document);
    const calls = await Promise.all(page.trpc.map((c) => this.send(c)));
    const ms = performance.now() - start;
    return { ok: doc.status === 200 && calls.every((c) => c.status === 200), ms, documentMs: doc.ms, trpcMs: ms - doc.ms };
  }

  close(): void {
    this.agent.destroy();
  }
}
