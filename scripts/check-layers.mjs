// Layer check: imports point down only (STYLE.md "The layout, and which way imports point", issue 14).
//
//   node scripts/check-layers.mjs            fails (exit 1) listing every import that points up
//   node scripts/check-layers.mjs --graph    prints the folder-to-folder edge list with counts
//   node scripts/check-layers.mjs --graph --tests   the same, test files included
//
// A tiny regex scan, not a compiler: `import … from "…"`, `export … from "…"`, `import "…"` at the start of
// a line and `import("…")` anywhere, in the .ts/.tsx/.mjs files under app/, components/, server/,
// agent-kit/. Relative paths and the `@/` alias are resolved to files; anything else is a package.
//
// A file belongs to a "folder": server/<dir> for the server's subfolders (server/tick/side-effects is
// server/tick), server/<file> for the server's top-level files (server/env.ts), and the top folder
// otherwise (app, components, agent-kit, prisma …). The check applies to production code only: test
// files (*.test.ts[x]) and test helpers (testing.ts, testing/ folders, server/testing) may reach across
// layers to set up a world; they are shown by `--graph --tests`.
//
// The layers, top to bottom (an import may skip layers downwards, never point up):
//   app → components → server/api | server/agent-api → server/services → server/tick
//       → server/db | server/adapters → server/domain
// with the helpers usable from the layer that owns them down: server/secrets (a town's tokens, read from
// the db) sits above db and adapters, and server/log (the logger, which redacts with it) above server/secrets;
// server/env and server/validation are leaves; server/auth is below
// the edges (app, api). Decisions recorded here:
// - The tick is a lower layer than the services (decided in issue 14 instead of moving its Postgres readers
//   to server/db): the layers above may import only its public surface, TICK_PUBLIC below — run a tick,
//   its types (server/tick/types.ts), enqueue, and the Postgres ports (pg-repo.ts = TownRepo,
//   load-world.ts, rows.ts). Its phases (drain, tx, side-effects, housekeeping …) are private. The tick
//   never imports a service, the agent API or the tRPC layer.
// - No import cycles between production files (run-tick.ts and its phases share server/tick/types.ts).
// - server/domain imports only itself and zod (pure: no prisma, no fetch, no clock, no env).
// - agent-kit imports server/agent-api/catalog.ts, server/agent-api/schemas.ts and server/domain/**
//   only; nothing in server/ (or app/, components/) imports agent-kit.
// - Errors of the lower layers are DomainError (server/domain/errors.ts), mapped to tRPC codes in
//   server/api/errors.ts and to HTTP statuses in server/agent-api/errors.ts; nothing below server/api
//   imports server/api.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SCAN = ["app", "components", "server", "agent-kit"];
const SKIP_DIRS = new Set(["node_modules", "generated", ".next", "dist", ".cache"]);
const EXTS = [".ts", ".tsx", ".mts", ".mjs", ".js"];

// Folder → the folders (or files: a path with an extension, or `dir/**`) it may import. A folder may always
// import itself. Packages are unrestricted except where `packages` says otherwise.
// The tick's public surface for the layers above it: running ticks (run-tick, run-ticks, ticker, deps, replay),
// its types, enqueueing an event, the notifications outbox (outbox.ts) and its Postgres ports (PgTownRepo, the world loader and the row
// mappers they share). Everything else in server/tick (drain, tx, side-effects, housekeeping,
// dispatch-spec, prompt, capture …) is the tick's own.
const TICK_PUBLIC = ["run-tick.ts", "run-ticks.ts", "ticker.ts", "deps.ts", "replay.ts", "types.ts", "enqueue.ts", "pg-repo.ts", "load-world.ts", "rows.ts", "outbox.ts", "report.ts"].map((f) => `server/tick/${f}`);
const LOWER_SERVER = ["server/db", "server/adapters", "server/domain", "server/env.ts", "server/secrets", "server/validation.ts", "server/log.ts"];
const ALLOWED = {
  app: ["components", "server/api", "server/agent-api", "server/services", ...TICK_PUBLIC, "server/auth", "server/startup.ts", ...LOWER_SERVER],
  components: ["server/api", "server/domain", "server/validation.ts"],
  "server/api": ["server/services", ...TICK_PUBLIC, "server/auth", ...LOWER_SERVER],
  "server/agent-api": ["server/services", ...TICK_PUBLIC, ...LOWER_SERVER],
  "server/auth": [...LOWER_SERVER],
  "server/startup.ts": [...TICK_PUBLIC, "server/auth", ...LOWER_SERVER],
  "server/services": [...TICK_PUBLIC, ...LOWER_SERVER],
  "server/tick": [...LOWER_SERVER],
  "server/secrets": ["server/db", "server/adapters", "server/domain", "server/env.ts"],
  // The logger redacts with the secrets' redactor, so it sits just above server/secrets (which cannot log).
  "server/log.ts": ["server/secrets", "server/domain"],
  "server/adapters": ["server/domain", "server/env.ts", "server/validation.ts"],
  "server/db": ["server/domain", "server/env.ts"],
  "server/env.ts": ["server/domain"],
  "server/validation.ts": ["server/domain"],
  "server/domain": [],
  "agent-kit": ["server/agent-api/catalog.ts", "server/agent-api/schemas.ts", "server/domain/**"],
};
const PACKAGES = { "server/domain": ["zod"] };

