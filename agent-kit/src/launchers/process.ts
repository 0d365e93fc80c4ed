import { spawn } from "node:child_process";

// Runs the coding agent's CLI as a child of the launcher and hands its output over line by line.
//
// The child is NOT detached: it stays in the launcher's process group, which the `local` runtime leads
// and signals as a whole (SIGTERM, then SIGKILL after the grace period), so the agent, its MCP server and
// the commands it runs are all reached even if the launcher itself were stuck. When the launcher alone is
// told to stop (its `stop` signal aborts), it forwards SIGTERM to the child and SIGKILLs it after
// `graceMs`.

export interface AgentProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Each line of stdout (stderr lines are passed to onStderr). */
  onLine: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Aborted when the launcher is asked to stop. */
  stop?: AbortSignal;
  graceMs?: number;
  /** Text written to stdin, then closed (Codex reads the prompt from stdin when given `-`). */
  stdin?: string;
}

export interface AgentProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The launcher stopped it. */
  stopped: boolean;
  /** It could not be started at all (ENOENT…). */
  spawnError?: string;
}

function splitLines(onLine: (line: string) => void) {
  let buffer = "";
  return {
    push(chunk: Buffer | string) {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    },
    flush() {
      if (buffer) onLine(buffer);
      buffer = "";
    },
  };
}

export function runAgentProcess(options: AgentProcessOptions): Promise<AgentProcessResult> {
  return new Promise((resolve) => {
    let stopped = false;
    const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out = splitLines(options.onLine);
    const err = splitLines(options.onStderr ?? options.onLine);
    child.stdout?.on("data", (d: Buffer) => out.push(d));
    child.stderr?.on("data", (d: Buffer) => err.push(d));
    if (options.stdin !== undefined && child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(options.stdin);
    }
    let killTimer: NodeJS.Timeout | undefined;
    const onStop = () => {
      stopped = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), options.graceMs ?? 5_000);
      killTimer.unref?.();
    };
    if (options.stop?.aborted) onStop();
    else options.stop?.addEventListener("abort", onStop, { once: true });
    child.once("error", (error: NodeJS.ErrnoException) => {
      options.stop?.removeEventListener("abort", onStop);
      resolve({ code: null, signal: null, stopped, spawnError: error.code ?? error.message });
    });
    child.once("close", (code, signal) => {
      out.flush();
      err.flush();
      if (killTimer) clearTimeout(killTimer);
      options.stop?.removeEventListener("abort", onStop);
      resolve({ code, signal, stopped });
    });
  });
}
