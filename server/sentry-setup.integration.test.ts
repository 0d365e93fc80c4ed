import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import * as Sentry from "@sentry/nextjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../instrumentation";
import { captureToSentry } from "./tick/capture";
import { getEnv } from "./env";
import { REDACTED } from "./secrets/redact";
import { townRedactor } from "./secrets/town-secrets";

// instrumentation.ts as the server runs it, with a DSN pointing at a local HTTP server that speaks Sentry's
// envelope endpoint: errors still arrive although the OpenTelemetry tracer is left off (issue 7), and leave
// the process only after the secrets redactor scrubbed them (SPEC.md §5).

const OPERATOR_GITHUB_TOKEN = "operator-gh-token-Rr19Vb";
const RUNTIME_SECRET = "runtime-secret-Hw55Tr";
const TOWN_GIT_TOKEN = "town-git-token-Zx81Qp";
const TOWN_ENV_VALUE = "env-value-Kq72Lm";
const AGENT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ0b3duSWQiOiJ0LTEiLCJpc3MiOiJnYXN0b3duLWNvbnRyb2wifQ.qL0e8Yc3tW0b1vYw2H6n9s5xg4rJk7pQe2m1Zf3aB8c";

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
    process.env.GITHUB_TOKEN = OPERATOR_GITHUB_TOKEN;
    process.env.GASTOWN_RUNTIMES = `box=http://127.0.0.1:9|${RUNTIME_SECRET}`;
    await register();
  });
  afterAll(async () => {
    await Sentry.close(1000);
    delete process.env.SENTRY_DSN;
    delete process.env.GITHUB_TOKEN;
    delete process.env.GASTOWN_RUNTIMES;
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

  it("scrubs every secret from the event's message, exception values, breadcrumbs, tags and extra before it is sent", async () => {
    // A tick of this town ran in this process (it reads the town's config with its lease).
    townRedactor("t-secret", { git_auth: { github_token: TOWN_GIT_TOKEN }, env_vars: { DEPLOY_KEY: TOWN_ENV_VALUE } });
    const env = getEnv();
    const planted = [OPERATOR_GITHUB_TOKEN, RUNTIME_SECRET, TOWN_GIT_TOKEN, TOWN_ENV_VALUE, AGENT_TOKEN, env.CRON_SECRET, env.BETTER_AUTH_SECRET, env.GASTOWN_TOKEN_KEY];
    received.length = 0;
    Sentry.addBreadcrumb({ message: `cloned with ${TOWN_GIT_TOKEN}`, data: { header: `Bearer ${AGENT_TOKEN}` } });
    Sentry.captureMessage(`cron secret was ${env.CRON_SECRET} and auth ${env.BETTER_AUTH_SECRET}`);
    captureToSentry(new Error(`runtime said ${RUNTIME_SECRET} / ${OPERATOR_GITHUB_TOKEN} / ${TOWN_ENV_VALUE} / ${env.GASTOWN_TOKEN_KEY}`), { town_id: "t-secret", note: TOWN_ENV_VALUE });
    Sentry.withScope((scope) => {
      scope.setExtra("payload", { reason: `agent printed ${AGENT_TOKEN}` });
      Sentry.captureException(new Error("with extra"));
    });
    expect(await Sentry.flush(5000)).toBe(true);
    const sent = received.join("\n");
    expect(sent).toContain("runtime said");
    expect(sent).toContain("cron secret was");
    expect(sent).toContain("cloned with");
    expect(sent).toContain(REDACTED);
    for (const secret of planted) expect(sent, `a secret (${secret.slice(0, 4)}…) reached Sentry`).not.toContain(secret);
  });
});
