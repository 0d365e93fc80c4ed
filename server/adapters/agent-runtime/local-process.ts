import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import {
  buildAgentEnv,
  isSafeAgentId,
  type AgentExit,
  type AgentExitListener,
  type AgentRuntime,
  type AgentStartSpec,
  type RuntimeAgentStatus,
  type StartResult,
  type StopResult,
} from "./types";

/**
 * The `local` runtime (SPEC.md §4.4): one child process per agent on this instance.
 *
 * - The command comes only from the operator's named list, already split into argv; it is spawned
 *   without a shell, so nothing in a spec can become shell syntax.
 * - cwd is `<workRoot>/work/<agentId>` (kept across dispatches: the agent reuses its checkout); the
 *   log is `<workRoot>/logs/<agentId>.log`, capped at `logMaxBytes` by dropping the oldest part.
 * - env = PATH and HOME of the host + the env contract (buildAgentEnv); nothing else of ours leaks in.
 * - The child leads its own process group, so `stop` (SIGTERM, then SIGKILL after the grace period)
 *   also reaches the tools it started (git, test runners).
 * - Process bookkeeping lives in a `LocalProcessRegistry` shared by every local runtime of the
 *   instance, so status and stop work whichever named command started the agent. After a restart of
 *   the app the registry is empty and agents read as `not_found` (DOMAIN.md §3.3 has the grace period).
 */

export const DEFAULT_LOCAL_STOP_GRACE_MS = 10_000;
export const DEFAULT_LOCAL_LOG_MAX_BYTES = 1024 * 1024;
export const NO_RUNTIME_REASON = "no agent runtime configured";

interface Running {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  stopReason?: string;
  /** Replaced by a newer start of the same agent: its exit belongs to an old dispatch and is not reported. */
  superseded: boolean;
}

/** In-memory process table of one app instance. */
export class LocalProcessRegistry {
  readonly running = new Map<string, Running>();
  readonly lastExit = new Map<string, { exitCode: number | null }>();
}

export interface LocalRuntimeOptions {
  /** Operator name of the command (for display and errors). */
  name?: string | null;
  /** argv of the operator's command; undefined = no command configured (start refuses cleanly). */
  argv?: string[];
  /** Root of working directories and logs; relative paths resolve against the process cwd. */
  workRoot: string;
  /** Host variables every agent inherits (PATH, HOME). */
  baseEnv?: Record<string, string>;
  stopGraceMs?: number;
  logMaxBytes?: number;
  /** Called once per process exit (not for a process replaced by a newer start of the same agent). */
  onExit?: AgentExitListener;
  registry?: LocalProcessRegistry;
  /** Diagnostics sink (agent id, pid, exit codes; never env values). */
  log?: (message: string) => void;
}

/**
 * Make argv entries that name existing files relative to `baseDir` absolute: agents run in their own
 * working directory, so `node scripts/test-agent.mjs` must not be resolved against it.
 */
