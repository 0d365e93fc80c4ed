import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { REDACTED, createRedactor, lazyRedactor, secretsOfAdapterConfig, secretsOfTownConfig } from "./redact";

// The redactor on its own: each kind of secret, planted in a text, comes out masked; ordinary text does not.

const GIT = "ghp_TownToken0123456789abcdefABCDEF0123";
const RUNTIME = "runtime-shared-secret-77";
const ENV_VALUE = "s3cr3t-env-value";

async function agentJwt() {
  return new SignJWT({ townId: "t-1", agentId: "a-1", role: "polecat" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("gastown-control")
    .setAudience("gastown-agent-api")
    .setExpirationTime("8h")
    .sign(new TextEncoder().encode("k".repeat(48)));
}

describe("createRedactor", () => {
  const r = createRedactor([GIT, RUNTIME, ENV_VALUE, "short", null, undefined]);

  it("masks every listed secret wherever it appears, and leaves values under 6 characters alone", () => {
    expect(r.text(`clone failed: https://x-access-token:${GIT}@github.com/a/b (${RUNTIME}) env=${ENV_VALUE}; short`)).toBe(
      `clone failed: https://x-access-token:${REDACTED}@github.com/a/b (${REDACTED}) env=${REDACTED}; short`,
    );
  });

  it("masks our agent tokens by their shape (the live ones are only hashed in the database)", async () => {
    const token = await agentJwt();
    expect(createRedactor([]).text(`GASTOWN_AGENT_TOKEN=${token} done`)).toBe(`GASTOWN_AGENT_TOKEN=${REDACTED} done`);
  });

  it("masks credential shapes nobody listed: GitHub tokens, Bearer values, passwords in URLs", () => {
    const none = createRedactor([]);
    expect(none.text("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 end")).toBe(`token ${REDACTED} end`);
    expect(none.text("github_pat_11AAAAAAA0abcdefghijklmnop_qrstuvwxyz")).toBe(REDACTED);
    expect(none.text("Authorization: Bearer abc.def-ghi_jkl")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(none.text("https://user:hunter2@example.com/x")).toBe(`https://user:${REDACTED}@example.com/x`);
  });

  it("masks the URL-encoded form of a secret", () => {
    const odd = "p@ss/word+1";
    expect(createRedactor([odd]).text(`https://host/?k=${encodeURIComponent(odd)}`)).toBe(`https://host/?k=${REDACTED}`);
  });

  it("leaves ordinary text as it is", () => {
    const text = "exit code 1: npm ERR! missing script: test (see agent.completed at github.com)";
    expect(r.text(text)).toBe(text);
  });

  it("deep: redacts every string of a JSON value and copies it (the input is not changed)", () => {
    const input = { reason: `refused ${GIT}`, nested: [{ v: ENV_VALUE }, 3, null], ok: true };
    const out = r.deep(input);
    expect(out).toEqual({ reason: `refused ${REDACTED}`, nested: [{ v: REDACTED }, 3, null], ok: true });
    expect(input.reason).toContain(GIT);
  });

  it("edges: a secret cut by a length limit leaves no fragment", () => {
    const cut = `runtime said: ${GIT}`.slice(0, 30);
    expect(r.text(cut)).toContain("ghp_Town");
    expect(r.deep({ reason: cut }, { edges: true }).reason).toBe(`runtime said: ${REDACTED}`);
  });

  it("window: a log tail that starts mid-secret or mid-JWT shows none of it", async () => {
    expect(r.window(`${GIT.slice(10)}\nnext line`)).toBe(`${REDACTED}\nnext line`);
    const token = await agentJwt();
    expect(r.window(`${token.slice(25)}\nnext line`)).toBe(`${REDACTED}\nnext line`);
  });
});

describe("where the secrets come from", () => {
  it("a town config: git tokens, other credentials and env var values", () => {
    const config = { git_auth: { github_token: GIT, gitlab_token: "glpat-xyz123456" }, kilocode_token: "kilo-123456", env_vars: { A: ENV_VALUE, B: "1" } };
    expect(secretsOfTownConfig(config).sort()).toEqual([GIT, "glpat-xyz123456", "kilo-123456", ENV_VALUE, "1"].sort());
    expect(secretsOfTownConfig(null)).toEqual([]);
  });

  it("the adapters' configuration: the operator's GITHUB_TOKEN and the http runtimes' secrets", () => {
    expect(secretsOfAdapterConfig({ github: { token: GIT }, httpRuntimes: { box: { secret: RUNTIME } } })).toEqual([GIT, RUNTIME]);
  });
});

describe("lazyRedactor", () => {
  it("builds the redactor on first use, once, and redacts like it", () => {
    let built = 0;
    const lazy = lazyRedactor(() => {
      built++;
      return createRedactor(["s3cret-value-xyz"]);
    });
    expect(built).toBe(0);
    expect(lazy.text("a s3cret-value-xyz b")).not.toContain("s3cret-value-xyz");
    expect(lazy.deep({ a: ["s3cret-value-xyz"] }).a[0]).not.toContain("s3cret");
    expect(lazy.size).toBe(1);
    expect(built).toBe(1);
  });
});
