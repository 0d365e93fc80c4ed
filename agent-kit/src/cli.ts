import { TOOL_CATALOG, TOOL_NAMES } from "../../server/agent-api/catalog";
import type { AgentRole } from "../../server/domain/types";
import { AgentEnvError, createAgentApi, formatApiError, formatIssues, parseRole, readAgentEnv, withoutToken } from "./api-client";
import { getCatalogTool, isToolForRole, listToolsForRole, validateArgs, type CatalogTool, type JsonSchema, type KitTool } from "./tools";

// The shell face of the kit: `gastown-agent gt <tool> [--json '{…}'] [--flag value …]`, for agents that
// work through a shell (or a person debugging one). Flags are the body's fields, read with the tool's JSON
// schema so `--title 42` stays a string and `--limit 5` becomes a number. Same tools, same local zod
// validation and same error lines as the MCP server. Exit codes: 0 answered, 1 the API refused or
// failed, 2 a usage error (nothing was sent).

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  fetch?: typeof fetch;
}

const defaultIo = (): CliIo => ({
  env: process.env,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});

export type ParsedToolArgs = { ok: true; help: boolean; body: Record<string, unknown> } | { ok: false; message: string };

/** `--rig-id` and `--rig_id` both name `rig_id`. */
export const flagKey = (flag: string): string => flag.replace(/^--?/, "").replace(/-/g, "_");

interface Accepts {
  string: boolean;
  number: boolean;
  integer: boolean;
  boolean: boolean;
  object: boolean;
  array: JsonSchema | null;
  null: boolean;
  enum: string[] | null;
}

/** Which JSON types a property accepts, reading through anyOf (zod's nullish / unions). */
function accepts(schema: JsonSchema | undefined): Accepts {
  const out: Accepts = { string: false, number: false, integer: false, boolean: false, object: false, array: null, null: false, enum: null };
  const visit = (s: JsonSchema | undefined) => {
    if (!s || Object.keys(s).length === 0) {
      // `{}`: anything (an unrepresentable part of the schema).
      Object.assign(out, { string: true, number: true, boolean: true, object: true, null: true, array: out.array ?? {} });
      return;
    }
    if (Array.isArray(s.anyOf)) for (const part of s.anyOf as JsonSchema[]) visit(part);
    if (Array.isArray(s.enum)) out.enum = [...(out.enum ?? []), ...(s.enum as unknown[]).map(String)];
    const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : [];
    for (const t of types) {
      if (t === "array") out.array = (s.items as JsonSchema | undefined) ?? {};
      else if (t in out) (out as unknown as Record<string, boolean>)[t] = true;
    }
  };
  visit(schema);
  return out;
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** One flag's value(s) as the JSON value its schema wants; a message when it cannot be one. */
function coerce(key: string, schema: JsonSchema | undefined, values: string[]): { ok: true; value: unknown } | { ok: false; message: string } {
  const a = accepts(schema);
  if (values.length > 1) {
    if (!a.array) return { ok: false, message: `--${key} is given ${values.length} times but takes one value.` };
    const items: unknown[] = [];
    for (const v of values) {
      const item = coerce(key, a.array, [v]);
      if (!item.ok) return item;
      items.push(item.value);
    }
    return { ok: true, value: items };
  }
  const raw = values[0];
  const parseJson = (what: string): { ok: true; value: unknown } | { ok: false; message: string } => {
    try {
      return { ok: true, value: JSON.parse(raw) };
    } catch {
      return { ok: false, message: `--${key} takes ${what}; "${raw.slice(0, 60)}" is not valid JSON.` };
    }
  };
  if (a.array && raw.trimStart().startsWith("[")) return parseJson("a JSON array");
  if (a.object && raw.trimStart().startsWith("{")) return parseJson("a JSON object");
  if (a.boolean && (raw === "true" || raw === "false")) return { ok: true, value: raw === "true" };
  if ((a.number || a.integer) && NUMERIC.test(raw.trim()) && !a.string) return { ok: true, value: Number(raw) };
  if (a.string || a.enum) return { ok: true, value: raw };
  if (a.number || a.integer) return { ok: false, message: `--${key} takes a number; "${raw.slice(0, 60)}" is not one.` };
  if (a.boolean) return { ok: false, message: `--${key} takes true or false.` };
  if (a.array) {
    // One value of a repeatable flag: a one-element array.
    const item = coerce(key, a.array, [raw]);
    return item.ok ? { ok: true, value: [item.value] } : item;
  }
  if (a.object) return parseJson("a JSON object");
  return parseJson("JSON");
}

/**
 * A tool's arguments from the command line: `--json '{…}'` merged with `--flag value` pairs (flags win).
 * Flags must be fields of the tool (a typo would otherwise be dropped silently by the API); `--flag`
 * alone or `--no-flag` is a boolean.
 */
export function parseToolArgs(tool: Pick<KitTool, "name" | "inputSchema">, argv: readonly string[]): ParsedToolArgs {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const fields = Object.keys(properties);
  const values = new Map<string, string[]>();
  const flags: Record<string, unknown> = {};
  let json: Record<string, unknown> = {};
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") return { ok: false, message: `Unexpected argument "${arg.slice(0, 60)}": give fields as --name value (see gt ${tool.name} --help).` };
    const eq = arg.indexOf("=");
    const rawName = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const next = argv[i + 1];
    const hasNext = next !== undefined && !next.startsWith("--");

    if (rawName === "json") {
      const text = inline ?? (hasNext ? argv[++i] : undefined);
      if (text === undefined) return { ok: false, message: "--json needs a JSON object." };
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { ok: false, message: "--json is not valid JSON." };
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { ok: false, message: "--json must be a JSON object." };
      json = { ...json, ...(parsed as Record<string, unknown>) };
      continue;
    }

    let key = flagKey(rawName);
    let negated = false;
    if (!(key in properties) && key.startsWith("no_") && key.slice(3) in properties) {
      key = key.slice(3);
      negated = true;
    }
    if (!(key in properties)) {
      const known = fields.length ? `Its fields: ${fields.map((f) => `--${f.replace(/_/g, "-")}`).join(", ")}.` : "It takes no fields.";
      return { ok: false, message: `${tool.name} has no field "${key}". ${known}` };
    }
    const a = accepts(properties[key]);
    if (negated) {
      if (!a.boolean) return { ok: false, message: `--no-${key.replace(/_/g, "-")}: ${key} is not a true/false field.` };
      flags[key] = false;
      continue;
    }
    let value: string;
    if (inline !== undefined) value = inline;
    else if (a.boolean && !(hasNext && (next === "true" || next === "false"))) value = "true";
    else if (hasNext) value = argv[++i];
    else return { ok: false, message: `--${rawName} needs a value.` };
    values.set(key, [...(values.get(key) ?? []), value]);
  }

  for (const [key, vs] of values) {
    const coerced = coerce(key.replace(/_/g, "-"), properties[key], vs);
    if (!coerced.ok) return coerced;
    flags[key] = coerced.value;
  }
  return { ok: true, help, body: { ...json, ...flags } };
}