export function resolveCommandArgv(argv: string[], baseDir: string): string[] {
  return argv.map((arg, i) => {
    if (arg === "" || arg.startsWith("-") || isAbsolute(arg)) return arg;
    // argv[0] with a slash is a path by definition (execvp semantics); without one it is looked up in PATH.
    if (i === 0) return arg.includes("/") ? resolve(baseDir, arg) : arg;
    // Later entries only when they name an existing file (a script), so words like `run` or `a/b` stay.
    const candidate = resolve(baseDir, arg);
    return isFile(candidate) ? candidate : arg;
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Append to a log file, keeping it under `maxBytes` by dropping its oldest part. */
export class BoundedLog {
  private size: number;
  constructor(
    readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.size = existsSync(path) ? statSync(path).size : 0;
  }

  append(chunk: Buffer | string): void {
    const data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    try {
      if (data.length >= this.maxBytes) {
        // A single chunk bigger than the cap: keep its tail only.
        this.rewrite(data.subarray(data.length - Math.floor(this.maxBytes / 2)));
        return;
      }
      if (this.size + data.length > this.maxBytes) {
        // Keep the newest half of the cap, then append; amortises the rewrite over many writes.
        const keep = Math.max(0, Math.floor(this.maxBytes / 2) - data.length);
        this.rewrite(Buffer.concat([readTail(this.path, keep), data]));
        return;
      }
      appendFileSync(this.path, data);
      this.size += data.length;
    } catch {
      // A full disk or a removed directory must not take the app down; the agent keeps running.
    }
  }

  private rewrite(tail: Buffer): void {
    const marker = Buffer.from("[… earlier output dropped: log capped …]\n");
    const content = marker.length + tail.length <= this.maxBytes ? Buffer.concat([marker, tail]) : tail;
    writeFileSync(this.path, content);
    this.size = content.length;
  }
}

function readTail(path: string, maxBytes: number): Buffer {
  if (maxBytes <= 0 || !existsSync(path)) return Buffer.alloc(0);
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // the whole process group (the child leads it)
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

export function createLocalRuntime(options: LocalRuntimeOptions): AgentRuntime {
  const registry = options.registry ?? new LocalProcessRegistry();
  const workRoot = resolve(options.workRoot);
  const stopGraceMs = options.stopGraceMs ?? DEFAULT_LOCAL_STOP_GRACE_MS;
  const logMaxBytes = options.logMaxBytes ?? DEFAULT_LOCAL_LOG_MAX_BYTES;
  const log = options.log ?? (() => {});
  const logPathOf = (agentId: string) => join(workRoot, "logs", `${agentId}.log`);

  async function stopProcess(agentId: string, proc: Running, reason: string): Promise<void> {
    if (proc.exit) return;
    proc.stopReason ??= reason;
    signalGroup(proc.pid, "SIGTERM");
    const exitedInTime = await Promise.race([proc.exited.then(() => true), delay(stopGraceMs).then(() => false)]);
    if (!exitedInTime) {
      log(`agent ${agentId} (pid ${proc.pid}) ignored SIGTERM for ${stopGraceMs} ms; sending SIGKILL`);
      signalGroup(proc.pid, "SIGKILL");
      await Promise.race([proc.exited, delay(5_000)]);
    }
  }

  const runtime: AgentRuntime = {
    kind: options.argv ? "local" : "none",
    name: options.name ?? null,

    async start(spec: AgentStartSpec): Promise<StartResult> {
      if (!options.argv || options.argv.length === 0) return { started: false, reason: NO_RUNTIME_REASON };
      if (!isSafeAgentId(spec.agentId)) return { started: false, reason: "invalid agent id" };
      const agentId = spec.agentId;

      // A second start of the same agent replaces the first (DOMAIN.md §11 item 27): stop the old
      // process and forget its exit, which would otherwise report on the new dispatch.
      const previous = registry.running.get(agentId);
      if (previous) {
        previous.superseded = true;
        await stopProcess(agentId, previous, "replaced by a new dispatch");
      }

      const cwd = join(workRoot, "work", agentId);
      const logPath = logPathOf(agentId);
      let output: BoundedLog;
      try {
        mkdirSync(cwd, { recursive: true });
        mkdirSync(join(workRoot, "logs"), { recursive: true });
        output = new BoundedLog(logPath, logMaxBytes);
      } catch (error) {
        return { started: false, reason: `cannot prepare the working directory (${(error as NodeJS.ErrnoException).code ?? "error"})` };
      }
      output.append(`=== ${new Date().toISOString()} start ${spec.role} agent ${agentId}${spec.beadId ? ` on bead ${spec.beadId}` : ""} ===\n`);

      // Exactly these variables, nothing inherited (the cast only satisfies Next's ProcessEnv typing,
      // which declares NODE_ENV as always present).
      const env = { ...(options.baseEnv ?? {}), ...buildAgentEnv(spec) } as NodeJS.ProcessEnv;
      const [command, ...args] = options.argv;
      let child: ChildProcess;
      try {
        child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true, shell: false });
      } catch (error) {
        return { started: false, reason: `cannot start the agent command (${(error as NodeJS.ErrnoException).code ?? "error"})` };
      }

      // 'spawn' or 'error' tells whether the program could be executed at all (ENOENT, EACCES…).
      const spawned = await new Promise<{ ok: true } | { ok: false; code: string }>((resolveSpawn) => {
        child.once("spawn", () => resolveSpawn({ ok: true }));
        child.once("error", (error: NodeJS.ErrnoException) => resolveSpawn({ ok: false, code: error.code ?? "error" }));
      });
      if (!spawned.ok || child.pid === undefined) {
        const reason = `cannot start the agent command (${spawned.ok ? "no pid" : spawned.code})`;
        output.append(`=== ${reason} ===\n`);
        return { started: false, reason };
      }

      child.stdout?.on("data", (chunk: Buffer) => output.append(chunk));
      child.stderr?.on("data", (chunk: Buffer) => output.append(chunk));
      // 'exit' can come before the last output is read; 'close' waits for the pipes, unless a leftover
      // grandchild holds them open, hence the bound.
      const outputDrained = new Promise<void>((r) => child.once("close", () => r()));

      let markExited: () => void = () => {};
      const proc: Running = {
        child,
        pid: child.pid,
        exited: new Promise<void>((r) => (markExited = r)),
        superseded: false,
      };
      registry.running.set(agentId, proc);
      registry.lastExit.delete(agentId);

      child.on("error", () => {
        // Errors after spawn (e.g. a failed kill) surface through 'exit'; listening keeps them from crashing us.
      });
      child.once("exit", (code, signal) => {
        proc.exit = { code, signal };
        if (registry.running.get(agentId) === proc) {
          registry.running.delete(agentId);
          registry.lastExit.set(agentId, { exitCode: code });
        }
        const exit: AgentExit = {
          status: code === 0 ? "completed" : "failed",
          reason: proc.stopReason
            ? `stopped: ${proc.stopReason}`
            : code !== null
              ? `exited with code ${code}`
              : `killed by ${signal ?? "a signal"}`,
          exitCode: code,
          signal,
          ...(proc.stopReason ? { stoppedWith: proc.stopReason } : {}),
        };
        const exitedAt = new Date().toISOString();
        void Promise.race([outputDrained, delay(1_000)]).then(() => output.append(`=== ${exitedAt} ${exit.reason} ===\n`));
        log(`agent ${agentId} (pid ${proc.pid}) ${exit.reason}`);
        markExited();
        if (!proc.superseded && options.onExit) {
          Promise.resolve()
            .then(() => options.onExit?.(agentId, exit))
            .catch(() => log(`onExit listener failed for agent ${agentId}`));
        }
      });

      log(`agent ${agentId} started (pid ${proc.pid})`);
      return { started: true, pid: proc.pid, logPath };
    },

    async stop(agentId: string, reason: string): Promise<StopResult> {
      const proc = registry.running.get(agentId);
      // Not running here is the goal state of a stop, not an error.
      if (!proc) return { stopped: true };
      await stopProcess(agentId, proc, reason);
      return proc.exit ? { stopped: true } : { stopped: false, reason: "the process did not exit after SIGKILL" };
    },

    async status(agentIds: string[]): Promise<Map<string, RuntimeAgentStatus>> {
      const result = new Map<string, RuntimeAgentStatus>();
      for (const agentId of agentIds) {
        const proc = registry.running.get(agentId);
        const last = registry.lastExit.get(agentId);
        if (proc && !proc.exit) result.set(agentId, { status: "running" });
        else if (last) result.set(agentId, { status: "exited", exitCode: last.exitCode });
        else result.set(agentId, { status: "not_found" });
      }
      return result;
    },

    async readLog(agentId: string, maxBytes: number): Promise<string | null> {
      if (!isSafeAgentId(agentId)) return null;
      const path = logPathOf(agentId);
      if (!existsSync(path)) return null;
      try {
        return readTail(path, Math.max(0, maxBytes)).toString("utf8");
      } catch {
        return null;
      }
    },
  };
  return runtime;
}
