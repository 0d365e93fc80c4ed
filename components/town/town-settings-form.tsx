"use client";

import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { Toggle } from "@/components/ui/toggle";
import { useTownRole } from "@/components/ui/use-town-role";
import { ErrorLine } from "@/components/ui/error-line";

type Form = {
  merge_strategy: string;
  code_review: boolean;
  auto_merge: boolean;
  auto_merge_delay_minutes: string;
  auto_resolve_pr_feedback: boolean;
  review_mode: string;
  staged_convoys_default: boolean;
  convoy_merge_mode: string;
  max_polecats_per_rig: string;
  max_dispatch_attempts: string;
  agent_runtime: string;
};

type Config = {
  merge_strategy: string;
  refinery: { code_review: boolean; auto_merge: boolean; auto_merge_delay_minutes: number | null; auto_resolve_pr_feedback: boolean; review_mode: string };
  staged_convoys_default: boolean;
  convoy_merge_mode: string;
  max_polecats_per_rig?: number;
  max_dispatch_attempts?: number;
  agent_runtime?: string;
  env_vars: Record<string, string>;
  git_auth: { github_token?: string };
};

function formFrom(c: Config): Form {
  return {
    merge_strategy: c.merge_strategy,
    code_review: c.refinery.code_review,
    auto_merge: c.refinery.auto_merge,
    auto_merge_delay_minutes: c.refinery.auto_merge_delay_minutes === null ? "" : String(c.refinery.auto_merge_delay_minutes),
    auto_resolve_pr_feedback: c.refinery.auto_resolve_pr_feedback,
    review_mode: c.refinery.review_mode,
    staged_convoys_default: c.staged_convoys_default,
    convoy_merge_mode: c.convoy_merge_mode,
    max_polecats_per_rig: c.max_polecats_per_rig === undefined ? "" : String(c.max_polecats_per_rig),
    max_dispatch_attempts: c.max_dispatch_attempts === undefined ? "" : String(c.max_dispatch_attempts),
    agent_runtime: c.agent_runtime ?? "",
  };
}

const num = (v: string) => (v.trim() === "" ? null : Number(v));

/** Only what changed goes to the server, so untouched defaults are never stored as if chosen. */
function patchFrom(before: Form, after: Form) {
  const patch: Record<string, unknown> = {};
  const refinery: Record<string, unknown> = {};
  if (after.merge_strategy !== before.merge_strategy) patch.merge_strategy = after.merge_strategy;
  if (after.code_review !== before.code_review) refinery.code_review = after.code_review;
  if (after.auto_merge !== before.auto_merge) refinery.auto_merge = after.auto_merge;
  if (after.auto_merge_delay_minutes !== before.auto_merge_delay_minutes) refinery.auto_merge_delay_minutes = num(after.auto_merge_delay_minutes);
  if (after.auto_resolve_pr_feedback !== before.auto_resolve_pr_feedback) refinery.auto_resolve_pr_feedback = after.auto_resolve_pr_feedback;
  if (after.review_mode !== before.review_mode) refinery.review_mode = after.review_mode;
  if (Object.keys(refinery).length) patch.refinery = refinery;
  if (after.staged_convoys_default !== before.staged_convoys_default) patch.staged_convoys_default = after.staged_convoys_default;
  if (after.convoy_merge_mode !== before.convoy_merge_mode) patch.convoy_merge_mode = after.convoy_merge_mode;
  if (after.max_polecats_per_rig !== before.max_polecats_per_rig) patch.max_polecats_per_rig = num(after.max_polecats_per_rig);
  if (after.max_dispatch_attempts !== before.max_dispatch_attempts) patch.max_dispatch_attempts = num(after.max_dispatch_attempts);
  if (after.agent_runtime !== before.agent_runtime) patch.agent_runtime = after.agent_runtime || null;
  return patch;
}

/**
 * The town's settings (SPEC.md §4.1): merge and review behaviour, convoy defaults, limits, the agent
 * runtime (one of the operator's names: nobody types a command here), the GitHub token (write-only) and
 * env vars (values masked). Owners edit; everyone else sees them read-only. Saves are compare-and-set on
 * the version the page loaded.
 */
