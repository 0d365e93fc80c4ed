import { forgetTownSecrets } from "../secrets/town-secrets";
import { basename } from "node:path";
import type { CommandDescription } from "../adapters/agent-runtime/describe";
import { z } from "zod";
import type { Db } from "../db/client";
import type { PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { validateTownEnvKey, validateTownEnvValue } from "../adapters/agent-runtime/types";
import type { RuntimeOption } from "../adapters";
import {
  applyTownConfigUpdate,
  effectiveSettings,
  isMaskedSecret,
  maskSecret,
  TownConfigSchema,
  type EffectiveSettings,
  type SettingSource,
  type TownConfig,
  type TownConfigUpdate,
} from "../domain/settings";
import { asRecord, inTransaction, json, makeTownDue, writeAudit } from "./people-writes";
import { getRigOrThrow, updateRigOverrides, type RigOverridePatch } from "./rigs";
import { gitHubAccess } from "./github-access";

// Town and rig settings (SPEC.md §4.1 settings page, §3b Settings chain, DOMAIN.md §7). Secrets — the
// GitHub/GitLab tokens, the other tokens, every env var value — are write-only: every read masks them,
// a masked value sent back keeps the stored secret, and the audit row names what changed, never a value.
// Updates are partial (no phantom defaults: only keys that were stored or sent are written) and
// compare-and-set on `town_settings.version`.

/** The operator's runtime names (never commands, URLs or secrets) — `getAdapters()` in the app. */
export interface RuntimeCatalog {
  runtimeOptions(): RuntimeOption[];
  isKnownRuntime(name: string): boolean;
  describeRuntime?(name: string): CommandDescription | null;
}

/** Secret fields outside env_vars, as [object key or null, field]. */
const SECRET_FIELDS: Array<[string | null, string]> = [
  ["git_auth", "github_token"],
  ["git_auth", "gitlab_token"],
  [null, "kilocode_token"],
  [null, "github_cli_pat"],
];
/** Config keys whose value is an object merged field by field. */
const NESTED_KEYS = new Set(["git_auth", "refinery", "container", "role_models", "custom_instructions"]);

/** `****` + the last 4 characters, and only `****` for short values (the last 4 of a short secret is most of it). */
export function maskForDisplay(value: string): string {
  return value.length >= 12 ? maskSecret(value) : "****";
}

function maskConfig(config: TownConfig): TownConfig {
  const out = structuredClone(config) as Record<string, unknown>;
  const env = asRecord(out.env_vars);
  out.env_vars = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === "string" ? maskForDisplay(v) : "****"]));
  for (const [parent, field] of SECRET_FIELDS) {
    const holder = parent ? asRecord(out[parent]) : out;
    if (typeof holder[field] === "string" && holder[field] !== "") holder[field] = maskForDisplay(holder[field] as string);
  }
  return out as TownConfig;
}

function secretsSet(config: TownConfig) {
  return {
    github_token: !!config.git_auth?.github_token,
    gitlab_token: !!config.git_auth?.gitlab_token,
    kilocode_token: !!config.kilocode_token,
    github_cli_pat: !!config.github_cli_pat,
    env_var_names: Object.keys(config.env_vars ?? {}).sort(),
  };
}

function parseStored(raw: unknown): TownConfig {
  const parsed = TownConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new DomainError("conflict", `The stored town settings are not valid (${z.prettifyError(parsed.error)}); ask an owner to fix them.`);
  return parsed.data;
}

export async function getTownSettings(db: Db, townId: string) {
  const [row, town] = await Promise.all([
    db.townSettings.findUnique({ where: { townId } }),
    db.town.findUnique({ where: { id: townId }, select: { owner: { select: { email: true } } } }),
  ]);
  const config = parseStored(row?.config);
  return {
    config: maskConfig(config),
    secretsSet: secretsSet(config),
    // Whether a GitHub token will be used for this town, and whose (its own, the operator's shared one, none).
    github: gitHubAccess({ id: townId, ownerEmail: town?.owner.email ?? null }, config.git_auth?.github_token),
    version: row?.version ?? 0,
    updatedAt: row?.updatedAt ?? null,
  };
}

