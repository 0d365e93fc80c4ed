import { describe, expect, it } from "vitest";
import { AdapterConfigError, loadAdapterConfig, splitCommandLine } from "./config";

describe("loadAdapterConfig", () => {
  it("defaults to github.com and no runtimes", () => {
    const config = loadAdapterConfig({});
    expect(config.github).toEqual({ apiUrl: "https://api.github.com", webUrl: "https://github.com", sharedToken: { all: false, owners: [], townIds: [] }, allowedRepos: null });
    expect(config.agentCommands).toEqual({});
    expect(config.httpRuntimes).toEqual({});
    expect(config.local).toMatchObject({ workRoot: ".data/agents", stopGraceMs: 10_000, logMaxBytes: 1024 * 1024, baseEnv: {} });
  });

  it("reads GitHub Enterprise URLs and the token, stripping trailing slashes", () => {
    const config = loadAdapterConfig({
      GITHUB_API_URL: "https://git.example.com/api/v3/",
      GITHUB_WEB_URL: "https://git.example.com/",
      GITHUB_TOKEN: "ghp_x",
    });
    expect(config.github).toMatchObject({ apiUrl: "https://git.example.com/api/v3", webUrl: "https://git.example.com", token: "ghp_x" });
  });

  it("parses named commands into argv without a shell, and GASTOWN_AGENT_COMMAND as 'default'", () => {
    const config = loadAdapterConfig({
      GASTOWN_AGENT_COMMANDS: "claude=/usr/local/bin/run-claude --fast, test=node scripts/test-agent.mjs",
      GASTOWN_AGENT_COMMAND: `bash -c 'echo "$x; rm -rf /"'`,
    });
    expect(config.agentCommands).toEqual({
      claude: ["/usr/local/bin/run-claude", "--fast"],
      test: ["node", "scripts/test-agent.mjs"],
      default: ["bash", "-c", 'echo "$x; rm -rf /"'],
    });
  });

  it("parses named http runtimes with URL and secret", () => {
    const config = loadAdapterConfig({ GASTOWN_RUNTIMES: "fly=https://agents.example.com:8443/|s3cr=t,local2=http://127.0.0.1:9000|abc" });
    expect(config.httpRuntimes).toEqual({
      fly: { url: "https://agents.example.com:8443", secret: "s3cr=t" },
      local2: { url: "http://127.0.0.1:9000", secret: "abc" },
    });
  });

  it("keeps only PATH and HOME of the host for local agents, and reads the local runtime knobs", () => {
    const config = loadAdapterConfig({
      PATH: "/usr/bin",
      HOME: "/home/app",
      SECRET_THING: "nope",
      GASTOWN_AGENT_WORK_ROOT: "/var/gastown",
      GASTOWN_AGENT_STOP_GRACE_MS: "2500",
      GASTOWN_AGENT_LOG_MAX_BYTES: "65536",
    });
    expect(config.local).toEqual({ workRoot: "/var/gastown", stopGraceMs: 2500, logMaxBytes: 65536, baseEnv: { PATH: "/usr/bin", HOME: "/home/app" } });
  });

  it.each([
    [{ GITHUB_API_URL: "ftp://x" }, /GITHUB_API_URL/],
    [{ GITHUB_WEB_URL: "not a url" }, /GITHUB_WEB_URL/],
    [{ GITHUB_API_URL: "https://user:pw@api.github.com" }, /credentials/],
    [{ GASTOWN_AGENT_COMMANDS: "=run" }, /GASTOWN_AGENT_COMMANDS/],
    [{ GASTOWN_AGENT_COMMANDS: "a=run,a=other" }, /defined twice/],
    [{ GASTOWN_AGENT_COMMANDS: "default=run", GASTOWN_AGENT_COMMAND: "other" }, /defined twice/],
    [{ GASTOWN_AGENT_COMMANDS: "a='unterminated" }, /unterminated/],
    [{ GASTOWN_AGENT_COMMANDS: "a=   " }, /empty/],
    [{ GASTOWN_RUNTIMES: "r=https://x.example.com" }, /needs a secret/],
    [{ GASTOWN_RUNTIMES: "r=file:///etc|s" }, /plain http/],
    [{ GASTOWN_AGENT_COMMANDS: "x=run", GASTOWN_RUNTIMES: "x=https://h|s" }, /both/],
    [{ GASTOWN_AGENT_STOP_GRACE_MS: "-1" }, /positive integer/],
  ])("refuses %j", (env, message) => {
    expect(() => loadAdapterConfig(env)).toThrow(AdapterConfigError);
    expect(() => loadAdapterConfig(env)).toThrow(message);
  });

  it("never echoes a runtime secret in its errors", () => {
    try {
      loadAdapterConfig({ GASTOWN_RUNTIMES: "r=not-a-url|TOPSECRET123" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain("'r'");
      expect((error as Error).message).not.toContain("TOPSECRET123");
    }
  });
});

describe("splitCommandLine", () => {
  it("splits like a shell without expanding anything", () => {
    expect(splitCommandLine(`node  scripts/a.mjs --x "a b" 'c $HOME' d\\ e "q\\"x"`)).toEqual([
      "node",
      "scripts/a.mjs",
      "--x",
      "a b",
      "c $HOME",
      "d e",
      'q"x',
    ]);
    expect(splitCommandLine(`''`)).toEqual([""]);
    expect(splitCommandLine("  ")).toEqual([]);
  });
});