export function TownSettingsForm({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refetchFresh = useRefresh();
  const { ownerReason } = useTownRole(townId);
  const settings = useQuery(trpc.settings.getTown.queryOptions({ townId }));
  const runtimes = useQuery(trpc.settings.runtimeOptions.queryOptions({ townId }));
  const [form, setForm] = useState<Form | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const update = useMutation(
    trpc.settings.updateTown.mutationOptions({
      onSuccess: async (data) => {
        queryClient.setQueryData(trpc.settings.getTown.queryKey({ townId }), data);
        setForm(formFrom(data.config as unknown as Config));
        setSaved("Settings saved. The next tick uses them.");
        await refetchFresh(trpc.settings.runtimeOptions.queryKey({ townId }));
        await refetchFresh(trpc.town.get.queryKey({ townId }));
      },
    }),
  );
  useEffect(() => {
    if (settings.data && form === null) setForm(formFrom(settings.data.config as unknown as Config));
  }, [settings.data, form]);

  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => settings.refetch()} />;
  if (settings.isPending || !form) return <Spinner label="Loading settings…" />;
  const data = settings.data;
  const before = formFrom(data.config as unknown as Config);
  const patch = patchFrom(before, form);
  const dirty = Object.keys(patch).length > 0;
  const ro = !!ownerReason;
  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setSaved(null);
    setForm({ ...form, [k]: v });
  };

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    update.mutate({ townId, patch: patch as never, version: data.version });
  }

  return (
    <form onSubmit={onSubmit} className="space-y-6" aria-label="Town settings">
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="Merging and review">
          <div className="space-y-4">
            <Field label="Merge strategy" htmlFor="s-merge-strategy" hint="Pull request: polecats open a PR that is polled and merged on GitHub. Direct: the refinery merges.">
              <Select id="s-merge-strategy" value={form.merge_strategy} onChange={(e) => set("merge_strategy", e.target.value)} disabled={ro}>
                <option value="direct">Direct push</option>
                <option value="pr">Pull request</option>
              </Select>
            </Field>
            <Toggle id="s-code-review" label="Code review" checked={form.code_review} onChange={(v) => set("code_review", v)} disabled={ro} hint="Off: merge requests with a PR skip the refinery and go straight to polling." />
            <Field label="Review mode" htmlFor="s-review-mode" hint="Comments needs the pull-request strategy.">
              <Select id="s-review-mode" value={form.review_mode} onChange={(e) => set("review_mode", e.target.value)} disabled={ro}>
                <option value="rework">Rework beads</option>
                <option value="comments" disabled={form.merge_strategy !== "pr"}>
                  Review comments on the PR
                </option>
              </Select>
            </Field>
            <Toggle id="s-auto-merge" label="Auto-merge" checked={form.auto_merge} onChange={(v) => set("auto_merge", v)} disabled={ro} hint="Merge a green, approved PR after the delay below." />
            <Field label="Auto-merge delay (minutes)" htmlFor="s-auto-merge-delay" hint="Empty: auto-merge disabled. 0: merge as soon as green.">
              <Input
                id="s-auto-merge-delay"
                type="number"
                min={0}
                max={10080}
                placeholder="off"
                value={form.auto_merge_delay_minutes}
                onChange={(e) => set("auto_merge_delay_minutes", e.target.value)}
                disabled={ro}
              />
            </Field>
            <Toggle
              id="s-auto-resolve"
              label="Auto-resolve PR feedback"
              checked={form.auto_resolve_pr_feedback}
              onChange={(v) => set("auto_resolve_pr_feedback", v)}
              disabled={ro}
              hint="Review comments and failing checks become feedback beads for a polecat."
            />
          </div>
        </Card>
        <div className="space-y-6">
          <Card title="Agents and limits">
            <div className="space-y-4">
              <Field
                label="Agent runtime"
                htmlFor="s-runtime"
                hint={
                  runtimes.data && runtimes.data.options.length === 0
                    ? "The operator has configured no runtime on this server (GASTOWN_AGENT_COMMANDS or GASTOWN_RUNTIMES)."
                    : runtimes.data?.selectedAvailable === false
                      ? `“${runtimes.data.selected}” is not available on this server any more: pick another.`
                      : "Names the operator configured; commands and URLs are never typed here."
                }
              >
                <Select id="s-runtime" value={form.agent_runtime} onChange={(e) => set("agent_runtime", e.target.value)} disabled={ro}>
                  <option value="">Server default</option>
                  {(runtimes.data?.options ?? []).map((o) => (
                    <option key={o.name} value={o.name}>
                      {o.name} ({o.kind})
                    </option>
                  ))}
                  {form.agent_runtime && !runtimes.data?.options.some((o) => o.name === form.agent_runtime) ? (
                    <option value={form.agent_runtime}>{form.agent_runtime} (unavailable)</option>
                  ) : null}
                </Select>
                <RuntimeDetail option={runtimes.data?.options.find((o) => o.name === (form.agent_runtime || "default"))} />
              </Field>
              <Field label="Max polecats per rig" htmlFor="s-max-polecats" hint="Empty: 5.">
                <Input id="s-max-polecats" type="number" min={1} max={50} placeholder="5" value={form.max_polecats_per_rig} onChange={(e) => set("max_polecats_per_rig", e.target.value)} disabled={ro} />
              </Field>
              <Field label="Max dispatch attempts" htmlFor="s-max-attempts" hint="Per bead, before it fails. Empty: 5.">
                <Input id="s-max-attempts" type="number" min={1} max={50} placeholder="5" value={form.max_dispatch_attempts} onChange={(e) => set("max_dispatch_attempts", e.target.value)} disabled={ro} />
              </Field>
            </div>
          </Card>
          <Card title="Convoy defaults">
            <div className="space-y-4">
              <Toggle id="s-staged" label="Stage new convoys" checked={form.staged_convoys_default} onChange={(v) => set("staged_convoys_default", v)} disabled={ro} hint="A staged convoy waits until someone starts it." />
              <Field label="Convoy merge mode" htmlFor="s-convoy-mode">
                <Select id="s-convoy-mode" value={form.convoy_merge_mode} onChange={(e) => set("convoy_merge_mode", e.target.value)} disabled={ro}>
                  <option value="review-then-land">review-then-land</option>
                  <option value="review-and-merge">review-and-merge</option>
                </Select>
              </Field>
            </div>
          </Card>
        </div>
      </div>
      <div className="sticky bottom-0 flex flex-wrap items-center gap-3 border-t border-slate-200 bg-slate-50/95 py-3">
        <Button type="submit" busy={update.isPending} disabled={!dirty} disabledReason={ownerReason}>
          Save settings
        </Button>
        {update.error ? (
          <ErrorLine error={update.error} as="span" />
        ) : saved && !dirty ? (
          <span className="text-sm text-emerald-700" role="status" data-testid="settings-saved">
            {saved}
          </span>
        ) : dirty ? (
          <span className="text-sm text-slate-500">Unsaved changes.</span>
        ) : null}
      </div>
    </form>
  );
}

