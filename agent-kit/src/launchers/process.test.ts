import { describe, expect, it } from "vitest";
import { runAgentProcess } from "./process";

// The launcher's child (Claude Code / Codex) is stopped when the launcher is told to stop: SIGTERM first,
// SIGKILL after the grace period for a child that ignores it. Output arrives line by line.

const node = process.execPath;

describe("runAgentProcess", () => {
  it("hands over stdout line by line and reports the exit code", async () => {
    const lines: string[] = [];
    const res = await runAgentProcess({ command: node, args: ["-e", "process.stdout.write('a\\nb\\nc'); process.exit(3)"], cwd: process.cwd(), env: process.env, onLine: (l) => lines.push(l) });
    expect(lines).toEqual(["a", "b", "c"]);
    expect(res).toMatchObject({ code: 3, stopped: false });
  });

  it("a stop sends SIGTERM to the agent, which ends, and the result says it was stopped", async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const script = "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(143); }); console.log('ready'); setInterval(() => {}, 1000);";
    const run = runAgentProcess({ command: node, args: ["-e", script], cwd: process.cwd(), env: process.env, onLine: (l) => lines.push(l), stop: stop.signal, graceMs: 10_000 });
    while (!lines.includes("ready")) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const res = await run;
    expect(lines).toContain("got SIGTERM");
    expect(res).toMatchObject({ code: 143, stopped: true });
  });

  it("an agent that ignores SIGTERM is killed after the grace period", async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const script = "process.on('SIGTERM', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000);";
    const run = runAgentProcess({ command: node, args: ["-e", script], cwd: process.cwd(), env: process.env, onLine: (l) => lines.push(l), stop: stop.signal, graceMs: 200 });
    while (!lines.includes("ready")) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const res = await run;
    expect(lines).toContain("ignored");
    expect(res).toMatchObject({ signal: "SIGKILL", stopped: true });
  });

  it("a missing binary is a spawn error, not a crash", async () => {
    const res = await runAgentProcess({ command: "/nonexistent/claude", args: [], cwd: process.cwd(), env: process.env, onLine: () => {} });
    expect(res.spawnError).toBe("ENOENT");
  });
});
