import { describe, expect, it } from "vitest";
import {
  applyTownConfigUpdate,
  effectiveSettings,
  RigOverrideConfigUpdateSchema,
  TownConfigSchema,
  TownConfigUpdateSchema,
} from "./settings";

describe("settings", () => {
  it("town config fills DOMAIN.md §7.1 defaults, including a missing refinery object", () => {
    const town = TownConfigSchema.parse({});
    expect(town.merge_strategy).toBe("direct");
    expect(town.refinery).toEqual({
      gates: [],
      auto_merge: true,
      require_clean_merge: true,
      code_review: true,
      review_mode: "rework",
      auto_resolve_pr_feedback: false,
      auto_resolve_merge_conflicts: true,
      auto_merge_delay_minutes: null,
    });
    expect(town.convoy_merge_mode).toBe("review-then-land");
    expect(town.staged_convoys_default).toBe(false);
    expect(town.max_polecats_per_rig).toBeUndefined();
  });

  it("the update schema has no defaults: a one-key patch parses to exactly that key", () => {
    expect(TownConfigUpdateSchema.parse({ refinery: { auto_merge: false } })).toEqual({ refinery: { auto_merge: false } });
    expect(TownConfigUpdateSchema.parse({})).toEqual({});
  });

  it("the update schema rejects unknown keys and drops ownership keys", () => {
    expect(TownConfigUpdateSchema.safeParse({ nonsense: 1 }).success).toBe(false);
    expect(TownConfigUpdateSchema.parse({ owner_user_id: "u2", merge_strategy: "pr" })).toEqual({ merge_strategy: "pr" });
  });

  it("applying an update merges nested objects field by field and keeps masked secrets", () => {
    const current = TownConfigSchema.parse({
      refinery: { code_review: false, auto_merge_delay_minutes: 15 },
      git_auth: { github_token: "ghp_secret1234" },
      env_vars: { API_KEY: "real-value", OLD: "x" },
      default_model: "m1",
    });
    const next = applyTownConfigUpdate(
      current,
      TownConfigUpdateSchema.parse({
        refinery: { auto_merge: false },
        git_auth: { github_token: "****1234" },
        env_vars: { API_KEY: "****alue", NEW: "n" },
        default_model: "",
      }),
    );
    expect(next.refinery.code_review).toBe(false);
    expect(next.refinery.auto_merge).toBe(false);
    expect(next.refinery.auto_merge_delay_minutes).toBe(15);
    expect(next.git_auth.github_token).toBe("ghp_secret1234");
    expect(next.env_vars).toEqual({ API_KEY: "real-value", NEW: "n" });
    expect(next.default_model).toBeUndefined();
  });

  it("max_concurrent_polecats: rig ?? town max_polecats_per_rig ?? 5", () => {
    expect(effectiveSettings({}, {}).maxConcurrentPolecats).toBe(5);
    expect(effectiveSettings({ max_polecats_per_rig: 3 }, {}).maxConcurrentPolecats).toBe(3);
    expect(effectiveSettings({ max_polecats_per_rig: 3 }, { max_concurrent_polecats: 8 }).maxConcurrentPolecats).toBe(8);
    expect(effectiveSettings({ max_polecats_per_rig: 3 }, { max_concurrent_polecats: 8 }).sources.maxConcurrentPolecats).toBe("rig");
  });

  it("max_dispatch_attempts: rig ?? town ?? 5", () => {
    expect(effectiveSettings({}, {}).maxDispatchAttempts).toBe(5);
    expect(effectiveSettings({ max_dispatch_attempts: 7 }, {}).maxDispatchAttempts).toBe(7);
    expect(effectiveSettings({ max_dispatch_attempts: 7 }, { max_dispatch_attempts: 2 }).maxDispatchAttempts).toBe(2);
  });

  it("other overrides: rig ?? town ?? default, with their source for the UI", () => {
    const s = effectiveSettings({ merge_strategy: "pr", refinery: { code_review: false } }, { code_review: true, auto_merge: false });
    expect(s.mergeStrategy).toBe("pr");
    expect(s.sources.mergeStrategy).toBe("town");
    expect(s.codeReview).toBe(true);
    expect(s.sources.codeReview).toBe("rig");
    expect(s.autoMerge).toBe(false);
    expect(s.reviewMode).toBe("rework");
    expect(s.sources.reviewMode).toBe("default");
  });

  it("a rig's explicit null auto_merge_delay_minutes disables auto-merge; an absent one inherits", () => {
    const town = { refinery: { auto_merge_delay_minutes: 15 } };
    expect(effectiveSettings(town, {}).autoMergeDelayMinutes).toBe(15);
    expect(effectiveSettings(town, { auto_merge_delay_minutes: null }).autoMergeDelayMinutes).toBeNull();
    expect(effectiveSettings(town, { auto_merge_delay_minutes: 0 }).autoMergeDelayMinutes).toBe(0);
  });

  it("rig overrides refuse force and no-verify push flags and unknown keys", () => {
    expect(RigOverrideConfigUpdateSchema.safeParse({ git_push_flags: ["--force"] }).success).toBe(false);
    expect(RigOverrideConfigUpdateSchema.safeParse({ git_push_flags: ["--no-verify"] }).success).toBe(false);
    expect(RigOverrideConfigUpdateSchema.safeParse({ git_push_flags: ["--atomic"] }).success).toBe(true);
    expect(RigOverrideConfigUpdateSchema.safeParse({ max_polecats_per_rig: 3 }).success).toBe(false);
    expect(RigOverrideConfigUpdateSchema.parse({})).toEqual({});
  });
});
