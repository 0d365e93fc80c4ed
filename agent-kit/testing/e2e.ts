import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelRequest } from "./scripted-model";

// Helpers shared by the agent kit's end-to-end tests with the real Claude Code (agent-kit/test/claude-*.ts).

/** Runs `tick` and then `check` until check returns something truthy; throws naming `what` at the deadline. */
export async function until<T>(what: string, tick: () => Promise<unknown>, check: () => Promise<T | null | false | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await tick();
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The scripted model's check that these tools were offered. */
export function expectTools(req: ModelRequest, names: string[]) {
  const missing = names.filter((n) => !req.tools.includes(n));
  if (missing.length) throw new Error(`tools missing from the request: ${missing.join(", ")} (offered: ${req.tools.filter((t) => t.startsWith("mcp__")).join(", ") || "no MCP tools"})`);
}

/** The scripted model's check that the last turn's `name` call succeeded (and its result contains `contains`). */
export function expectOk(req: ModelRequest, name: string, contains?: string) {
  const result = req.toolResults.find((r) => r.name === name);
  if (!result) throw new Error(`expected a ${name} result, got ${JSON.stringify(req.toolResults.map((r) => r.name))}`);
  if (result.isError) throw new Error(`${name} failed: ${result.text.slice(0, 400)}`);
  if (contains && !result.text.includes(contains)) throw new Error(`${name} result lacks ${JSON.stringify(contains)}: ${result.text.slice(0, 400)}`);
}

/** Every file under dir (not node_modules, not git objects). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === "node_modules" || name === "objects") return [];
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