/** GitHub token and env vars: write-only secrets. The server returns them masked; a masked value sent back
 *  keeps the stored secret, so only new values ever travel to the server. */
export function SecretsCard({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refetchFresh = useRefresh();
  const { ownerReason } = useTownRole(townId);
  const settings = useQuery(trpc.settings.getTown.queryOptions({ townId }));
  const [token, setToken] = useState("");
  const [envKey, setEnvKey] = useState("");
  const [envValue, setEnvValue] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const update = useMutation(
    trpc.settings.updateTown.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.settings.getTown.queryKey({ townId }), data);
      },
    }),
  );
  if (settings.isError) return <ErrorState error={settings.error} />;
  if (settings.isPending) return <Spinner />;
  const data = settings.data;
  const config = data.config as unknown as Config;
  const env = config.env_vars ?? {};
  const ro = !!ownerReason;
  const save = (patch: Record<string, unknown>, message: string, after?: () => void) => {
    setNotice(null);
    update.mutate({ townId, patch: patch as never, version: data.version }, { onSuccess: () => (setNotice(message), after?.()) });
  };

  return (
    <Card title="Secrets">
      <div className="space-y-6">
        <form
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            save({ git_auth: { github_token: token } }, "GitHub token saved.", () => setToken(""));
          }}
        >
          <Field
            label="GitHub token"
            htmlFor="s-github-token"
            hint={
              data.secretsSet.github_token
                ? `Set (${config.git_auth.github_token ?? "****"}). Enter a new one to replace it.`
                : data.github.source === "shared"
                  ? "Not set: the server's GITHUB_TOKEN is shared with this town and used instead."
                  : "Not set."
            }
          >
            <Input id="s-github-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="ghp_…" disabled={ro} required />
          </Field>
          {!data.github.usable && data.github.message ? (
            <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" role="status" data-testid="github-token-notice">
              {data.github.message}
            </p>
          ) : null}
          <div className="flex gap-2">
            <Button type="submit" size="sm" busy={update.isPending} disabledReason={ownerReason}>
              Save token
            </Button>
            {data.secretsSet.github_token ? (
              <Button type="button" size="sm" variant="ghost" disabledReason={ownerReason} onClick={() => save({ git_auth: { github_token: null } }, "GitHub token removed.")}>
                Remove token
              </Button>
            ) : null}
          </div>
        </form>
        <div className="space-y-2">
          <h3 className="text-sm font-medium text-slate-700">Environment variables for agents</h3>
          {Object.keys(env).length === 0 ? (
            <p className="text-sm text-slate-500">None.</p>
          ) : (
            <ul className="divide-y divide-slate-100 text-sm" data-testid="env-vars">
              {Object.entries(env).map(([k, v]) => (
                <li key={k} className="flex items-center justify-between gap-2 py-1.5">
                  <span className="font-mono">{k}</span>
                  <span className="flex items-center gap-2">
                    <span className="font-mono text-slate-500">{v}</span>
                    <Button
                      size="sm"
                      variant="ghost"
                      disabledReason={ownerReason}
                      onClick={() => save({ env_vars: Object.fromEntries(Object.entries(env).filter(([key]) => key !== k)) }, `Removed ${k}.`)}
                    >
                      Remove
                    </Button>
                  </span>
                </li>
              ))}
            </ul>
          )}
          <form
            className="grid gap-2 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
            onSubmit={(e) => {
              e.preventDefault();
              save({ env_vars: { ...env, [envKey.trim()]: envValue } }, `Saved ${envKey.trim()}.`, () => (setEnvKey(""), setEnvValue("")));
            }}
          >
            <Field label="Name" htmlFor="s-env-key">
              <Input id="s-env-key" value={envKey} onChange={(e) => setEnvKey(e.target.value)} placeholder="MY_API_KEY" required disabled={ro} />
            </Field>
            <Field label="Value" htmlFor="s-env-value">
              <Input id="s-env-value" type="password" autoComplete="off" value={envValue} onChange={(e) => setEnvValue(e.target.value)} required disabled={ro} />
            </Field>
            <Button type="submit" size="sm" busy={update.isPending} disabledReason={ownerReason}>
              Add variable
            </Button>
          </form>
        </div>
        {update.error ? (
          <ErrorLine error={update.error} />
        ) : notice ? (
          <p className="text-sm text-emerald-700" role="status">
            {notice}
          </p>
        ) : null}
      </div>
    </Card>
  );
}