function typeLabel(schema: JsonSchema | undefined): string {
  const a = accepts(schema);
  const parts: string[] = [];
  if (a.enum) parts.push(a.enum.join("|"));
  else if (a.string) parts.push("string");
  if (a.integer) parts.push("integer");
  else if (a.number) parts.push("number");
  if (a.boolean) parts.push("true|false");
  if (a.object) parts.push("JSON object");
  return parts.join(" or ") || (a.array ? "" : "JSON");
}

/** `gt <tool> --help`: the description and one line per field, from the tool's JSON schema. */
export function formatToolHelp(tool: Pick<KitTool, "name" | "description" | "inputSchema">): string {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(tool.inputSchema.required ?? []);
  const lines = [`gt ${tool.name}`, "", wrap(tool.description, 100), ""];
  const names = Object.keys(properties);
  if (names.length === 0) lines.push("No fields.");
  else {
    lines.push("Fields (--kebab-case or --snake_case):");
    const rows = names.map((name) => {
      const a = accepts(properties[name]);
      const single = typeLabel(properties[name]);
      const items = a.array ? typeLabel(a.array) || "value" : "";
      const type = [single, a.array ? `[${items}, …] (repeat the flag, or a JSON array)` : ""].filter(Boolean).join(" or ");
      return [`  --${name.replace(/_/g, "-")}`, `${type}${required.has(name) ? "  (required)" : ""}`] as const;
    });
    const width = Math.max(...rows.map(([f]) => f.length)) + 2;
    for (const [flag, text] of rows) lines.push(`${flag.padEnd(width)}${text}`);
  }
  lines.push("", `Or the whole body: gt ${tool.name} --json '{…}' (flags given as well override its fields).`);
  return lines.join("\n");
}

