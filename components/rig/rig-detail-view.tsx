"use client";

import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { AgentsView } from "@/components/agent/agents-view";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { Label, StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { LIVE_MS, LIVE_SLOW_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { ErrorLine } from "@/components/ui/error-line";

/** One rig (SPEC.md §4.1): its agents, its beads in progress, and its overrides shown as inherited or
 *  overridden (effective value = rig ?? town ?? default), editable by owners. */
export function RigDetailView({ townId, rigId }: { townId: string; rigId: string }) {
  const trpc = useTRPC();
  const rig = useQuery(trpc.rig.get.queryOptions({ townId, rigId }, { refetchInterval: LIVE_SLOW_MS }));
  if (rig.isPending) return <Spinner label="Loading rig…" />;
  if (rig.isError) return <ErrorState error={rig.error} onRetry={() => rig.refetch()} />;
  const r = rig.data;
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/towns/${townId}/rigs`} className="text-sm text-indigo-700 hover:underline">
          ← Rigs
        </Link>
        <h2 className="mt-2 text-xl font-semibold" data-testid="rig-title">
          {r.name}
        </h2>
        <p className="text-sm text-slate-500">
          <a className="text-indigo-700 hover:underline" href={r.gitUrl} target="_blank" rel="noreferrer noopener">
            {r.gitUrl}
          </a>{" "}
          · default branch <span className="font-mono">{r.defaultBranch}</span> · added <RelativeTime value={r.createdAt} />
        </p>
      </div>
      <section className="space-y-2">
        <h3 className="text-lg font-semibold">Agents</h3>
        <AgentsView townId={townId} rigId={rigId} />
      </section>
      <InProgressBeads townId={townId} rigId={rigId} />
      <RigOverrides townId={townId} rigId={rigId} />
    </div>
  );
}

function InProgressBeads({ townId, rigId }: { townId: string; rigId: string }) {
  const trpc = useTRPC();
  const beads = useQuery(trpc.bead.list.queryOptions({ townId, rigId, status: ["in_progress", "in_review"], limit: 50 }, { refetchInterval: LIVE_MS }));
  return (
    <section className="space-y-2">
      <h3 className="text-lg font-semibold">In progress</h3>
      {beads.isPending ? (
        <Spinner />
      ) : beads.isError ? (
        <ErrorState error={beads.error} onRetry={() => beads.refetch()} />
      ) : beads.data.items.length === 0 ? (
        <EmptyState title="Nothing in progress in this rig" />
      ) : (
        <Table testId="rig-beads" label="Beads in progress">
          <THead>
            <Th>Title</Th>
            <Th>Status</Th>
            <Th>Type</Th>
            <Th>Labels</Th>
            <Th>Updated</Th>
          </THead>
          <TBody>
            {beads.data.items.map((b) => (
              <tr key={b.id}>
                <Td>
                  <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${b.id}`}>
                    {b.title}
                  </Link>
                </Td>
                <Td>
                  <StatusBadge status={b.status} />
                </Td>
                <Td className="text-slate-600">{b.type.replace("_", " ")}</Td>
                <Td className="space-x-1">
                  {b.labels.map((l) => (
                    <Label key={l}>{l}</Label>
                  ))}
                </Td>
                <Td className="whitespace-nowrap text-slate-500">
                  <RelativeTime value={b.updatedAt} />
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
      )}
    </section>
  );
}

type Key =
  | "merge_strategy"
  | "code_review"
  | "auto_merge"
  | "auto_merge_delay_minutes"
  | "auto_resolve_pr_feedback"
  | "review_mode"
  | "max_dispatch_attempts"
  | "max_concurrent_polecats";

const FIELDS: { key: Key; label: string; kind: "bool" | "number" | { options: string[] }; min?: number; max?: number }[] = [
  { key: "merge_strategy", label: "Merge strategy", kind: { options: ["direct", "pr"] } },
  { key: "code_review", label: "Code review (refinery)", kind: "bool" },
  { key: "review_mode", label: "Review mode", kind: { options: ["rework", "comments"] } },
  { key: "auto_merge", label: "Auto-merge", kind: "bool" },
  { key: "auto_merge_delay_minutes", label: "Auto-merge delay (minutes)", kind: "number", min: 0, max: 10080 },
  { key: "auto_resolve_pr_feedback", label: "Auto-resolve PR feedback", kind: "bool" },
  { key: "max_dispatch_attempts", label: "Max dispatch attempts", kind: "number", min: 1, max: 50 },
  { key: "max_concurrent_polecats", label: "Max concurrent polecats", kind: "number", min: 1, max: 50 },
];

