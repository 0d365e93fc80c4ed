import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadOrCreateSecrets } from "./env";

describe("first-run secrets", () => {
  it("are generated once into the data folder, private to the owner, and reused after", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gt-secrets-"));
    const first = loadOrCreateSecrets(dir);
    expect(first.CRON_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(first.BETTER_AUTH_SECRET).not.toBe(first.CRON_SECRET);
    const file = path.join(dir, "secrets.json");
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(loadOrCreateSecrets(dir)).toEqual(first);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(first);
  });
});
