import { describe, expect, it } from "vitest";
import { convoyFeatureBranch, validateConvoyDag } from "./convoy-dag";

describe("validateConvoyDag", () => {
  it("accepts a chain and returns its blocks edges and a topological order", () => {
    const result = validateConvoyDag([{}, { depends_on: [0] }, { depends_on: [1, 0] }]);
    expect(result).toEqual({
      ok: true,
      edges: [
        { task: 1, dependsOn: 0 },
        { task: 2, dependsOn: 1 },
        { task: 2, dependsOn: 0 },
      ],
      order: [0, 1, 2],
    });
  });

  it("orders a diamond so every task comes after its blockers", () => {
    const result = validateConvoyDag([{ depends_on: [1, 2] }, { depends_on: [3] }, { depends_on: [3] }, {}]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const pos = (i: number) => result.order.indexOf(i);
    expect(pos(3)).toBeLessThan(pos(1));
    expect(pos(3)).toBeLessThan(pos(2));
    expect(pos(1)).toBeLessThan(pos(0));
    expect(pos(2)).toBeLessThan(pos(0));
  });

  it("drops duplicate dependencies", () => {
    const result = validateConvoyDag([{}, { depends_on: [0, 0] }]);
    expect(result.ok && result.edges).toEqual([{ task: 1, dependsOn: 0 }]);
  });

  it("refuses an index out of range, negative or not an integer, with the path of each", () => {
    const result = validateConvoyDag([{ depends_on: [2] }, { depends_on: [-1, 0.5] }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual([
      ["tasks", 0, "depends_on", 0],
      ["tasks", 1, "depends_on", 0],
      ["tasks", 1, "depends_on", 1],
    ]);
  });

  it("refuses a task that depends on itself", () => {
    const result = validateConvoyDag([{ depends_on: [0] }, {}]);
    expect(result).toMatchObject({ ok: false, issues: [{ path: ["tasks", 0, "depends_on", 0], message: "Task 0 cannot depend on itself." }] });
  });

  it("refuses a cycle with a clear message naming the tasks on or behind it", () => {
    const result = validateConvoyDag([{}, { depends_on: [0, 3] }, { depends_on: [1] }, { depends_on: [2] }, { depends_on: [3] }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/^Convoy dependency graph contains a cycle — 4 tasks/);
    expect(result.message).toContain("tasks 1, 2, 3, 4");
  });

  it("refuses a two-task cycle", () => {
    const result = validateConvoyDag([{ depends_on: [1] }, { depends_on: [0] }]);
    expect(result.ok).toBe(false);
  });

  it("requires at least one dependency when asked, except for a single task", () => {
    expect(validateConvoyDag([{}, {}], { requireDependencies: true })).toMatchObject({ ok: false, issues: [{ path: ["tasks"] }] });
    expect(validateConvoyDag([{}, {}], { requireDependencies: false }).ok).toBe(true);
    expect(validateConvoyDag([{}], { requireDependencies: true }).ok).toBe(true);
    expect(validateConvoyDag([{}, { depends_on: [0] }, {}], { requireDependencies: true }).ok).toBe(true);
  });

  it("accepts no tasks at all (the caller's schema requires at least one)", () => {
    expect(validateConvoyDag([])).toEqual({ ok: true, edges: [], order: [] });
  });
});

describe("convoyFeatureBranch", () => {
  const id = "0123456789abcdef-rest-of-uuid";

  it("slugs the title and ends in /head", () => {
    expect(convoyFeatureBranch("Add OAuth: GitHub & GitLab!", id)).toBe("convoy/add-oauth-github-gitlab/01234567/head");
  });

  it("cuts the slug at 40 characters without a trailing hyphen", () => {
    const branch = convoyFeatureBranch("a".repeat(39) + " bbbb", id);
    expect(branch).toBe(`convoy/${"a".repeat(39)}/01234567/head`);
    const slug = convoyFeatureBranch("x".repeat(100), id).split("/")[1];
    expect(slug).toHaveLength(40);
  });

  it("falls back to 'convoy' when the title has no letters or digits", () => {
    expect(convoyFeatureBranch("!!! ???", id)).toBe("convoy/convoy/01234567/head");
  });

  it("folds accents", () => {
    expect(convoyFeatureBranch("Café déjà vu", id)).toBe("convoy/cafe-deja-vu/01234567/head");
  });
});
