import { z } from "zod";
import { DEFAULT_MAX_CONCURRENT_POLECATS, DEFAULT_MAX_DISPATCH_ATTEMPTS } from "./constants";

// Town and rig settings (DOMAIN.md §7, SPEC.md §3b settings chain). Keys are snake_case because they are
// the stored jsonb and the wire format; `effectiveSettings` turns them into the camelCase view the
// reconciler reads.

export const MergeStrategySchema = z.enum(["direct", "pr"]);
export const ReviewModeSchema = z.enum(["rework", "comments"]);
export const ConvoyMergeModeSchema = z.enum(["review-then-land", "review-and-merge"]);
export type MergeStrategy = z.infer<typeof MergeStrategySchema>;
export type ReviewMode = z.infer<typeof ReviewModeSchema>;
export type ConvoyMergeMode = z.infer<typeof ConvoyMergeModeSchema>;

/** `git push` flags a rig may add; force and no-verify are never allowed (DOMAIN.md §7.2). */
export const GIT_PUSH_FLAG_ALLOW_LIST = [
  "--atomic", "--follow-tags", "--signed", "--no-signed", "--progress", "--no-progress", "--verbose", "--quiet",
  "--tags", "--porcelain", "--ipv4", "--ipv6",
  "--recurse-submodules=check", "--recurse-submodules=on-demand", "--recurse-submodules=no",
] as const;
export const GitPushFlagSchema = z.enum(GIT_PUSH_FLAG_ALLOW_LIST);

const Instructions = z.string().max(2000);
const ModelName = z.string().max(200);
const AutoMergeDelay = z.number().int().min(0).max(7 * 24 * 60).nullable();

const RefineryConfigSchema = z.object({
  gates: z.array(z.string().max(1000)).max(20).default([]),
  auto_merge: z.boolean().default(true),
  require_clean_merge: z.boolean().default(true),
  code_review: z.boolean().default(true),
  review_mode: ReviewModeSchema.default("rework"),
  auto_resolve_pr_feedback: z.boolean().default(false),
  auto_resolve_merge_conflicts: z.boolean().default(true),
  /** null = auto-merge disabled; 0 = merge as soon as green. */
  auto_merge_delay_minutes: AutoMergeDelay.default(null),
});

/** The stored town config with every default filled in (DOMAIN.md §7.1). Reading is lenient about unknown
 *  keys so a config written by a newer version survives a round trip. `max_dispatch_attempts` is ours
 *  (SPEC.md §3b: rig ?? town ?? 5); `agent_runtime` names one of the operator's runtimes (SPEC.md §4.4). */
export const TownConfigSchema = z.looseObject({
  env_vars: z.record(z.string(), z.string()).default({}),
  git_auth: z
    .object({
      github_token: z.string().optional(),
      gitlab_token: z.string().optional(),
      gitlab_instance_url: z.string().optional(),
      platform_integration_id: z.string().optional(),
    })
    .default({}),
  owner_user_id: z.string().optional(),
  owner_id: z.string().optional(),
  created_by_user_id: z.string().optional(),
  organization_id: z.string().optional(),
  owner_type: z.enum(["user", "org"]).default("user"),
  kilocode_token: z.string().optional(),
  default_model: ModelName.optional(),
  role_models: z.object({ mayor: ModelName.optional(), refinery: ModelName.optional(), polecat: ModelName.optional() }).optional(),
  small_model: ModelName.optional(),
  max_polecats_per_rig: z.number().int().min(1).max(50).optional(),
  max_dispatch_attempts: z.number().int().min(1).max(50).optional(),
  merge_strategy: MergeStrategySchema.default("direct"),
  // prefault, not default: an absent refinery object is parsed as {} so its fields get their defaults.
  refinery: RefineryConfigSchema.prefault({}),
  alarm_interval_active: z.number().int().min(5).max(600).optional(),
  alarm_interval_idle: z.number().int().min(30).max(3600).optional(),
  container: z.object({ sleep_after_minutes: z.number().int().min(5).max(120).optional() }).optional(),
  staged_convoys_default: z.boolean().default(false),
  convoy_merge_mode: ConvoyMergeModeSchema.default("review-then-land"),
  github_cli_pat: z.string().optional(),
  git_author_name: z.string().max(200).optional(),
  git_author_email: z.string().max(200).optional(),
  disable_ai_coauthor: z.boolean().default(false),
  custom_instructions: z
    .object({ polecat: Instructions.optional(), refinery: Instructions.optional(), mayor: Instructions.optional() })
    .optional(),
  agent_runtime: z.string().max(100).optional(),
});
export type TownConfig = z.infer<typeof TownConfigSchema>;

