import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAdapterConfig } from "./config";
import { UnknownRuntimeError, createAdapters } from "./index";
import { agentSpec, waitFor } from "./agent-runtime/testing";
import type { AgentExit } from "./agent-runtime/types";

const appDir = mkdtempSync(join(tmpdir(), "gastown-adapters-"));
writeFileSync(join(appDir, "agent.mjs"), `console.log("agent ran in", process.cwd()); process.exit(Number(process.env.CODE ?? 0));`);

afterAll(() => rmSync(appDir, { recursive: true, force: true }));

function adaptersWith(env: Record<string, string>) {
  return createAdapters({
    config: loadAdapterConfig({ PATH: process.env.PATH ?? "/usr/bin:/bin", GASTOWN_AGENT_WORK_ROOT: "agents", ...env }),
    appDir,
  });
}

describe("createAdapters", () => {
  it("lists the operator's runtime names (no commands, URLs or secrets)", () => {
    const adapters = adaptersWith({ GASTOWN_AGENT_COMMANDS: "claude=/bin/run-claude,test=node agent.mjs", GASTOWN_RUNTIMES: "fly=https://h.example.com|SECRET" });
    expect(adapters.runtimeOptions()).toEqual([
      { name: "claude", kind: "local" },
      { name: "test", kind: "local" },
      { name: "fly", kind: "http" },
    ]);
    expect(JSON.stringify(adapters.runtimeOptions())).not.toContain("SECRET");
    expect(adapters.isKnownRuntime("fly")).toBe(true);
    expect(adapters.isKnownRuntime("/bin/sh")).toBe(false);
  });

  it("picks local and http runtimes by name and refuses unknown names with a clear error", () => {
    const adapters = adaptersWith({ GASTOWN_AGENT_COMMANDS: "test=node agent.mjs", GASTOWN_RUNTIMES: "fly=https://h.example.com|s" });
    expect(adapters.createRuntime("test")).toMatchObject({ kind: "local", name: "test" });
    expect(adapters.createRuntime("fly")).toMatchObject({ kind: "http", name: "fly" });
    expect(() => adapters.createRuntime("node -e evil")).toThrow(UnknownRuntimeError);
    expect(() => adapters.createRuntime("bogus")).toThrow("agent runtime 'bogus' is not configured on this server (configured: test, fly)");
    expect(() => adapters.createRuntime("constructor")).toThrow(UnknownRuntimeError);
  });

  it("without a selection uses the 'default' command, else refuses to start cleanly", async () => {
    expect(adaptersWith({ GASTOWN_AGENT_COMMAND: "node agent.mjs" }).createRuntime(null)).toMatchObject({ kind: "local", name: "default" });
    const none = adaptersWith({}).createRuntime(undefined);
    expect(await none.start(agentSpec())).toEqual({ started: false, reason: "no agent runtime configured" });
  });

  it("runs a named command from the app directory in the agent's working directory and reports its exit", async () => {
    const exits: Array<[string, AgentExit]> = [];
    const adapters = adaptersWith({ GASTOWN_AGENT_COMMANDS: `test=${process.execPath} agent.mjs` });
    adapters.setAgentExitListener((id, exit) => void exits.push([id, exit]));
    const runtime = adapters.createRuntime("test");
    const result = await runtime.start(agentSpec({ agentId: "agent-1", townEnv: { CODE: "4" } }));
    expect(result).toMatchObject({ started: true, logPath: join(appDir, "agents", "logs", "agent-1.log") });
    await waitFor(() => exits.length === 1, 5000, "exit");
    expect(exits[0]).toEqual(["agent-1", expect.objectContaining({ status: "failed", exitCode: 4 })]);
    await waitFor(async () => (await runtime.readLog("agent-1", 1000))?.includes("exited with code 4") ?? false, 3000, "log");
    expect(await runtime.readLog("agent-1", 1000)).toContain(`agent ran in ${join(appDir, "agents", "work", "agent-1")}`);
    // Any local runtime of the instance sees the same process table.
    expect((await adapters.createRuntime(null).status(["agent-1"])).get("agent-1")).toEqual({ status: "exited", exitCode: 4 });
  });

  it("resolves the GitHub token: town secret first, else GITHUB_TOKEN only for the towns the operator allows, else none", () => {
    const town = { id: "t1", ownerEmail: "Alice@Acme.com" };
    expect(adaptersWith({ GITHUB_TOKEN: "env-token" }).resolveGitHubToken(town, "town-token")).toBe("town-token");
    // default: the operator's token serves nobody
    expect(adaptersWith({ GITHUB_TOKEN: "env-token" }).resolveGitHubToken(town, null)).toBeNull();
    expect(adaptersWith({ GITHUB_TOKEN: "env-token" }).gitHubTokenFor(town, "  ")).toMatchObject({ token: null, problem: "shared_not_allowed" });
    expect(adaptersWith({ GITHUB_TOKEN: "env-token", GASTOWN_SHARED_GITHUB_TOKEN: "all" }).resolveGitHubToken(town, "  ")).toBe("env-token");
    expect(adaptersWith({ GITHUB_TOKEN: "env-token", GASTOWN_SHARED_GITHUB_TOKEN: "owner:alice@acme.com" }).resolveGitHubToken(town, null)).toBe("env-token");
    expect(adaptersWith({ GITHUB_TOKEN: "env-token", GASTOWN_SHARED_GITHUB_TOKEN: "town:t1" }).resolveGitHubToken(town, null)).toBe("env-token");
    expect(adaptersWith({ GITHUB_TOKEN: "env-token", GASTOWN_SHARED_GITHUB_TOKEN: "owner:bob@acme.com,town:t2" }).resolveGitHubToken(town, null)).toBeNull();
    expect(adaptersWith({ GASTOWN_SHARED_GITHUB_TOKEN: "all" }).gitHubTokenFor(town, undefined)).toMatchObject({ token: null, problem: "none_configured" });
  });

  it("refuses repositories outside GASTOWN_ALLOWED_REPOS, allows any without it", () => {
    expect(adaptersWith({}).repoRefusal("https://github.com/evil/repo")).toBeNull();
    const limited = adaptersWith({ GASTOWN_ALLOWED_REPOS: "acme/*,other/one" });
    expect(limited.repoRefusal("https://github.com/acme/app.git")).toBeNull();
    expect(limited.repoRefusal("https://github.com/Other/One")).toBeNull();
    expect(limited.repoRefusal("https://github.com/other/two")).toMatch(/other\/two is not in .*GASTOWN_ALLOWED_REPOS/);
    expect(limited.repoRefusal("https://gitlab.com/acme/app")).toMatch(/not on https:\/\/github.com/);
    expect(() => adaptersWith({ GASTOWN_ALLOWED_REPOS: "acme" })).toThrow(/GASTOWN_ALLOWED_REPOS: 'acme'/);
    expect(() => adaptersWith({ GASTOWN_SHARED_GITHUB_TOKEN: "everyone" })).toThrow(/GASTOWN_SHARED_GITHUB_TOKEN: 'everyone'/);
  });

  it("the GitHub adapter uses the configured web host", () => {
    const adapters = adaptersWith({ GITHUB_API_URL: "https://git.example.com/api/v3", GITHUB_WEB_URL: "https://git.example.com" });
    expect(adapters.github.webUrl).toBe("https://git.example.com");
    expect(adapters.github.samePrRepo("https://git.example.com/a/b.git", "https://git.example.com/a/b/pull/1")).toBe(true);
    expect(adapters.github.samePrRepo("https://github.com/a/b.git", "https://github.com/a/b/pull/1")).toBe(false);
  });
});
