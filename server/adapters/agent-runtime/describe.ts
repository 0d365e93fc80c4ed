import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { AgentRole } from "./types";

// What the Settings page tells a town owner about an operator's named command (issue: "which roles it
// serves and whether its binary is found"): nobody can see or type the command line in the browser, but
// the owner must learn before picking it that `claude` is not installed on this server.

export interface BinaryCheck {
  /** what the command runs, as the operator wrote it (no secrets live in an argv) */
  name: string;
  /** where it was found, or null */
  path: string | null;
  found: boolean;
}

export interface CommandDescription {
  /** `claude` / `codex` when the command is the agent kit's launcher, else null */
  agent: "claude" | "codex" | null;
  roles: AgentRole[];
  /** the program started (node, a script…) and, for the kit, the coding agent it drives */
  binaries: BinaryCheck[];
}

const ALL_ROLES: AgentRole[] = ["mayor", "polecat", "refinery"];

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** execvp-style lookup: a name with a slash is a path (relative to `baseDir`), else searched in PATH. */
export function findBinary(name: string, baseDir: string, pathEnv: string | undefined): BinaryCheck {
  if (name.includes("/") || isAbsolute(name)) {
    const path = resolve(baseDir, name);
    return { name, path: isExecutableFile(path) ? path : null, found: isExecutableFile(path) };
  }
  for (const dir of (pathEnv ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return { name, path: candidate, found: true };
  }
  return { name, path: null, found: false };
}

/** Describes one local command: the kit's `gastown-agent … run <agent> [--bin <path>]` is recognised;
 *  any other command is started for every role, so it serves them all. */
export function describeLocalCommand(argv: string[], baseDir: string, pathEnv = process.env.PATH): CommandDescription {
  const binaries = argv.length ? [findBinary(argv[0], baseDir, pathEnv)] : [];
  const kitAt = argv.findIndex((a) => /(^|\/)gastown-agent(\.mjs)?$/.test(a));
  const runAt = kitAt >= 0 ? argv.indexOf("run", kitAt + 1) : -1;
  const agent = runAt >= 0 ? argv[runAt + 1] : undefined;
  if (agent !== "claude" && agent !== "codex") return { agent: null, roles: ALL_ROLES, binaries };
  const binFlag = argv.findIndex((a, i) => i > runAt && (a === "--bin" || a.startsWith("--bin=")));
  const bin = binFlag < 0 ? agent : argv[binFlag].startsWith("--bin=") ? argv[binFlag].slice("--bin=".length) : (argv[binFlag + 1] ?? agent);
  return { agent, roles: ALL_ROLES, binaries: [...binaries, findBinary(bin, baseDir, pathEnv)] };
}
