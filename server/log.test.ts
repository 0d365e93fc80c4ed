import { beforeAll, describe, expect, it } from "vitest";
import { REDACTED } from "./secrets/redact";

// The logger (issue 16): every line that leaves it has passed the process's redactor (the same one Sentry
// events and stored texts pass, SPEC.md §5), in the message, the fields, the bindings and serialized errors;
// child loggers carry the ids of what a line belongs to. Lines are captured from a stream and parsed.

// The operator's secrets, as the environment gives them (set before the redactor first reads them).
const CRON_SECRET = "cron-secret-of-the-operator-4411";
beforeAll(() => {
  process.env.CRON_SECRET = CRON_SECRET;
  process.env.BETTER_AUTH_SECRET = "better-auth-secret-of-the-operator-9";
  process.env.GASTOWN_TOKEN_KEY = "token-key-of-the-operator-0123456789abcdef";
});

const GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
// An agent token: a JWT (header.payload.signature, base64url JSON), recognised by its shape.
const AGENT_TOKEN =
  "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJ0b3duIjoidDEiLCJhZ2VudCI6ImExIiwicm9sZSI6InBvbGVjYXQifQ" + "." + "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
const URL_PASSWORD = "hunter2-db-password";

async function captured(level = "debug") {
  // imported after the environment above is set (the redactor reads the operator's secrets from it)
  const { captureLogs } = await import("./testing/log-capture");
  return captureLogs(level);
}

describe("createLogger", () => {
  it("redacts a GitHub token, an agent token, a URL password and an operator secret in the message and in format arguments", async () => {
    const { log, lines, parsed } = await captured();
    log.info(`clone https://x:${URL_PASSWORD}@github.com/o/r with ${GITHUB_TOKEN} as ${AGENT_TOKEN}`);
    log.warn("cron called with %s and %s", CRON_SECRET, GITHUB_TOKEN);
    const all = lines.join("\n");
    for (const secret of [GITHUB_TOKEN, AGENT_TOKEN, URL_PASSWORD, CRON_SECRET]) expect(all).not.toContain(secret);
    const [first, second] = parsed();
    expect(first.msg).toBe(`clone https://x:${REDACTED}@github.com/o/r with ${REDACTED} as ${REDACTED}`);
    expect(second.msg).toBe(`cron called with ${REDACTED} and ${REDACTED}`);
    expect(second.level).toBe("warn");
  });

  it("redacts every string field, nested ones included, and censors credential-named keys whatever their value", async () => {
    const { log, lines, parsed } = await captured();
    log.info(
      {
        detail: `runtime said ${GITHUB_TOKEN}`,
        nested: { list: [`Bearer ${AGENT_TOKEN}`, "plain"], url: `postgresql://gastown:${URL_PASSWORD}@db:5432/x` },
        password: "short1",
        headers: { authorization: "opaque-value-without-a-shape", cookie: "session=abc" },
        count: 3,
      },
      "a line with fields",
    );
    const all = lines.join("\n");
    for (const secret of [GITHUB_TOKEN, AGENT_TOKEN, URL_PASSWORD, "short1", "opaque-value-without-a-shape", "session=abc"]) expect(all).not.toContain(secret);
    const [line] = parsed();
    expect(line).toMatchObject({
      msg: "a line with fields",
      detail: `runtime said ${REDACTED}`,
      nested: { list: [`Bearer ${REDACTED}`, "plain"], url: `postgresql://gastown:${REDACTED}@db:5432/x` },
      password: REDACTED,
      headers: { authorization: REDACTED, cookie: REDACTED },
      count: 3,
    });
  });

  it("redacts errors: their message and stack, logged alone or as `err`", async () => {
    const { log, lines, parsed } = await captured();
    const err = new Error(`GitHub refused ${GITHUB_TOKEN}`, { cause: new Error(`inner ${CRON_SECRET}`) });
    log.error(err);
    log.error({ err, town_id: "t1" }, "side effect failed");
    const all = lines.join("\n");
    expect(all).not.toContain(GITHUB_TOKEN);
    expect(all).not.toContain(CRON_SECRET);
    const [alone, withFields] = parsed();
    expect(alone.msg).toBe(`GitHub refused ${REDACTED}`);
    // pino's serializer appends the causes' messages
    expect((alone.err as { message: string }).message).toBe(`GitHub refused ${REDACTED}: inner ${REDACTED}`);
    expect((alone.err as { stack: string }).stack).toContain(`Error: GitHub refused ${REDACTED}`);
    expect(withFields).toMatchObject({ msg: "side effect failed", town_id: "t1", err: { type: "Error", message: `GitHub refused ${REDACTED}: inner ${REDACTED}` } });
  });

  it("child loggers carry their ids on every line, and their bindings are redacted too", async () => {
    const { log, parsed } = await captured();
    const tick = log.child({ town_id: "town-1", tick_id: "tick-1" });
    const request = log.child({ town_id: "town-2", agent_id: "agent-7", tool: "gt_done" });
    const odd = log.child({ cron: "tick", note: `called with ${GITHUB_TOKEN}` });
    tick.info("tick");
    tick.child({ phase: "side_effects" }).error("failed");
    request.info("agent api call");
    odd.info("sweep");
    const [a, b, c, d] = parsed();
    expect(a).toMatchObject({ town_id: "town-1", tick_id: "tick-1", msg: "tick" });
    expect(b).toMatchObject({ town_id: "town-1", tick_id: "tick-1", phase: "side_effects", level: "error" });
    expect(c).toMatchObject({ town_id: "town-2", agent_id: "agent-7", tool: "gt_done" });
    expect(d).toMatchObject({ cron: "tick", note: `called with ${REDACTED}` });
  });

  it("honours the level: lines below it are not written", async () => {
    const { log, parsed } = await captured("warn");
    log.info("hidden");
    log.debug("hidden too");
    log.warn("shown");
    expect(parsed().map((l) => l.msg)).toEqual(["shown"]);
  });
});

describe("logLevelFrom", () => {
  it("reads LOG_LEVEL, falls back to info (warn under tests) on a missing or unknown value", async () => {
    const { logLevelFrom } = await import("./log");
    expect(logLevelFrom({ LOG_LEVEL: "debug", NODE_ENV: "production" })).toBe("debug");
    expect(logLevelFrom({ LOG_LEVEL: " WARN ", NODE_ENV: "production" })).toBe("warn");
    expect(logLevelFrom({ LOG_LEVEL: "verbose", NODE_ENV: "production" })).toBe("info");
    expect(logLevelFrom({ NODE_ENV: "production" })).toBe("info");
    expect(logLevelFrom({ NODE_ENV: "test" })).toBe("warn");
  });
});
