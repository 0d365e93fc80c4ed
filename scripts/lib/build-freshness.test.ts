import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decideBuild, decideBuildAt, newestInput } from "./build-freshness.mjs";

// `npm start` reuses the production build unless a source is newer (issue 16). Times are set on the files
// explicitly (utimes), never read from the clock.

describe("decideBuild", () => {
  const newest = { mtimeMs: 2_000, file: "server/log.ts" };
  it("builds when there is no build", () => {
    expect(decideBuild({ buildIdMtimeMs: null, newest })).toEqual({ build: true, reason: "there is no production build yet (.next/BUILD_ID)" });
  });
  it("builds when a source is newer than the build, and names it", () => {
    expect(decideBuild({ buildIdMtimeMs: 1_000, newest })).toEqual({ build: true, reason: "server/log.ts changed after the last build" });
  });
  it("reuses a build newer than (or as new as) every source", () => {
    expect(decideBuild({ buildIdMtimeMs: 3_000, newest }).build).toBe(false);
    expect(decideBuild({ buildIdMtimeMs: 2_000, newest }).build).toBe(false);
  });
  it("builds when asked to, however fresh the build", () => {
    expect(decideBuild({ force: true, buildIdMtimeMs: 3_000, newest })).toEqual({ build: true, reason: "a build was asked for (--build)" });
  });
});

describe("decideBuildAt (on files)", () => {
  let root = "";
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function file(rel: string, seconds: number) {
    const full = path.join(root, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, "x");
    utimesSync(full, seconds, seconds);
  }

  it("follows BUILD_ID against the newest input; tests, the generated client and node_modules do not count", () => {
    root = mkdtempSync(path.join(tmpdir(), "gastown-build-"));
    file("app/page.tsx", 1_000);
    file("server/tick/run-tick.ts", 1_500);
    file("package-lock.json", 1_200);
    expect(decideBuildAt(root).build).toBe(true); // no build yet

    file(".next/BUILD_ID", 2_000);
    expect(decideBuildAt(root)).toEqual({ build: false, reason: "the production build in .next is newer than every source file" });

    // not build inputs: a test file, the generated Prisma client, a node_modules folder inside an input, an unrelated folder
    file("server/tick/run-tick.test.ts", 3_000);
    file("server/db/generated/client.ts", 3_000);
    file("server/node_modules/x/index.js", 3_000);
    file("e2e/overview.spec.ts", 3_000);
    file("docs/notes.md", 3_000);
    expect(decideBuildAt(root).build).toBe(false);
    expect(newestInput(root)).toEqual({ mtimeMs: 1_500_000, file: path.join("server", "tick", "run-tick.ts") });

    // a source edited after the build, or a dependency change
    file("components/ui/button.tsx", 2_500);
    expect(decideBuildAt(root)).toEqual({ build: true, reason: `${path.join("components", "ui", "button.tsx")} changed after the last build` });
    file(".next/BUILD_ID", 2_600);
    expect(decideBuildAt(root).build).toBe(false);
    file("package-lock.json", 2_700);
    expect(decideBuildAt(root).build).toBe(true);
    expect(decideBuildAt(root, { force: true }).reason).toBe("a build was asked for (--build)");
  });
});