/** Paths of everything the update touches; secret paths are listed without values. */
function describeChanges(update: TownConfigUpdate, stored: Record<string, unknown>) {
  const changes: Record<string, unknown> = {};
  const secrets: string[] = [];
  const isSecret = (parent: string | null, field: string) => SECRET_FIELDS.some(([p, f]) => p === parent && f === field);
  for (const [key, value] of Object.entries(update as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (key === "env_vars") {
      const before = asRecord(stored.env_vars);
      const next = value as Record<string, string>;
      for (const name of Object.keys(next)) if (!(name in before) || !isMaskedSecret(next[name])) secrets.push(`env_vars.${name}`);
      for (const name of Object.keys(before)) if (!(name in next)) secrets.push(`env_vars.${name} (removed)`);
      continue;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && NESTED_KEYS.has(key)) {
      for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        if (isSecret(key, field)) {
          if (!(typeof v === "string" && isMaskedSecret(v))) secrets.push(`${key}.${field}${v === null ? " (cleared)" : ""}`);
        } else changes[`${key}.${field}`] = v;
      }
      continue;
    }
    if (isSecret(null, key)) {
      if (!(typeof value === "string" && isMaskedSecret(value))) secrets.push(`${key}${value === null ? " (cleared)" : ""}`);
    } else changes[key] = value;
  }
  return { changes, secrets };
}

/** What gets stored: the merged config, but only the keys (and nested fields) that were stored before or
 *  sent now — so defaults filled in by parsing are never written as if someone had chosen them. */
function pruneToChosen(merged: TownConfig, stored: Record<string, unknown>, update: TownConfigUpdate): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const patch = update as Record<string, unknown>;
  for (const [key, value] of Object.entries(merged as Record<string, unknown>)) {
    const chosen = key in stored || patch[key] !== undefined;
    if (!chosen) continue;
    if (NESTED_KEYS.has(key) && value && typeof value === "object" && !Array.isArray(value)) {
      const storedObj = asRecord(stored[key]);
      const patchObj = asRecord(patch[key]);
      out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([f]) => f in storedObj || patchObj[f] !== undefined));
    } else out[key] = value;
  }
  return out;
}

/**
 * Owner-only partial update. Env var names are checked (`validateTownEnvKey`: 400 with the reason), a
 * runtime must be one of the operator's names (400 otherwise), masked secrets keep their stored value, and
 * the write is compare-and-set on `version` (the version the page read, when it sends one).
 */
export async function updateTownSettings(
  catalog: RuntimeCatalog,
  db: PrismaClient,
  townId: string,
  actorUserId: string,
  input: { patch: TownConfigUpdate; version?: number },
  now = new Date(),
) {
  const patch = structuredClone(input.patch) as Record<string, unknown>;
  await inTransaction(db, async (tx) => {
    await tx.townSettings.upsert({ where: { townId }, create: { townId, config: {} }, update: {} });
    await tx.$queryRaw`SELECT town_id FROM town_settings WHERE town_id = ${townId} FOR UPDATE`;
    const row = await tx.townSettings.findUniqueOrThrow({ where: { townId } });
    if (input.version !== undefined && input.version !== row.version) {
      throw new DomainError("conflict", "The settings were changed by someone else since you loaded them; reload and try again.");
    }
    const stored = asRecord(row.config);
    const storedEnv = asRecord(stored.env_vars);

    if (patch.env_vars !== undefined) {
      for (const [key, value] of Object.entries(patch.env_vars as Record<string, string>)) {
        const keyCheck = validateTownEnvKey(key);
        if (!keyCheck.ok) throw new DomainError("bad_request", keyCheck.reason);
        if (isMaskedSecret(value)) {
          if (typeof storedEnv[key] !== "string") throw new DomainError("bad_request", `Enter a value for ${key}: it has no stored value to keep.`);
          continue;
        }
        const valueCheck = validateTownEnvValue(value);
        if (!valueCheck.ok) throw new DomainError("bad_request", `${key}: ${valueCheck.reason}`);
      }
    }
    if (typeof patch.agent_runtime === "string") {
      const name = patch.agent_runtime.trim();
      if (name === "") patch.agent_runtime = null;
      else if (!catalog.isKnownRuntime(name)) {
        const names = catalog.runtimeOptions().map((o) => o.name);
        throw new DomainError("bad_request", `"${name}" is not an agent runtime of this server (${names.length ? `choose one of: ${names.join(", ")}` : "none is configured"}).`);
      } else patch.agent_runtime = name;
    }
    // A masked secret with nothing stored behind it is not a value: leave that secret untouched.
    for (const [parent, field] of SECRET_FIELDS) {
      const holder = parent ? asRecord(patch[parent]) : patch;
      const storedHolder = parent ? asRecord(stored[parent]) : stored;
      if (typeof holder[field] === "string" && isMaskedSecret(holder[field] as string) && typeof storedHolder[field] !== "string") delete holder[field];
    }

    let merged: TownConfig;
    try {
      merged = applyTownConfigUpdate(stored as TownConfig, patch as TownConfigUpdate);
    } catch (err) {
      const why = err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
      throw new DomainError("bad_request", `These settings are not valid: ${why}`);
    }
    const next = pruneToChosen(merged, stored, patch as TownConfigUpdate);
    const res = await tx.townSettings.updateMany({ where: { townId, version: row.version }, data: { config: json(next), version: { increment: 1 } } });
    if (res.count === 0) throw new DomainError("conflict", "The settings were changed by someone else meanwhile; reload and try again.");
    const { changes, secrets } = describeChanges(patch as TownConfigUpdate, stored);
    await writeAudit(
      tx,
      townId,
      actorUserId,
      { action: "settings.update", targetType: "town_settings", targetId: townId, detail: { changes, secrets_changed: secrets, version: row.version + 1 } },
      now,
    );
    await makeTownDue(tx, townId, now);
  });
  // New secrets (a token, env values) must be masked at once, not after the redactor's cache expires.
  forgetTownSecrets(townId);
  return getTownSettings(db, townId);
}