/** Fields people may not set: ownership is the system's business (DOMAIN.md §7.1 "stripped"). */
const OWNERSHIP_KEYS = ["owner_user_id", "owner_id", "created_by_user_id", "organization_id", "owner_type"] as const;

/** A partial town-config update: no defaults anywhere, so a patch of one key never injects phantom values
 *  for the others. `null` clears an optional value. Unknown keys are rejected (tRPC inputs are strict);
 *  ownership keys are dropped rather than refused, so a UI that echoes the config back still saves. */
export const TownConfigUpdateSchema = z.preprocess(
  (raw) => {
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return raw;
    const copy: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    for (const key of OWNERSHIP_KEYS) delete copy[key];
    return copy;
  },
  z.strictObject({
    env_vars: z.record(z.string(), z.string()).optional(),
    git_auth: z
      .strictObject({
        github_token: z.string().nullable().optional(),
        gitlab_token: z.string().nullable().optional(),
        gitlab_instance_url: z.string().nullable().optional(),
        platform_integration_id: z.string().nullable().optional(),
      })
      .optional(),
    kilocode_token: z.string().optional(),
    default_model: ModelName.nullable().optional(),
    role_models: z
      .strictObject({ mayor: ModelName.nullable().optional(), refinery: ModelName.nullable().optional(), polecat: ModelName.nullable().optional() })
      .optional(),
    small_model: ModelName.nullable().optional(),
    max_polecats_per_rig: z.number().int().min(1).max(50).nullable().optional(),
    max_dispatch_attempts: z.number().int().min(1).max(50).nullable().optional(),
    merge_strategy: MergeStrategySchema.optional(),
    refinery: z
      .strictObject({
        gates: z.array(z.string().max(1000)).max(20).optional(),
        auto_merge: z.boolean().optional(),
        require_clean_merge: z.boolean().optional(),
        code_review: z.boolean().optional(),
        review_mode: ReviewModeSchema.optional(),
        auto_resolve_pr_feedback: z.boolean().optional(),
        auto_resolve_merge_conflicts: z.boolean().optional(),
        auto_merge_delay_minutes: AutoMergeDelay.optional(),
      })
      .optional(),
    alarm_interval_active: z.number().int().min(5).max(600).nullable().optional(),
    alarm_interval_idle: z.number().int().min(30).max(3600).nullable().optional(),
    container: z.strictObject({ sleep_after_minutes: z.number().int().min(5).max(120).nullable().optional() }).optional(),
    staged_convoys_default: z.boolean().optional(),
    convoy_merge_mode: ConvoyMergeModeSchema.optional(),
    github_cli_pat: z.string().nullable().optional(),
    git_author_name: z.string().max(200).nullable().optional(),
    git_author_email: z.string().max(200).nullable().optional(),
    disable_ai_coauthor: z.boolean().optional(),
    custom_instructions: z
      .strictObject({ polecat: Instructions.nullable().optional(), refinery: Instructions.nullable().optional(), mayor: Instructions.nullable().optional() })
      .optional(),
    agent_runtime: z.string().max(100).nullable().optional(),
  }),
);
export type TownConfigUpdate = z.infer<typeof TownConfigUpdateSchema>;

/** A value the UI shows in place of a secret; saving it back keeps the stored secret (DOMAIN.md §7.1). */
export function isMaskedSecret(value: string): boolean {
  return /^\*{4}/.test(value);
}

/** Masks a secret for display: `****` + the last 4 characters. */
export function maskSecret(value: string): string {
  return `****${value.slice(-4)}`;
}

type Loose = Record<string, unknown>;

/** Merges a validated update into the stored config: nested objects field by field, `null` or an empty
 *  model removes the key, masked secrets keep the stored value. Returns the new config (re-parsed, so its
 *  defaults are filled in). */