function show(value: string | number | boolean | null): string {
  if (value === null) return "off";
  if (typeof value === "boolean") return value ? "on" : "off";
  return String(value);
}

/** A draft per key: "" = inherit; otherwise the override as text ("true"/"false", a number, an option). */
function draftFrom(overrides: Record<string, unknown>): Record<Key, string> {
  return Object.fromEntries(FIELDS.map((f) => [f.key, overrides[f.key] === undefined || overrides[f.key] === null ? "" : String(overrides[f.key])])) as Record<Key, string>;
}

function RigOverrides({ townId, rigId }: { townId: string; rigId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { ownerReason } = useTownRole(townId);
  const q = useQuery(trpc.settings.getRig.queryOptions({ townId, rigId }, { refetchInterval: LIVE_SLOW_MS }));
  const [draft, setDraft] = useState<Record<Key, string> | null>(null);
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.settings.updateRig.mutationOptions({
      onSuccess: async (data) => {
        queryClient.setQueryData(trpc.settings.getRig.queryKey({ townId, rigId }), data);
        setDraft(draftFrom(data.overrides));
        setSaved(true);
      },
    }),
  );
  useEffect(() => {
    if (q.data && draft === null) setDraft(draftFrom(q.data.overrides));
  }, [q.data, draft]);
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />;
  if (q.isPending || !draft) return <Spinner />;
  const data = q.data;
  const current = draftFrom(data.overrides);
  const dirty = FIELDS.some((f) => draft[f.key] !== current[f.key]);

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const patch: Record<string, unknown> = {};
    for (const f of FIELDS) {
      if (draft![f.key] === current[f.key]) continue;
      const v = draft![f.key];
      patch[f.key] = v === "" ? null : f.kind === "bool" ? v === "true" : f.kind === "number" ? Number(v) : v;
    }
    setSaved(false);
    update.mutate({ townId, rigId, overrides: patch });
  }

  return (
    <Card title="Settings for this rig">
      <form onSubmit={onSubmit} className="space-y-3">
        <p className="text-xs text-slate-500">
          Each setting is the rig&apos;s override if it has one, else the town&apos;s, else the default. Choose “inherit” to drop an override.
        </p>
        <Table testId="rig-overrides" label="Rig settings">
          <THead>
            <Th>Setting</Th>
            <Th>Effective</Th>
            <Th>From</Th>
            <Th>Override</Th>
          </THead>
          <TBody>
            {FIELDS.map((f) => {
              const s = data.settings[f.key];
              const id = `override-${f.key}`;
              return (
                <tr key={f.key} data-testid={`setting-${f.key}`}>
                  <Td>
                    <label htmlFor={id} className="font-medium">
                      {f.label}
                    </label>
                  </Td>
                  <Td className="font-mono">{show(s.value)}</Td>
                  <Td>
                    {s.source === "rig" ? (
                      <span className="rounded bg-indigo-50 px-1.5 py-0.5 text-xs font-semibold text-indigo-700">overridden</span>
                    ) : (
                      <span className="text-xs text-slate-500">inherited from {s.source}</span>
                    )}
                  </Td>
                  <Td>
                    {f.kind === "number" ? (
                      <Input
                        id={id}
                        type="number"
                        min={f.min}
                        max={f.max}
                        placeholder="inherit"
                        className="w-32"
                        value={draft[f.key]}
                        onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
                        disabled={!!ownerReason}
                      />
                    ) : (
                      <Select id={id} className="w-40" value={draft[f.key]} onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })} disabled={!!ownerReason}>
                        <option value="">inherit</option>
                        {f.kind === "bool" ? (
                          <>
                            <option value="true">on</option>
                            <option value="false">off</option>
                          </>
                        ) : (
                          f.kind.options.map((o) => (
                            <option key={o} value={o}>
                              {o}
                            </option>
                          ))
                        )}
                      </Select>
                    )}
                  </Td>
                </tr>
              );
            })}
          </TBody>
        </Table>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" busy={update.isPending} disabled={!dirty} disabledReason={ownerReason}>
            Save rig settings
          </Button>
          {update.error ? (
            <ErrorLine error={update.error} as="span" />
          ) : saved && !dirty ? (
            <span className="text-sm text-emerald-700" role="status">
              Saved.
            </span>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