/** The overridable keys of SPEC.md §2 and where their effective value comes from. */
const RIG_KEYS = {
  merge_strategy: "mergeStrategy",
  code_review: "codeReview",
  auto_merge: "autoMerge",
  auto_merge_delay_minutes: "autoMergeDelayMinutes",
  auto_resolve_pr_feedback: "autoResolvePrFeedback",
  review_mode: "reviewMode",
  max_dispatch_attempts: "maxDispatchAttempts",
  max_concurrent_polecats: "maxConcurrentPolecats",
} as const satisfies Record<string, keyof EffectiveSettings["sources"]>;

type RigKey = keyof typeof RIG_KEYS;

export async function getRigSettings(db: Db, townId: string, rigId: string) {
  const rig = await getRigOrThrow(db, townId, rigId);
  const town = await db.townSettings.findUnique({ where: { townId }, select: { config: true } });
  const effective = effectiveSettings(town?.config ?? {}, rig.config ?? {});
  const settings = Object.fromEntries(
    (Object.entries(RIG_KEYS) as [RigKey, keyof EffectiveSettings["sources"]][]).map(([key, camel]) => [
      key,
      { value: effective[camel] as string | number | boolean | null, source: effective.sources[camel] as SettingSource },
    ]),
  ) as Record<RigKey, { value: string | number | boolean | null; source: SettingSource }>;
  return { rigId: rig.id, rigName: rig.name, settings, overrides: asRecord(rig.config), updatedAt: rig.updatedAt };
}

/** Owner-only: set or clear (null) rig overrides; compare-and-set and audited by the rig service. */
export async function updateRigSettings(db: PrismaClient, townId: string, actorUserId: string, rigId: string, patch: RigOverridePatch) {
  await updateRigOverrides(db, townId, actorUserId, rigId, patch);
  return getRigSettings(db, townId, rigId);
}

export async function getRuntimeOptions(catalog: RuntimeCatalog, db: Db, townId: string) {
  const row = await db.townSettings.findUnique({ where: { townId }, select: { config: true } });
  const selected = asRecord(row?.config).agent_runtime;
  const name = typeof selected === "string" && selected ? selected : null;
  return {
    // Local commands say which roles they serve and whether their programs are installed here; the
    // command line itself stays the operator's (names of programs only, never arguments or secrets).
    options: catalog.runtimeOptions().map((o) => {
      const d = catalog.describeRuntime?.(o.name) ?? null;
      return { name: o.name, kind: o.kind, agent: d?.agent ?? null, roles: d?.roles ?? null, binaries: d?.binaries.map((b) => ({ name: basename(b.name), found: b.found })) ?? null };
    }),
    selected: name,
    selectedAvailable: name === null ? null : catalog.isKnownRuntime(name),
  };
}