const args = process.argv.slice(2);
const graphMode = args.includes("--graph");
const withTests = args.includes("--tests");

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const full = path.join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) walk(full, out);
    else if (/\.(ts|tsx|mts|mjs)$/.test(name) && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

const rel = (abs) => path.relative(ROOT, abs).split(path.sep).join("/");

function folderOf(relPath) {
  const parts = relPath.split("/");
  if (parts[0] === "server") return parts.length > 2 ? `server/${parts[1]}` : relPath;
  return parts.length > 1 ? parts[0] : relPath;
}

const isTestFile = (relPath) =>
  /\.test\.(ts|tsx|mts|mjs)$/.test(relPath) || /(^|\/)testing(\.ts|\/)/.test(relPath) || relPath.startsWith("agent-kit/test/");

function resolveFile(base) {
  if (existsSync(base) && statSync(base).isFile()) return base;
  const noJs = base.replace(/\.(m?js)$/, "");
  for (const ext of EXTS) if (existsSync(noJs + ext)) return noJs + ext;
  for (const ext of EXTS) if (existsSync(path.join(base, "index" + ext))) return path.join(base, "index" + ext);
  return null;
}

function specifiers(text) {
  const out = [];
  const staticRe = /^[ \t]*(?:import|export)\b(?:[^;"'`]*?\bfrom\s*|\s*)["']([^"']+)["']/gm;
  const dynamicRe = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of text.matchAll(staticRe)) out.push(m[1]);
  for (const m of text.matchAll(dynamicRe)) {
    const lineStart = text.lastIndexOf("\n", m.index) + 1;
    if (/^\s*(\/\/|\*)/.test(text.slice(lineStart, m.index))) continue; // in a comment
    out.push(m[1]);
  }
  return out;
}

function packageName(spec) {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function allowed(from, toFolder, toFile) {
  if (from === toFolder) return true;
  const list = ALLOWED[from];
  if (!list) return true; // folders without a rule (prisma, scripts …) are not checked
  return list.some((t) => (t.endsWith("/**") ? toFile.startsWith(t.slice(0, -2)) : t === toFolder || t === toFile));
}

const files = SCAN.flatMap((d) => walk(path.join(ROOT, d)));
const edges = new Map(); // "from -> to" → count
const violations = [];
const badEdges = new Set();
const fileGraph = new Map(); // production file → the production files it imports (for the cycle check)
for (const abs of files) {
  const from = rel(abs);
  const test = isTestFile(from);
  if (test && !withTests && graphMode) continue;
  const fromFolder = folderOf(from);
  const text = readFileSync(abs, "utf8");
  for (const spec of specifiers(text)) {
    let target = null;
    if (spec.startsWith(".")) target = resolveFile(path.resolve(path.dirname(abs), spec));
    else if (spec.startsWith("@/")) target = resolveFile(path.join(ROOT, spec.slice(2)));
    else {
      const pkg = packageName(spec);
      const allowedPkgs = PACKAGES[fromFolder];
      if (!test && allowedPkgs && !pkg.startsWith("node:") && !allowedPkgs.includes(pkg))
        violations.push(`${from}: imports package "${spec}" (${fromFolder} may import only ${allowedPkgs.join(", ")})`);
      if (allowedPkgs && graphMode) {
        const key = `${fromFolder} -> pkg:${pkg}`;
        edges.set(key, (edges.get(key) ?? 0) + 1);
      }
      continue;
    }
    if (!target) {
      if (!test) violations.push(`${from}: cannot resolve "${spec}"`);
      continue;
    }
    const to = rel(target);
    const toFolder = folderOf(to);
    if (!test && !isTestFile(to)) {
      if (!fileGraph.has(from)) fileGraph.set(from, new Set());
      fileGraph.get(from).add(to);
    }
    const ok = test || allowed(fromFolder, toFolder, to);
    if (toFolder !== fromFolder) {
      const key = `${fromFolder} -> ${toFolder}`;
      edges.set(key, (edges.get(key) ?? 0) + 1);
      if (!ok) badEdges.add(key);
    }
    if (!ok) violations.push(`${from}: imports ${to} (${fromFolder} -> ${toFolder} points up or sideways)`);
  }
}

// Import cycles between files (Tarjan's strongly connected components): a phase that imports the module
// that imports it (run-tick.ts ↔ its phases, before TickDeps moved to tick/types.ts) is a layer pointing up
// inside a folder.
function importCycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}
const cycles = importCycles(fileGraph);
for (const c of cycles) violations.push(`import cycle: ${c.join(" <-> ")}`);

if (graphMode) {
  console.log(`# folder-to-folder imports${withTests ? " (tests included)" : " (production code; --tests to include tests)"}: count from -> to`);
  for (const [key, n] of [...edges].sort((a, b) => a[0].localeCompare(b[0]))) {
    const ok = badEdges.has(key) ? "   <- not allowed" : "";
    console.log(`${String(n).padStart(4)}  ${key}${ok}`);
  }
  for (const c of cycles) console.log(`# import cycle: ${c.join(" <-> ")}`);
  console.log(`# ${violations.length} import(s) point up (${cycles.length} cycle(s) among them)`);
  process.exit(0);
}

if (violations.length) {
  console.error(`Layer check: ${violations.length} import(s) point up (allowed edges: scripts/check-layers.mjs):`);
  for (const v of violations) console.error(`  ${v}`);
  process.exit(1);
}
console.log(`Layer check: ${files.length} files, every import points down.`);
