import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createHttpRuntime } from "./http";
import { agentSpec, startFakeRuntime, type FakeRuntimeServer } from "./testing";
import type { AgentRuntime } from "./types";

let server: FakeRuntimeServer;
let runtime: AgentRuntime;

beforeAll(async () => {
  server = await startFakeRuntime();
  runtime = createHttpRuntime({ name: "remote", url: server.url + "/", secret: server.secret, timeoutMs: 300 });
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  server.calls.splice(0);
  server.agents.clear();
  for (const e of ["start", "stop", "status"] as const) server.behave(e, "ok");
});

describe("http runtime protocol", () => {
  it("starts an agent with the snake_case body, the env contract and the bearer secret", async () => {
    const spec = agentSpec({ agentId: "agent-9", role: "refinery", prUrl: "https://github.com/acme/widgets/pull/4", townEnv: { FOO: "bar", LD_PRELOAD: "x" } });
    expect(await runtime.start(spec)).toEqual({ started: true });
    expect(server.calls).toHaveLength(1);
    const call = server.calls[0];
    expect(call).toMatchObject({ method: "POST", path: "/agents/start", authorized: true });
    expect(call.body).toEqual({
      agent_id: "agent-9",
      role: "refinery",
      town_id: spec.townId,
      rig_id: spec.rigId,
      bead_id: spec.beadId,
      branch: spec.branch,
      target_branch: spec.targetBranch,
      pr_url: "https://github.com/acme/widgets/pull/4",
      git_url: spec.gitUrl,
      prompt: spec.prompt,
      env: expect.objectContaining({
        FOO: "bar",
        GASTOWN_AGENT_ID: "agent-9",
        GASTOWN_AGENT_TOKEN: spec.agentToken,
        GASTOWN_GIT_TOKEN: spec.gitToken,
        GASTOWN_PR_URL: "https://github.com/acme/widgets/pull/4",
      }),
    });
    expect((call.body as { env: Record<string, string> }).env).not.toHaveProperty("LD_PRELOAD");
  });

  it("reads status and stops an agent", async () => {
    await runtime.start(agentSpec({ agentId: "agent-1" }));
    expect(await runtime.status(["agent-1", "agent-2"])).toEqual(
      new Map([
        ["agent-1", { status: "running" }],
        ["agent-2", { status: "not_found" }],
      ]),
    );
    expect(await runtime.stop("agent-1", "bead cancelled")).toEqual({ stopped: true });
    const stopCall = server.calls.find((c) => c.path === "/agents/agent-1/stop");
    expect(stopCall).toMatchObject({ method: "POST", body: { reason: "bead cancelled" }, authorized: true });
    expect((await runtime.status(["agent-1"])).get("agent-1")).toEqual({ status: "exited", exitCode: 143 });
    expect(server.calls.filter((c) => c.method === "GET").every((c) => c.authorized)).toBe(true);
  });

  it("stop of an agent the runtime does not know (404) is success", async () => {
    expect(await runtime.stop("ghost", "cleanup")).toEqual({ stopped: true });
  });

  it("a wrong secret is refused by the server and reported as not started", async () => {
    const wrong = createHttpRuntime({ url: server.url, secret: "not-the-secret", timeoutMs: 300 });
    const result = await wrong.start(agentSpec());
    expect(result).toEqual({ started: false, reason: "runtime answered 401: unauthorized" });
    expect(server.calls[0].authorized).toBe(false);
  });

  it.each([
    ["an error status", { status: 503, body: { error: "draining" } }, "runtime answered 503: draining"],
    ["an explicit refusal", { status: 200, body: { started: false, reason: "at capacity" } }, "runtime refused: at capacity"],
    ["a malformed answer", "malformed" as const, "runtime sent an invalid start answer"],
  ])("start returns started:false on %s", async (_label, behaviour, reason) => {
    server.behave("start", behaviour);
    expect(await runtime.start(agentSpec())).toEqual({ started: false, reason });
  });

  it("a hanging runtime times out: start → started:false, stop → stopped:false, status → left out", async () => {
    server.behave("start", "hang");
    server.behave("stop", "hang");
    server.behave("status", "hang");
    const t0 = Date.now();
    expect(await runtime.start(agentSpec())).toEqual({ started: false, reason: "runtime timed out after 300 ms" });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await runtime.stop("agent-1", "x")).toEqual({ stopped: false, reason: "runtime timed out after 300 ms" });
    expect((await runtime.status(["agent-1"])).size).toBe(0);
  });

  it("an unreachable runtime is a clean refusal", async () => {
    const closed = await startFakeRuntime();
    const url = closed.url;
    await closed.close();
    const gone = createHttpRuntime({ url, secret: "s", timeoutMs: 300 });
    expect(await gone.start(agentSpec())).toEqual({ started: false, reason: "runtime unreachable" });
    expect((await gone.status(["agent-1"])).size).toBe(0);
  });

  it("status answers that are errors or malformed are left out, never turned into not_found", async () => {
    await runtime.start(agentSpec({ agentId: "agent-1" }));
    server.behave("status", { status: 500, body: { error: "boom" } });
    expect((await runtime.status(["agent-1"])).size).toBe(0);
    server.behave("status", { status: 404, body: "<html>wrong path</html>" });
    expect((await runtime.status(["agent-1"])).size).toBe(0);
    server.behave("status", "malformed");
    expect((await runtime.status(["agent-1"])).size).toBe(0);
  });

  it("never logs or returns the runtime secret", async () => {
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m));
    try {
      // A runtime that echoes the bearer it received must not get it into our reasons.
      server.behave("start", { status: 500, body: { error: `bad auth header Bearer ${server.secret}` } });
      server.behave("stop", { status: 502, body: { reason: server.secret } });
      const results: unknown[] = [await runtime.start(agentSpec()), await runtime.stop("a", "b"), await runtime.status(["a"])];
      expect(results[0]).toEqual({ started: false, reason: "runtime answered 500: bad auth header Bearer [REDACTED]" });
      server.behave("start", { status: 200, body: { started: false, reason: `token ${server.secret} rejected` } });
      results.push(await runtime.start(agentSpec()));
      server.behave("start", "hang");
      results.push(await runtime.start(agentSpec()));
      expect(JSON.stringify(results, (_k, v) => (v instanceof Map ? [...v] : v))).not.toContain(server.secret);
      expect(spies.flatMap((s) => s.mock.calls).flat().join(" ")).not.toContain(server.secret);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });

  it("readLog is not part of the protocol", async () => {
    expect(await runtime.readLog("agent-1", 100)).toBeNull();
    expect(runtime.kind).toBe("http");
  });
});
