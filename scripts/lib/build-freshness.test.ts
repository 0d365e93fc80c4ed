import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decideBuild, decideBuildAt, newestInput, writeBuildMarker } from "./build-freshness.mjs";

// `npm start` reuses the production build unless a source is newer (issue 16). Times are set on the files
// explicitly (utimes), never read from the clock.

describe("decideBuild", () => {
  const newest = { mtimeMs: 2_000, file: "server/log.ts" };
  it("builds when there is no build", () => {
    expect(decideBuild({ builtAtMs: null, newest })).toEqual({ build: true, reason: "there is no production build yet (.next/BUILD_ID)" });
  });
  it("builds when a source changed after the build started, and names it", () => {
    expect(decideBuild({ builtAtMs: 1_000, newest })).toEqual({ build: true, reason: "server/log.ts changed after the last build started" });
  });
  it("reuses a build that started after (or as) every source last changed", () => {
    expect(decideBuild({ builtAtMs: 3_000, newest }).build).toBe(false);
    expect(decideBuild({ builtAtMs: 2_000, newest }).build).toBe(false);
  });
  it("builds when asked to, however fresh the build", () => {
    expect(decideBuild({ force: true, builtAtMs: 3_000, newest })).toEqual({ build: true, reason: "a build was asked for (--build)" });
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
    expect(decideBuildAt(root)).toEqual({ build: false, reason: "the production build in .next started after the last change to any source file" });

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
    expect(decideBuildAt(root)).toEqual({ build: true, reason: `${path.join("components", "ui", "button.tsx")} changed after the last build started` });
    file(".next/BUILD_ID", 2_600);
    expect(decideBuildAt(root).build).toBe(false);
    file("package-lock.json", 2_700);
    expect(decideBuildAt(root).build).toBe(true);
    expect(decideBuildAt(root, { force: true }).reason).toBe("a build was asked for (--build)");
  });

  it("with `npm run build`'s note of when the build started, a file edited during the build counts as newer", () => {
    root = mkdtempSync(path.join(tmpdir(), "gastown-build-"));
    file("server/startup.ts", 1_000);
    file(".next/BUILD_ID", 3_000); // the build ended at 3000 …
    expect(decideBuildAt(root).build).toBe(false);
    writeBuildMarker(root, 1_500_000); // … but started at 1500 (ms)
    file("server/startup.ts", 2_000); // edited while it ran
    expect(decideBuildAt(root)).toEqual({ build: true, reason: `${path.join("server", "startup.ts")} changed after the last build started` });
    file("server/startup.ts", 1_400);
    expect(decideBuildAt(root).build).toBe(false);
    // a new `next build` empties .next: no BUILD_ID, no build, whatever the marker said
    rmSync(path.join(root, ".next", "BUILD_ID"));
    expect(decideBuildAt(root).build).toBe(true);
  });
});
