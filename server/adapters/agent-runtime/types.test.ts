import { describe, expect, it } from "vitest";
import { agentSpec } from "./testing";
import { buildAgentEnv, filterTownEnv, isSafeAgentId, validateTownEnvKey, validateTownEnvValue } from "./types";

describe("validateTownEnvKey", () => {
  it.each(["ANTHROPIC_API_KEY", "MY_FLAG", "NODE_ENV", "_private", "lower_case"])("accepts %s", (key) => {
    expect(validateTownEnvKey(key)).toEqual({ ok: true });
  });

  it.each([
    ["NODE_OPTIONS", /NODE_OPTIONS/],
    ["node_options", /load code/],
    ["LD_PRELOAD", /dynamic loader/],
    ["LD_LIBRARY_PATH", /dynamic loader/],
    ["DYLD_INSERT_LIBRARIES", /dynamic loader/],
    ["PATH", /operator/],
    ["Path", /operator/],
    ["HOME", /operator/],
    ["GASTOWN_AGENT_TOKEN", /contract/],
    ["GASTOWN_ANYTHING", /contract/],
    ["BASH_ENV", /bash/],
    ["BASH_FUNC_ls%%", /letters/],
    ["GIT_SSH_COMMAND", /git/],
    ["GIT_CONFIG_COUNT", /git configuration/],
    ["PYTHONSTARTUP", /Python/],
    ["GLIBC_TUNABLES", /C library/],
    ["1ABC", /do not start with a digit/],
    ["A-B", /letters/],
    ["", /letters/],
  ])("refuses %s with a reason", (key, reason) => {
    const check = validateTownEnvKey(key);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toMatch(reason);
  });

  it("refuses values with a NUL byte or over 32 KiB", () => {
    expect(validateTownEnvValue("fine")).toEqual({ ok: true });
    expect(validateTownEnvValue("a\u0000b").ok).toBe(false);
    expect(validateTownEnvValue("x".repeat(32 * 1024 + 1)).ok).toBe(false);
  });

  it("filterTownEnv reports dropped keys without their values", () => {
    const { env, refused } = filterTownEnv({ OK: "1", PATH: "/evil", LD_AUDIT: "x.so" });
    expect(env).toEqual({ OK: "1" });
    expect(refused.map((r) => r.key)).toEqual(["PATH", "LD_AUDIT"]);
    expect(JSON.stringify(refused)).not.toContain("/evil");
  });
});

describe("buildAgentEnv", () => {
  it("produces the contract for a polecat, with town vars, without GASTOWN_PR_URL", () => {
    const spec = agentSpec({ townEnv: { API_KEY: "k" } });
    expect(buildAgentEnv(spec)).toEqual({
      API_KEY: "k",
      GASTOWN_API_URL: spec.apiUrl,
      GASTOWN_AGENT_TOKEN: spec.agentToken,
      GASTOWN_AGENT_ID: spec.agentId,
      GASTOWN_AGENT_ROLE: "polecat",
      GASTOWN_TOWN_ID: spec.townId,
      GASTOWN_RIG_ID: spec.rigId,
      GASTOWN_BEAD_ID: spec.beadId,
      GASTOWN_BRANCH: spec.branch,
      GASTOWN_TARGET_BRANCH: spec.targetBranch,
      GASTOWN_GIT_URL: spec.gitUrl,
      GASTOWN_GIT_TOKEN: spec.gitToken,
      GASTOWN_PROMPT: spec.prompt,
    });
  });

  it("a town cannot shadow the contract, and absent values are left out (mayor)", () => {
    const env = buildAgentEnv(
      agentSpec({ role: "mayor", rigId: null, beadId: null, branch: null, targetBranch: null, gitUrl: null, gitToken: null, townEnv: { GASTOWN_AGENT_ID: "spoof" } }),
    );
    expect(env.GASTOWN_AGENT_ID).toBe("agent-1");
    for (const key of ["GASTOWN_RIG_ID", "GASTOWN_BEAD_ID", "GASTOWN_BRANCH", "GASTOWN_TARGET_BRANCH", "GASTOWN_GIT_URL", "GASTOWN_GIT_TOKEN", "GASTOWN_PR_URL"]) {
      expect(env).not.toHaveProperty(key);
    }
  });

  it("isSafeAgentId accepts uuids and refuses paths", () => {
    expect(isSafeAgentId("3f1c9a2e-8b7d-4c1a-9e0f-123456789abc")).toBe(true);
    expect(isSafeAgentId("../x")).toBe(false);
    expect(isSafeAgentId("a/b")).toBe(false);
    expect(isSafeAgentId("")).toBe(false);
  });
});
