import { describe, expect, it } from "vitest";
import { PrimeSchema, buildMayorTurn, buildWorkerInstructions, type WorkerPlan } from "./instructions";

const prime = (over: Record<string, unknown> = {}) =>
  PrimeSchema.parse({
    agent: { id: "a1", name: "Toast", role: "polecat" },
    hooked_bead: { id: "b1", title: "Add the widget API", body: "Document it in WIDGET.md.", labels: [], metadata: {} },
    undelivered_mail: [{ id: "m1", from_kind: "agent", from_agent_id: "mayor-1", subject: "Heads up", body: "Use the v2 names." }],
    open_beads: [],
    rework_context: null,
    pr_fixup_context: null,
    settings: { merge_strategy: "pr", review_mode: "comments", code_review: true },
    ...over,
  });

const plan = (over: Partial<WorkerPlan> = {}): WorkerPlan => ({ role: "polecat", branch: "gt/add/b1", targetBranch: "main", mergeStrategy: "pr", reviewMode: "comments", prUrl: null, kind: "task", ...over });

describe("buildWorkerInstructions", () => {
  it("a polecat gets its task, orders, mail, and is told to commit but leave push, PR and gt_done to the launcher", () => {
    const text = buildWorkerInstructions({ plan: plan(), prime: prime(), serverPrompt: "Your task: Add the widget API\nAlways write tests.", testCommand: "npm test" });
    expect(text).toContain("You are a Gastown polecat");
    expect(text).toContain("Always write tests.");
    expect(text).toContain("## Your task: Add the widget API");
    expect(text).toContain("Document it in WIDGET.md.");
    expect(text).toContain("git -c user.email=");
    expect(text).toContain("`npm test`");
    expect(text).toContain("opens the pull request against main");
    expect(text).toMatch(/Do NOT push, open a pull request or call gt_done/);
    expect(text).toContain("Heads up");
    expect(text).toContain("Use the v2 names.");
  });

  it("direct strategy: no pull request is mentioned for the polecat", () => {
    const text = buildWorkerInstructions({ plan: plan({ mergeStrategy: "direct" }), prime: prime() });
    expect(text).not.toContain("pull request");
    expect(text).toContain("the refinery merges it");
  });

  it("a rework carries the reviewer's feedback, files and the branch it continues", () => {
    const p = prime({ rework_context: { feedback: "Rename foo to bar.", branch: "gt/add/b0", target_branch: "main", files: ["src/a.ts"], original_bead_title: "Add the widget API", mr_bead_id: "mr1" } });
    const text = buildWorkerInstructions({ plan: plan({ kind: "rework", branch: "gt/add/b0" }), prime: p });
    expect(text).toContain("This is a rework of \"Add the widget API\"");
    expect(text).toContain("Rename foo to bar.");
    expect(text).toContain("src/a.ts");
    expect(text).toContain("on branch gt/add/b0");
  });

  it("a refinery reviews the diff and gives its verdict with the kit's review tools, never merging itself", () => {
    const text = buildWorkerInstructions({ plan: plan({ role: "refinery", prUrl: "https://github.com/a/b/pull/3" }), prime: prime() });
    expect(text).toContain("You are a Gastown refinery");
    expect(text).toContain("git diff origin/main...HEAD");
    expect(text).toContain("mcp__gastown__review_pass");
    expect(text).toContain("mcp__gastown__review_request_changes");
    expect(text).toContain("never an approval");
    expect(text).toContain("Do not change, commit, push or merge anything yourself");
    const direct = buildWorkerInstructions({ plan: plan({ role: "refinery", mergeStrategy: "direct" }), prime: prime() });
    expect(direct).toContain("merges gt/add/b1 into main with --no-ff");
  });
});

describe("PrimeSchema", () => {
  it("reads the prime answer leniently: unknown or malformed optional parts do not break the launcher", () => {
    const p = PrimeSchema.parse({ agent: { id: "a", role: "mayor" }, hooked_bead: null, undelivered_mail: "nope", settings: { merge_strategy: "weird" }, extra: 1 });
    expect(p.undelivered_mail).toEqual([]);
    expect(p.settings?.merge_strategy).toBe("direct");
    expect(p.rig ?? null).toBeNull();
  });
});

describe("buildMayorTurn", () => {
  it("the first turn carries the orders and the mail; later turns only the new mail", () => {
    const mail = [{ from_kind: "person", from_name: "Ada", subject: "Plan the release", body: "Three beads please." }];
    const first = buildMayorTurn({ mail, serverPrompt: "You are the mayor of the town \"T\".", firstTurn: true });
    expect(first).toContain("You are the mayor of the town");
    expect(first).toContain("From Ada: Plan the release");
    expect(first).toContain("gt_reply");
    const later = buildMayorTurn({ mail, firstTurn: false });
    expect(later).not.toContain("You are the mayor of the town");
    expect(later).toContain("Three beads please.");
  });
});
