import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BoundedLog, LocalProcessRegistry, NO_RUNTIME_REASON, createLocalRuntime, resolveCommandArgv } from "./local-process";
import { agentSpec, waitFor } from "./testing";
import type { AgentExit, AgentRuntime } from "./types";

const NODE = process.execPath;
let root: string;
const started: AgentRuntime[] = [];
const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/tmp/agent-home" };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "gastown-local-"));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

afterEach(async () => {
  // Never leave a child behind, even when a test fails half-way.
  for (const runtime of started.splice(0)) {
    for (const id of ["agent-1", "agent-2", "agent-3", "agent-4", "agent-5", "agent-6", "agent-7"]) await runtime.stop(id, "test cleanup");
  }
});

function runtimeFor(script: string, extra: Partial<Parameters<typeof createLocalRuntime>[0]> = {}) {
  const exits: Array<{ agentId: string; exit: AgentExit }> = [];
  const logLines: string[] = [];
  const runtime = createLocalRuntime({
    name: "test",
    argv: [NODE, "-e", script],
    workRoot: root,
    baseEnv,
    stopGraceMs: 300,
    onExit: (agentId, exit) => void exits.push({ agentId, exit }),
    log: (m) => logLines.push(m),
    ...extra,
  });
  started.push(runtime);
  return { runtime, exits, logLines };
}

describe("local runtime: env contract", () => {
  it("a child sees exactly PATH, HOME, the contract and the allowed town env vars, in its own working directory", async () => {
    const { runtime, exits } = runtimeFor(
      `require("fs").writeFileSync("env.json", JSON.stringify({ env: process.env, cwd: process.cwd() }))`,
    );
    const spec = agentSpec({
      agentId: "agent-1",
      role: "refinery",
      prUrl: "https://github.com/acme/widgets/pull/7",
      townEnv: { MY_FLAG: "on", NODE_OPTIONS: "--require /tmp/evil.js", PATH: "/evil", GASTOWN_AGENT_ID: "spoofed", LD_PRELOAD: "/x.so" },
    });
    const result = await runtime.start(spec);
    expect(result).toMatchObject({ started: true, pid: expect.any(Number), logPath: join(root, "logs", "agent-1.log") });
    await waitFor(() => exits.length === 1, 5000, "exit");

    const { env, cwd } = JSON.parse(readFileSync(join(root, "work", "agent-1", "env.json"), "utf8"));
    expect(cwd).toBe(join(root, "work", "agent-1"));
    expect(env).toEqual({
      PATH: baseEnv.PATH,
      HOME: baseEnv.HOME,
      MY_FLAG: "on",
      GASTOWN_API_URL: spec.apiUrl,
      GASTOWN_AGENT_TOKEN: spec.agentToken,
      GASTOWN_AGENT_ID: "agent-1",
      GASTOWN_AGENT_ROLE: "refinery",
      GASTOWN_TOWN_ID: spec.townId,
      GASTOWN_RIG_ID: spec.rigId,
      GASTOWN_BEAD_ID: spec.beadId,
      GASTOWN_BRANCH: spec.branch,
      GASTOWN_TARGET_BRANCH: spec.targetBranch,
      GASTOWN_PR_URL: "https://github.com/acme/widgets/pull/7",
      GASTOWN_GIT_URL: spec.gitUrl,
      GASTOWN_GIT_TOKEN: spec.gitToken,
      GASTOWN_PROMPT: spec.prompt,
    });
    expect(exits[0]).toMatchObject({ agentId: "agent-1", exit: { status: "completed", exitCode: 0 } });
  });
});

