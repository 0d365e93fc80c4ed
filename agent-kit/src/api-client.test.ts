import { describe, expect, it } from "vitest";
import { AgentEnvError, createAgentApi, formatApiError, readAgentEnv, withoutToken, type AgentApiResult } from "./api-client";

const TOKEN = "gta_secret-token-0123456789abcdef";
const FRESH = "gta_fresh-token-fedcba9876543210";

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;
/** A fetch that records what was sent and answers with `handler`. */
function fakeFetch(handler: Handler) {
  const calls: { url: string; authorization: string | null; body: unknown }[] = [];
  const f = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({ url, authorization: new Headers(init.headers).get("authorization"), body: JSON.parse(String(init.body)) });
    return handler(url, init);
  }) as typeof fetch;
  return { fetch: f, calls };
}

const errorBody = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
  Response.json({ error: { code, message, ...extra } }, { status });

const failed = (r: AgentApiResult) => {
  if (r.ok) throw new Error("expected a failure");
  return r;
};

describe("createAgentApi", () => {
  it("posts the body with the bearer token to /api/agent/<tool> and returns the JSON answer", async () => {
    const { fetch, calls } = fakeFetch(() => Response.json({ bead: { id: "b1" } }));
    const api = createAgentApi({ apiUrl: "http://api.test/", token: TOKEN, fetch });
    const result = await api.call("gt_bead_status", { bead_id: "b1" });
    expect(result).toEqual({ ok: true, status: 200, body: { bead: { id: "b1" } } });
    expect(calls).toEqual([{ url: "http://api.test/api/agent/gt_bead_status", authorization: `Bearer ${TOKEN}`, body: { bead_id: "b1" } }]);
  });

  it("turns the error envelope into code, message and issues, formatted as one actionable line", async () => {
    const { fetch } = fakeFetch(() =>
      errorBody(400, "invalid_body", "✖ A title is required.\n  → at title", { issues: [{ path: ["title"], message: "A title is required.", code: "too_small" }] }),
    );
    const result = failed(await createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch }).call("gt_sling", { rig_id: "r" }));
    expect(result).toMatchObject({ status: 400, code: "invalid_body", issues: [{ path: ["title"], message: "A title is required." }] });
    expect(formatApiError(result)).toBe("400 invalid_body: title: A title is required.");
  });

  it("formats nested issue paths, several issues, and refusals without issues", () => {
    expect(
      formatApiError({
        ok: false,
        status: 400,
        code: "invalid_body",
        message: "x",
        issues: [
          { path: ["tasks", 0, "title"], message: "A title is required." },
          { path: [], message: "Nothing to update." },
        ],
      }),
    ).toBe("400 invalid_body: tasks[0].title: A title is required.; Nothing to update.");
    expect(formatApiError({ ok: false, status: 403, code: "forbidden", message: "gt_sling is for the mayor; you are a polecat." })).toBe(
      "403 forbidden: gt_sling is for the mayor; you are a polecat. (this tool is not for your role)",
    );
    expect(formatApiError({ ok: false, status: 503, code: "http_503", message: "down" })).toContain("safe to retry");
  });

  it("answers a non-JSON error page with its status and the start of its text", async () => {
    const { fetch } = fakeFetch(() => new Response("<html>Bad gateway</html>", { status: 502 }));
    const result = failed(await createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch }).call("gt_prime"));
    expect(result).toMatchObject({ status: 502, code: "http_502" });
    expect(result.message).toContain("Bad gateway");
  });

  it("reports a network error and a timeout as status 0 without throwing", async () => {
    const down = createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch: (async () => Promise.reject(new TypeError("fetch failed"))) as typeof fetch });
    expect(failed(await down.call("gt_prime"))).toMatchObject({ status: 0, code: "network_error" });

    const hung = (async (_: unknown, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal!.addEventListener("abort", () => reject(init.signal!.reason)))) as typeof fetch;
    const slow = createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch: hung, timeoutMs: 20 });
    expect(failed(await slow.call("gt_prime"))).toMatchObject({ status: 0, code: "timeout" });
  });

  it("never lets the token through an error, even when the server or the network echoes it", async () => {
    const echoing = fakeFetch((_, init) => {
      const auth = new Headers(init.headers).get("authorization");
      return errorBody(401, "unauthorized", `bad header ${auth}`, { issues: [{ path: ["h"], message: `saw ${auth}` }] });
    });
    const result = failed(await createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch: echoing.fetch }).call("gt_prime"));
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(formatApiError(result)).not.toContain(TOKEN);
    expect(formatApiError(result)).toContain("[redacted]");

    const throwing = createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch: (async () => Promise.reject(new Error(`socket closed for ${TOKEN}`))) as typeof fetch });
    expect(JSON.stringify(await throwing.call("gt_prime"))).not.toContain(TOKEN);

    const page = fakeFetch(() => new Response(`proxy refused Bearer ${TOKEN}`, { status: 502 }));
    expect(JSON.stringify(await createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch: page.fetch }).call("gt_prime"))).not.toContain(TOKEN);
  });

  it("does not expose the token as a property of the client", () => {
    const api = createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch: fakeFetch(() => Response.json({})).fetch });
    expect(JSON.stringify(api)).not.toContain(TOKEN);
    expect(Object.values(api).some((v) => v === TOKEN)).toBe(false);
  });

  it("switches to the token a heartbeat answer carries, and redacts the old and the new one", async () => {
    const refreshed: string[] = [];
    const { fetch, calls } = fakeFetch((url) =>
      url.endsWith("gt_heartbeat") ? Response.json({ ok: true, nudges: [], mail: [], token: FRESH }) : errorBody(404, "not_found", `no bead (${TOKEN} / ${FRESH})`),
    );
    const api = createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch, onTokenRefresh: (t) => refreshed.push(t) });
    expect((await api.heartbeat({ status: "waiting" })).ok).toBe(true);
    const after = failed(await api.call("gt_bead_status", { bead_id: "x" }));
    expect(calls.map((c) => c.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${FRESH}`]);
    expect(calls[0].body).toEqual({ status: "waiting" });
    expect(refreshed).toEqual([FRESH]);
    expect(after.message).toBe("no bead ([redacted] / [redacted])");
  });

  it("setToken is used from the next call on", async () => {
    const { fetch, calls } = fakeFetch(() => Response.json({}));
    const api = createAgentApi({ apiUrl: "http://api.test", token: TOKEN, fetch });
    api.setToken(FRESH);
    await api.call("gt_prime");
    expect(calls[0].authorization).toBe(`Bearer ${FRESH}`);
    expect(api.redact(`a ${TOKEN} b ${FRESH}`)).toBe("a [redacted] b [redacted]");
  });

  it("withoutToken hides a refreshed token from what a model or a log sees", () => {
    expect(JSON.stringify(withoutToken({ ok: true, token: FRESH }))).not.toContain(FRESH);
    expect(withoutToken({ ok: true })).toEqual({ ok: true });
    expect(withoutToken([1])).toEqual([1]);
  });
});

describe("readAgentEnv", () => {
  const full = { GASTOWN_API_URL: "http://127.0.0.1:3000", GASTOWN_AGENT_TOKEN: TOKEN, GASTOWN_AGENT_ROLE: "polecat", GASTOWN_AGENT_ID: "a1", GASTOWN_BEAD_ID: "" };

  it("reads the contract", () => {
    expect(readAgentEnv(full)).toMatchObject({ apiUrl: "http://127.0.0.1:3000", token: TOKEN, role: "polecat", agentId: "a1", beadId: undefined });
  });

  it("names each missing variable, and a malformed one without its value", () => {
    const missing = (() => {
      try {
        readAgentEnv({ GASTOWN_AGENT_ROLE: "captain", GASTOWN_API_URL: `ftp://host/${TOKEN}` });
      } catch (e) {
        return e as AgentEnvError;
      }
      throw new Error("expected a throw");
    })();
    expect(missing).toBeInstanceOf(AgentEnvError);
    expect(missing.variables.sort()).toEqual(["GASTOWN_AGENT_ROLE", "GASTOWN_AGENT_TOKEN", "GASTOWN_API_URL"]);
    expect(missing.message).toContain("GASTOWN_AGENT_TOKEN is not set");
    expect(missing.message).toContain("GASTOWN_AGENT_ROLE must be one of mayor, polecat, refinery");
    expect(missing.message).toContain("GASTOWN_API_URL must be an http(s) URL");
    expect(missing.message).not.toContain("captain");
    expect(missing.message).not.toContain(TOKEN);
  });

  it("counts an empty token as missing", () => {
    expect(() => readAgentEnv({ ...full, GASTOWN_AGENT_TOKEN: "" })).toThrow("GASTOWN_AGENT_TOKEN is not set");
  });
});
