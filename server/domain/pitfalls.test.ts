import { describe, it } from "vitest";
import { PITFALL_CASES } from "../testing/pitfall-cases";
import { MemoryTownRepo } from "./memory-repo";

// DOMAIN.md §11 on the in-memory repo (fast); the same cases run on Postgres in
// server/tick/pitfalls.integration.test.ts.

describe("DOMAIN.md §11 (MemoryTownRepo)", () => {
  for (const c of PITFALL_CASES) it(c.name, () => c.run(async (world) => new MemoryTownRepo(world)));
});