/** `gt --help`: the role's tools (or every tool, with who may call it, when the role is unknown). */
export function formatToolList(role: AgentRole | null): string {
  const tools: { name: string; description: string; who?: string }[] = role
    ? listToolsForRole(role)
    : TOOL_NAMES.filter((n) => TOOL_CATALOG[n].kind === "tool").map((n) => {
        const spec: { roles?: readonly string[]; description: string } = TOOL_CATALOG[n];
        return { name: n, description: spec.description, who: spec.roles ? spec.roles.join(", ") : "every role" };
      });
  const width = Math.max(...tools.map((t) => t.name.length)) + 2;
  const lines = [
    "usage: gastown-agent gt [--role <role>] <tool> [--json '{…}'] [--field value …]",
    "       gastown-agent gt <tool> --help",
    "",
    role ? `Tools of a ${role}:` : "Tools (set GASTOWN_AGENT_ROLE or pass --role to see only yours):",
  ];
  for (const t of tools) {
    const first = t.description.split(/(?<=\.)\s/)[0];
    lines.push(`  ${t.name.padEnd(width)}${first}${t.who ? ` [${t.who}]` : ""}`);
  }
  lines.push("", "Needs GASTOWN_API_URL, GASTOWN_AGENT_TOKEN and GASTOWN_AGENT_ROLE in the environment to call a tool.");
  return lines.join("\n");
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join("\n");
}

/** `bead-status`, `bead_status` and `gt_bead_status` all name gt_bead_status. */
export function resolveToolName(name: string): string {
  const snake = name.replace(/-/g, "_");
  if (getCatalogTool(snake)) return snake;
  return getCatalogTool(`gt_${snake}`) ? `gt_${snake}` : snake;
}

/** `gastown-agent gt …` (argv after `gt`); resolves to the exit code. */
export async function runGtCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const out = (t: string) => io.stdout(t.endsWith("\n") ? t : `${t}\n`);
  const err = (t: string) => io.stderr(t.endsWith("\n") ? t : `${t}\n`);
  let roleFlag: string | undefined;
  let i = 0;
  let help = false;
  for (; i < argv.length && argv[i].startsWith("-"); i++) {
    if (argv[i] === "--help" || argv[i] === "-h") help = true;
    else if (argv[i] === "--role") roleFlag = argv[++i];
    else if (argv[i].startsWith("--role=")) roleFlag = argv[i].slice("--role=".length);
    else {
      err(`gt: unknown option ${argv[i].slice(0, 60)} before the tool name.\n\n${formatToolList(null)}`);
      return 2;
    }
  }
  const readRole = (): { ok: true; role: AgentRole | null } | { ok: false } => {
    const text = roleFlag ?? io.env.GASTOWN_AGENT_ROLE;
    const role = text ? parseRole(text) : null;
    if (text && !role) {
      err(`gt: the role must be one of mayor, polecat, refinery.`);
      return { ok: false };
    }
    return { ok: true, role };
  };
  const toolArg = argv[i];
  const early = readRole();
  if (!early.ok) return 2;
  let role = early.role;
  if (toolArg === undefined || toolArg === "help") {
    (toolArg === undefined && !help ? err : out)(formatToolList(role));
    return toolArg === undefined && !help ? 2 : 0;
  }

  const name = resolveToolName(toolArg);
  const tool: CatalogTool | null = getCatalogTool(name);
  if (!tool || TOOL_CATALOG[tool.name].kind !== "tool") {
    err(`gt: there is no tool "${toolArg.slice(0, 100)}".\n\n${formatToolList(role)}`);
    return 2;
  }
  // `--role` may also come after the tool name (no tool has a field of that name).
  const rest = [...argv.slice(i + 1)];
  for (let j = 0; j < rest.length; j++) {
    if (rest[j] === "--role" && j + 1 < rest.length) roleFlag = rest.splice(j, 2)[1];
    else if (rest[j].startsWith("--role=")) roleFlag = rest.splice(j, 1)[0].slice("--role=".length);
    else continue;
    j--;
  }
  const parsed = parseToolArgs(tool, rest);
  if (!parsed.ok) {
    err(`gt ${tool.name}: ${parsed.message}`);
    return 2;
  }
  const late = readRole();
  if (!late.ok) return 2;
  role = late.role;
  if (parsed.help || help) {
    out(formatToolHelp(tool));
    return 0;
  }
  if (role && !isToolForRole(role, tool.name)) {
    err(`gt ${tool.name}: not available to a ${role}. Your tools: ${listToolsForRole(role).map((t) => t.name).join(", ")}.`);
    return 2;
  }
  const valid = validateArgs(tool.schema, parsed.body);
  if (!valid.ok) {
    err(`gt ${tool.name}: invalid arguments: ${formatIssues(valid.issues)}`);
    return 2;
  }

  let env;
  try {
    env = readAgentEnv({ ...io.env, ...(roleFlag ? { GASTOWN_AGENT_ROLE: roleFlag } : {}) });
  } catch (error) {
    if (error instanceof AgentEnvError) {
      err(`gt: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const api = createAgentApi({ apiUrl: env.apiUrl, token: env.token, fetch: io.fetch });
  const result = await api.call(tool.name, parsed.body);
  if (!result.ok) {
    err(`gt ${tool.name}: ${formatApiError(result)}`);
    return 1;
  }
  out(api.redact(JSON.stringify(withoutToken(result.body), null, 2)));
  return 0;
}