describe("local runtime: lifecycle", () => {
  it("reports exits through onExit and status: 0 → completed, non-zero → failed", async () => {
    const { runtime, exits } = runtimeFor(`process.exit(Number(process.env.WANT_CODE))`);
    await runtime.start(agentSpec({ agentId: "agent-2", townEnv: { WANT_CODE: "0" } }));
    await runtime.start(agentSpec({ agentId: "agent-3", townEnv: { WANT_CODE: "3" } }));
    await waitFor(() => exits.length === 2, 5000, "two exits");
    const byId = Object.fromEntries(exits.map((e) => [e.agentId, e.exit]));
    expect(byId["agent-2"]).toMatchObject({ status: "completed", exitCode: 0 });
    expect(byId["agent-3"]).toMatchObject({ status: "failed", exitCode: 3, reason: "exited with code 3" });
    const status = await runtime.status(["agent-2", "agent-3", "never-started"]);
    expect(status.get("agent-2")).toEqual({ status: "exited", exitCode: 0 });
    expect(status.get("agent-3")).toEqual({ status: "exited", exitCode: 3 });
    expect(status.get("never-started")).toEqual({ status: "not_found" });
  });

  it("a running agent reads as running; stop sends SIGTERM and a cooperative child exits before the grace period", async () => {
    const { runtime, exits } = runtimeFor(`console.log("ready"); setInterval(() => {}, 1000)`, { stopGraceMs: 5000 });
    await runtime.start(agentSpec({ agentId: "agent-4" }));
    await waitFor(async () => (await runtime.readLog("agent-4", 10_000))?.includes("ready") ?? false, 5000, "ready");
    expect((await runtime.status(["agent-4"])).get("agent-4")).toEqual({ status: "running" });
    const t0 = Date.now();
    expect(await runtime.stop("agent-4", "bead cancelled")).toEqual({ stopped: true });
    expect(Date.now() - t0).toBeLessThan(4000);
    await waitFor(() => exits.length === 1, 2000, "exit");
    expect(exits[0].exit).toMatchObject({ status: "failed", signal: "SIGTERM", stoppedWith: "bead cancelled", reason: "stopped: bead cancelled" });
  });

  it("SIGTERM → SIGKILL after the grace period for a child that ignores SIGTERM, including its own children", async () => {
    const grandchildPidFile = join(root, "grandchild.pid");
    const script = `
      const { spawn } = require("child_process");
      const g = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "ignore" });
      require("fs").writeFileSync(${JSON.stringify(grandchildPidFile)}, String(g.pid));
      process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
      console.log("ready");
      setInterval(() => {}, 1000);`;
    const { runtime, exits, logLines } = runtimeFor(script, { stopGraceMs: 400 });
    await runtime.start(agentSpec({ agentId: "agent-5" }));
    await waitFor(async () => (await runtime.readLog("agent-5", 10_000))?.includes("ready") ?? false, 5000, "ready");
    const t0 = Date.now();
    expect(await runtime.stop("agent-5", "force stop")).toEqual({ stopped: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    await waitFor(() => exits.length === 1, 2000, "exit");
    expect(exits[0].exit).toMatchObject({ signal: "SIGKILL", status: "failed", stoppedWith: "force stop" });
    expect(await runtime.readLog("agent-5", 10_000)).toContain("ignoring SIGTERM");
    expect(logLines.some((l) => l.includes("SIGKILL"))).toBe(true);
    // The grandchild was in the agent's process group and is gone too.
    const grandchild = Number(readFileSync(grandchildPidFile, "utf8"));
    await waitFor(() => {
      try {
        process.kill(grandchild, 0);
        return false;
      } catch {
        return true;
      }
    }, 3000, "grandchild gone");
  });

  it("starting an agent that is already running stops the old process first and does not report its exit", async () => {
    const { runtime, exits } = runtimeFor(`console.log("run " + process.env.RUN); setInterval(() => {}, 1000)`);
    const first = await runtime.start(agentSpec({ agentId: "agent-6", townEnv: { RUN: "one" } }));
    await waitFor(async () => (await runtime.readLog("agent-6", 10_000))?.includes("run one") ?? false, 5000, "first");
    const second = await runtime.start(agentSpec({ agentId: "agent-6", townEnv: { RUN: "two" } }));
    expect(first.started && second.started && first.pid !== second.pid).toBe(true);
    if (!first.started) throw new Error("unreachable");
    expect(() => process.kill(first.pid!, 0)).toThrow(); // old process is gone
    await waitFor(async () => (await runtime.readLog("agent-6", 10_000))?.includes("run two") ?? false, 5000, "second");
    expect((await runtime.status(["agent-6"])).get("agent-6")).toEqual({ status: "running" });
    await runtime.stop("agent-6", "done");
    await waitFor(() => exits.length === 1, 2000, "exit");
    expect(exits).toHaveLength(1); // only the second process reported
    expect(exits[0].exit.stoppedWith).toBe("done");
  });

  it("stop of an agent that is not running is a no-op success", async () => {
    const { runtime } = runtimeFor(`0`);
    expect(await runtime.stop("agent-7", "whatever")).toEqual({ stopped: true });
  });

  it("refuses cleanly without a configured command, with a missing program, and with an unsafe agent id", async () => {
    const none = createLocalRuntime({ workRoot: root });
    expect(none.kind).toBe("none");
    expect(await none.start(agentSpec())).toEqual({ started: false, reason: NO_RUNTIME_REASON });

    const missing = createLocalRuntime({ argv: [join(root, "no-such-program")], workRoot: root, baseEnv });
    const result = await missing.start(agentSpec({ agentId: "agent-1" }));
    expect(result).toEqual({ started: false, reason: "cannot start the agent command (ENOENT)" });

    const { runtime } = runtimeFor(`0`);
    expect(await runtime.start(agentSpec({ agentId: "../escape" }))).toEqual({ started: false, reason: "invalid agent id" });
    expect(existsSync(join(root, "escape"))).toBe(false);
  });

  it("shares one process table between runtimes of the same registry", async () => {
    const registry = new LocalProcessRegistry();
    const a = runtimeFor(`setInterval(() => {}, 1000)`, { registry });
    const b = createLocalRuntime({ name: "other", argv: [NODE, "-e", "0"], workRoot: root, registry });
    await a.runtime.start(agentSpec({ agentId: "agent-1" }));
    expect((await b.status(["agent-1"])).get("agent-1")).toEqual({ status: "running" });
    expect(await b.stop("agent-1", "rig deleted")).toEqual({ stopped: true });
    await waitFor(() => a.exits.length === 1, 2000, "exit");
  });

  it("never writes the agent token or git token to its diagnostics", async () => {
    const { runtime, exits, logLines } = runtimeFor(`process.exit(1)`);
    const spec = agentSpec({ agentId: "agent-2" });
    await runtime.start(spec);
    await waitFor(() => exits.length === 1, 5000, "exit");
    const text = logLines.join("\n") + (await runtime.readLog("agent-2", 100_000));
    expect(logLines.length).toBeGreaterThan(0);
    expect(text).not.toContain(spec.agentToken);
    expect(text).not.toContain(spec.gitToken!);
  });
});

describe("local runtime: bounded log", () => {
  it("keeps the log under the cap and keeps the newest output", async () => {
    const script = `
      const line = "x".repeat(1023) + "\\n";
      for (let i = 0; i < 3000; i++) process.stdout.write(line);
      process.stderr.write("to stderr\\n"); process.stdout.write("THE-END\\n");`;
    const cap = 64 * 1024;
    const { runtime, exits } = runtimeFor(script, { logMaxBytes: cap });
    const result = await runtime.start(agentSpec({ agentId: "agent-3" }));
    await waitFor(() => exits.length === 1, 10_000, "exit");
    await waitFor(async () => (await runtime.readLog("agent-3", cap))?.includes("THE-END") ?? false, 2000, "tail");
    if (!result.started) throw new Error("not started");
    expect(statSync(result.logPath!).size).toBeLessThanOrEqual(cap);
    await waitFor(async () => (await runtime.readLog("agent-3", 200))?.includes("exited with code 0") ?? false, 2000, "marker");
    const tail = await runtime.readLog("agent-3", 200);
    expect(Buffer.byteLength(tail!)).toBeLessThanOrEqual(200);
    expect(tail).toContain("exited with code 0");
  });

  it("BoundedLog drops the oldest part, marks it, and handles a single oversized chunk", () => {
    const path = join(root, "bounded.log");
    writeFileSync(path, "");
    const log = new BoundedLog(path, 100);
    for (let i = 0; i < 30; i++) log.append(`line ${String(i).padStart(2, "0")}\n`);
    const text = readFileSync(path, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100);
    expect(text).toContain("line 29");
    expect(text).not.toContain("line 00");
    log.append("y".repeat(500));
    expect(statSync(path).size).toBeLessThanOrEqual(100);
    expect(readFileSync(path, "utf8").endsWith("y".repeat(50))).toBe(true);
  });
});

describe("resolveCommandArgv", () => {
  it("makes relative script paths absolute against the app directory and leaves the rest alone", () => {
    const base = mkdtempSync(join(tmpdir(), "gastown-argv-"));
    writeFileSync(join(base, "agent.mjs"), "");
    try {
      expect(resolveCommandArgv(["node", "./agent.mjs", "agent.mjs", "--model=a/b", "anthropic/claude", "plain", "."], base)).toEqual([
        "node",
        join(base, "agent.mjs"),
        join(base, "agent.mjs"),
        "--model=a/b",
        "anthropic/claude",
        "plain",
        ".",
      ]);
      expect(resolveCommandArgv(["bin/run-agent"], base)).toEqual([join(base, "bin/run-agent")]);
      expect(resolveCommandArgv(["/usr/local/bin/run-claude"], base)).toEqual(["/usr/local/bin/run-claude"]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
