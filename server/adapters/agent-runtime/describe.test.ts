import { chmodSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeLocalCommand, findBinary } from "./describe";

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), "gastown-describe-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const exe = (path: string) => {
    writeFileSync(path, "#!/bin/sh\n");
    chmodSync(path, 0o755);
  };
  exe(join(bin, "node"));
  exe(join(bin, "claude"));
  mkdirSync(join(dir, "cache"));
  exe(join(dir, "cache", "codex"));
  writeFileSync(join(dir, "not-executable"), "x");
  return { dir, path: bin };
}

describe("describeLocalCommand", () => {
  it("recognises the kit's claude launcher: every role, node and claude found on PATH", () => {
    const { dir, path } = sandbox();
    const d = describeLocalCommand(["node", "agent-kit/bin/gastown-agent.mjs", "run", "claude"], dir, path);
    expect(d.agent).toBe("claude");
    expect(d.roles).toEqual(["mayor", "polecat", "refinery"]);
    expect(d.binaries.map((b) => [b.name, b.found])).toEqual([["node", true], ["claude", true]]);
  });

  it("follows --bin, relative to the app's directory, and says when it is missing", () => {
    const { dir, path } = sandbox();
    expect(describeLocalCommand(["node", "x/gastown-agent.mjs", "run", "codex", "--bin", "cache/codex"], dir, path).binaries[1]).toMatchObject({ name: "cache/codex", found: true });
    expect(describeLocalCommand(["gastown-agent", "run", "codex", "--bin=cache/nope"], dir, path).binaries).toEqual([
      { name: "gastown-agent", path: null, found: false },
      { name: "cache/nope", path: null, found: false },
    ]);
  });

  it("treats any other command as serving every role, checking only its program", () => {
    const { dir, path } = sandbox();
    const d = describeLocalCommand(["node", "scripts/test-agent.mjs"], dir, path);
    expect(d).toEqual({ agent: null, roles: ["mayor", "polecat", "refinery"], binaries: [{ name: "node", path: join(path, "node"), found: true }] });
  });

  it("a file without the execute bit is not a binary", () => {
    const { dir, path } = sandbox();
    expect(findBinary("./not-executable", dir, path).found).toBe(false);
    expect(findBinary("missing", dir, path).found).toBe(false);
  });
});