export function applyTownConfigUpdate(current: TownConfig, update: TownConfigUpdate): TownConfig {
  const next: Loose = structuredClone(current) as Loose;
  for (const [key, value] of Object.entries(update as Loose)) {
    if (value === undefined) continue;
    if (key === "env_vars") {
      const stored = (current.env_vars ?? {}) as Record<string, string>;
      const merged: Record<string, string> = {};
      for (const [name, v] of Object.entries(value as Record<string, string>)) {
        merged[name] = isMaskedSecret(v) && stored[name] !== undefined ? stored[name] : v;
      }
      next.env_vars = merged; // the update is the whole env map: a missing name is a deleted variable
      continue;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const base = ((next[key] as Loose | undefined) ?? {}) as Loose;
      const merged: Loose = { ...base };
      for (const [field, fieldValue] of Object.entries(value as Loose)) {
        if (fieldValue === undefined) continue;
        if (fieldValue === null && !(key === "refinery" && field === "auto_merge_delay_minutes")) delete merged[field];
        else if (typeof fieldValue === "string" && isMaskedSecret(fieldValue) && typeof base[field] === "string") continue;
        else merged[field] = fieldValue;
      }
      next[key] = merged;
      continue;
    }
    if (value === null || (key === "default_model" && value === "")) delete next[key];
    else if (typeof value === "string" && isMaskedSecret(value) && typeof next[key] === "string") continue;
    else next[key] = value;
  }
  return TownConfigSchema.parse(next);
}

/** Per-rig overrides (DOMAIN.md §7.2): every key optional, absent = inherit from the town. For
 *  `auto_merge_delay_minutes` an explicit `null` means "disabled on this rig" (not "inherit"), which is why
 *  `effectiveSettings` tests for the key's presence rather than using `??`. */
const rigOverrideShape = {
  default_model: ModelName.optional(),
  role_models: z.object({ polecat: ModelName.optional(), refinery: ModelName.optional() }).optional(),
  review_mode: ReviewModeSchema.optional(),
  code_review: z.boolean().optional(),
  auto_merge: z.boolean().optional(),
  auto_resolve_pr_feedback: z.boolean().optional(),
  auto_resolve_merge_conflicts: z.boolean().optional(),
  auto_merge_delay_minutes: AutoMergeDelay.optional(),
  merge_strategy: MergeStrategySchema.optional(),
  convoy_merge_mode: ConvoyMergeModeSchema.optional(),
  custom_instructions: z.object({ polecat: Instructions.optional(), refinery: Instructions.optional() }).optional(),
  git_push_flags: z.array(GitPushFlagSchema).max(GIT_PUSH_FLAG_ALLOW_LIST.length).optional(),
  max_concurrent_polecats: z.number().int().min(1).max(50).optional(),
  max_dispatch_attempts: z.number().int().min(1).max(50).optional(),
};

/** Reading a stored rig config: lenient about unknown keys. */
export const RigOverrideConfigSchema = z.looseObject(rigOverrideShape);
export type RigOverrideConfig = z.infer<typeof RigOverrideConfigSchema>;

/** Saving a rig's overrides: the whole override set (absent = inherit), strict, and with no defaults so
 *  nothing is overridden that the person did not set. */
export const RigOverrideConfigUpdateSchema = z.strictObject({
  ...rigOverrideShape,
  role_models: z.strictObject({ polecat: ModelName.optional(), refinery: ModelName.optional() }).optional(),
  custom_instructions: z.strictObject({ polecat: Instructions.optional(), refinery: Instructions.optional() }).optional(),
});
export type RigOverrideConfigUpdate = z.infer<typeof RigOverrideConfigUpdateSchema>;

export type SettingSource = "rig" | "town" | "default";

/** What the reconciler and the executors read for one rig. */
export interface EffectiveSettings {
  mergeStrategy: MergeStrategy;
  codeReview: boolean;
  autoMerge: boolean;
  autoMergeDelayMinutes: number | null;
  autoResolvePrFeedback: boolean;
  autoResolveMergeConflicts: boolean;
  reviewMode: ReviewMode;
  requireCleanMerge: boolean;
  gates: string[];
  convoyMergeMode: ConvoyMergeMode;
  maxDispatchAttempts: number;
  maxConcurrentPolecats: number;
  gitPushFlags: string[];
  /** Where each overridable value came from, for the UI's "inherited / overridden". */
  sources: Record<
    | "mergeStrategy" | "codeReview" | "autoMerge" | "autoMergeDelayMinutes" | "autoResolvePrFeedback"
    | "autoResolveMergeConflicts" | "reviewMode" | "convoyMergeMode" | "maxDispatchAttempts" | "maxConcurrentPolecats",
    SettingSource
  >;
}

