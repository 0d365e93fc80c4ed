import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import * as Sentry from "@sentry/nextjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../instrumentation";
import { captureToSentry } from "./tick/capture";

// instrumentation.ts as the server runs it, with a DSN pointing at a local HTTP server that speaks Sentry's
// envelope endpoint: errors still arrive although the OpenTelemetry tracer is left off (issue 7).

describe("Sentry set-up (instrumentation.ts)", () => {
  const received: string[] = [];
  let server: Server;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        received.push(`${req.url}\n${req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body}`);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    process.env.SENTRY_DSN = `http://publickey@127.0.0.1:${port}/42`;
    delete process.env.SENTRY_TRACES_SAMPLE_RATE;
    await register();
  });
  afterAll(async () => {
    await Sentry.close(1000);
    delete process.env.SENTRY_DSN;
    server.close();
  });

  it("reports a captured error with its tags to the DSN's envelope endpoint, with no tracing set up", async () => {
    expect(Sentry.getClient()?.getOptions().dsn).toContain("127.0.0.1");
    expect(Sentry.getClient()?.getOptions().tracesSampleRate).toBeUndefined();
    captureToSentry(new Error("the sidecar fell over"), { town_id: "t-1", event_id: "e-9" });
    expect(await Sentry.flush(5000)).toBe(true);
    const sent = received.join("\n");
    expect(sent).toContain("/api/42/envelope/");
    expect(sent).toContain("the sidecar fell over");
    expect(sent).toMatch(/"town_id":"t-1"/);
  });
});