type RuntimeOptionView = {
  name: string;
  kind: string;
  agent: string | null;
  roles: string[] | null;
  binaries: { name: string; found: boolean }[] | null;
};

/** For the chosen local command: the roles it serves and whether its programs are installed here. */
function RuntimeDetail({ option }: { option: RuntimeOptionView | undefined }) {
  if (!option || option.kind !== "local" || !option.roles) return null;
  const missing = (option.binaries ?? []).filter((b) => !b.found);
  return (
    <div className="mt-2 space-y-1 text-xs text-slate-600" data-testid="runtime-detail">
      <p>
        {option.agent ? `Runs ${option.agent === "claude" ? "Claude Code" : "Codex"} through the agent kit` : "Runs the operator's command"} for the{" "}
        {option.roles.join(", ")}.
      </p>
      <ul className="flex flex-wrap gap-2">
        {(option.binaries ?? []).map((b) => (
          <li key={b.name} className={b.found ? "text-emerald-700" : "font-medium text-red-700"}>
            {b.found ? "✓" : "✗"} {b.name} {b.found ? "found" : "not found on this server"}
          </li>
        ))}
      </ul>
      {missing.length ? <p className="text-red-700">Agents cannot start until the operator installs it (see the README).</p> : null}
    </div>
  );
}