function pick<T>(rigValue: T | undefined, townValue: T | undefined, fallback: T): [T, SettingSource] {
  if (rigValue !== undefined) return [rigValue, "rig"];
  if (townValue !== undefined) return [townValue, "town"];
  return [fallback, "default"];
}

/** The settings chain of SPEC.md §3b: max_concurrent_polecats = rig ?? town max_polecats_per_rig ?? 5;
 *  max_dispatch_attempts = rig ?? town ?? 5; everything else rig ?? town ?? DOMAIN.md default.
 *  `townRaw` may be the stored jsonb (it is parsed, filling defaults); "town" as a source means the town
 *  stored the key explicitly. */
export function effectiveSettings(townRaw: unknown, rigRaw?: unknown): EffectiveSettings {
  const town = TownConfigSchema.parse(townRaw ?? {});
  const rig = RigOverrideConfigSchema.parse(rigRaw ?? {});
  // Which town keys were actually stored, so the UI can tell a town choice from a schema default.
  const storedTown = (townRaw ?? {}) as Loose;
  const storedRefinery = ((storedTown.refinery as Loose | undefined) ?? {}) as Loose;
  const townKey = <T>(present: boolean, value: T): T | undefined => (present ? value : undefined);
  const r = town.refinery;

  const [mergeStrategy, s1] = pick(rig.merge_strategy, townKey("merge_strategy" in storedTown, town.merge_strategy), "direct" as MergeStrategy);
  const [codeReview, s2] = pick(rig.code_review, townKey("code_review" in storedRefinery, r.code_review), true);
  const [autoMerge, s3] = pick(rig.auto_merge, townKey("auto_merge" in storedRefinery, r.auto_merge), true);
  const [autoMergeDelayMinutes, s4] =
    "auto_merge_delay_minutes" in rig && rig.auto_merge_delay_minutes !== undefined
      ? [rig.auto_merge_delay_minutes, "rig" as SettingSource]
      : pick<number | null>(undefined, townKey("auto_merge_delay_minutes" in storedRefinery, r.auto_merge_delay_minutes), null);
  const [autoResolvePrFeedback, s5] = pick(rig.auto_resolve_pr_feedback, townKey("auto_resolve_pr_feedback" in storedRefinery, r.auto_resolve_pr_feedback), false);
  const [autoResolveMergeConflicts, s6] = pick(rig.auto_resolve_merge_conflicts, townKey("auto_resolve_merge_conflicts" in storedRefinery, r.auto_resolve_merge_conflicts), true);
  const [reviewMode, s7] = pick(rig.review_mode, townKey("review_mode" in storedRefinery, r.review_mode), "rework" as ReviewMode);
  const [convoyMergeMode, s8] = pick(rig.convoy_merge_mode, townKey("convoy_merge_mode" in storedTown, town.convoy_merge_mode), "review-then-land" as ConvoyMergeMode);
  const [maxDispatchAttempts, s9] = pick(rig.max_dispatch_attempts, town.max_dispatch_attempts, DEFAULT_MAX_DISPATCH_ATTEMPTS);
  const [maxConcurrentPolecats, s10] = pick(rig.max_concurrent_polecats, town.max_polecats_per_rig, DEFAULT_MAX_CONCURRENT_POLECATS);

  return {
    mergeStrategy,
    codeReview,
    autoMerge,
    autoMergeDelayMinutes,
    autoResolvePrFeedback,
    autoResolveMergeConflicts,
    reviewMode,
    requireCleanMerge: r.require_clean_merge,
    gates: r.gates,
    convoyMergeMode,
    maxDispatchAttempts,
    maxConcurrentPolecats,
    gitPushFlags: rig.git_push_flags ?? [],
    sources: {
      mergeStrategy: s1,
      codeReview: s2,
      autoMerge: s3,
      autoMergeDelayMinutes: s4,
      autoResolvePrFeedback: s5,
      autoResolveMergeConflicts: s6,
      reviewMode: s7,
      convoyMergeMode: s8,
      maxDispatchAttempts: s9,
      maxConcurrentPolecats: s10,
    },
  };
}
