#!/usr/bin/env node
// Installs the Claude Code CLI the agent kit's end-to-end test drives, into a git-ignored cache
// (.cache/claude-code), NOT as a dependency of the app (it is ~385 MB). Idempotent: a cached binary of the
// pinned version is reused. Offline-friendly: only the npm registry is needed (the Linux binary comes as
// the optional dependency @anthropic-ai/claude-code-linux-x64). About 12–31 s the first time.
//
//   node agent-kit/scripts/install-claude.mjs          install if missing; prints the binary's path
//   node agent-kit/scripts/install-claude.mjs --check  only report; exit 1 when it is not installed
//
// On failure it exits 1 and writes the reason to .cache/claude-code/UNAVAILABLE, which the test reports
// as its skip reason. The module also exports the helpers the test uses.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CLAUDE_CODE_VERSION = "2.1.328";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLAUDE_CACHE_DIR = process.env.GASTOWN_CLAUDE_CACHE_DIR ?? path.join(ROOT, ".cache", "claude-code");
export const CLAUDE_BIN = path.join(CLAUDE_CACHE_DIR, "node_modules", ".bin", "claude");
const UNAVAILABLE = path.join(CLAUDE_CACHE_DIR, "UNAVAILABLE");

/** The installed version, or null (missing, or it does not run here). */
export function installedClaudeVersion() {
  if (!existsSync(CLAUDE_BIN)) return null;
  const r = spawnSync(CLAUDE_BIN, ["--version"], { encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: path.join(CLAUDE_CACHE_DIR, "home") } });
  const m = r.status === 0 ? r.stdout.match(/(\d+\.\d+\.\d+)/) : null;
  return m ? m[1] : null;
}

/** Why the binary is unavailable (the last install's failure), or a generic reason. */
export function unavailableReason() {
  if (existsSync(UNAVAILABLE)) return readFileSync(UNAVAILABLE, "utf8").trim();
  return `Claude Code ${CLAUDE_CODE_VERSION} is not installed in ${path.relative(ROOT, CLAUDE_CACHE_DIR)} (run: node agent-kit/scripts/install-claude.mjs)`;
}

/**
 * Installs when missing.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {{ ok: true, bin: string } | { ok: false, reason: string }}
 */
export function ensureClaude({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (installedClaudeVersion() === CLAUDE_CODE_VERSION) return { ok: true, bin: CLAUDE_BIN };
  mkdirSync(path.join(CLAUDE_CACHE_DIR, "home"), { recursive: true });
  rmSync(UNAVAILABLE, { force: true });
  if (!existsSync(path.join(CLAUDE_CACHE_DIR, "package.json"))) {
    writeFileSync(path.join(CLAUDE_CACHE_DIR, "package.json"), JSON.stringify({ name: "gastown-claude-code-cache", private: true }, null, 2));
  }
  const started = Date.now();
  log(`installing @anthropic-ai/claude-code@${CLAUDE_CODE_VERSION} into ${path.relative(ROOT, CLAUDE_CACHE_DIR)} …`);
  try {
    execFileSync("npm", ["install", "--prefix", CLAUDE_CACHE_DIR, `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`, "--no-audit", "--no-fund", "--no-save", "--loglevel=error"], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 240_000,
      encoding: "utf8",
    });
  } catch (error) {
    const detail = String(error.stderr ?? error.message ?? error).trim().split("\n").slice(-3).join(" ").slice(0, 500);
    const reason = `Claude Code ${CLAUDE_CODE_VERSION} could not be installed (npm install failed: ${detail || "no output"})`;
    writeFileSync(UNAVAILABLE, reason + "\n");
    return { ok: false, reason };
  }
  const version = installedClaudeVersion();
  if (version !== CLAUDE_CODE_VERSION) {
    const reason = `Claude Code ${CLAUDE_CODE_VERSION} was installed but \`claude --version\` ${version ? `says ${version}` : "does not run on this machine"}`;
    writeFileSync(UNAVAILABLE, reason + "\n");
    return { ok: false, reason };
  }
  log(`Claude Code ${version} ready in ${Math.round((Date.now() - started) / 1000)} s`);
  return { ok: true, bin: CLAUDE_BIN };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const version = installedClaudeVersion();
    console.log(version ? `${CLAUDE_BIN} (${version})` : unavailableReason());
    process.exit(version === CLAUDE_CODE_VERSION ? 0 : 1);
  }
  const result = ensureClaude();
  if (result.ok) console.log(result.bin);
  else console.error(result.reason);
  process.exit(result.ok ? 0 : 1);
}
