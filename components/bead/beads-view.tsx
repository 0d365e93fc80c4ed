"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input, Select, Textarea } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { Label, StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { ErrorLine } from "@/components/ui/error-line";
import { LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { CursorPager } from "@/components/ui/pager";

const STATUSES = ["open", "in_progress", "in_review", "closed", "failed"] as const;
const TYPES = ["issue", "merge_request", "convoy", "escalation"] as const;
type Status = (typeof STATUSES)[number];
type BeadType = (typeof TYPES)[number];

/** Beads of a town: filters in the URL (shareable), server-side keyset pages, counts by status. */
export function BeadsView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const status = params.get("status") as Status | null;
  const type = params.get("type") as BeadType | null;
  const rigId = params.get("rig") ?? undefined;
  const label = params.get("label") ?? undefined;
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const filter = {
    townId,
    ...(status && STATUSES.includes(status) ? { status: [status] } : {}),
    ...(type && TYPES.includes(type) ? { type: [type] } : {}),
    ...(rigId ? { rigId } : {}),
    ...(label ? { label } : {}),
  };
  const town = useQuery(trpc.town.get.queryOptions({ townId }));
  const rigs = useQuery(trpc.rig.list.queryOptions({ townId }));
  // one call for the page and the counts by status: it is polled, so it costs one request and one statement
  const page = useQuery(trpc.bead.page.queryOptions({ ...filter, cursor, limit: 50 }, { refetchInterval: LIVE_MS, placeholderData: keepPreviousData }));
  const counts = page.data?.counts;
  const readOnly = town.data?.role !== "owner" && town.data?.role !== "member";

  function setParam(key: string, value: string | undefined) {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    setCursors([null]);
    router.replace(`?${next.toString()}`);
  }

  return (
    <div className="space-y-6">
      <CreateBead townId={townId} rigs={rigs.data ?? []} readOnly={readOnly} />
      <div className="flex flex-wrap items-end gap-3" role="group" aria-label="Filters">
        <Field label="Status" htmlFor="f-status">
          <Select id="f-status" value={status ?? ""} onChange={(e) => setParam("status", e.target.value || undefined)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")} ({counts?.[s] ?? "…"})
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Type" htmlFor="f-type">
          <Select id="f-type" value={type ?? ""} onChange={(e) => setParam("type", e.target.value || undefined)}>
            <option value="">Work (all types)</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t.replace("_", " ")}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Rig" htmlFor="f-rig">
          <Select id="f-rig" value={rigId ?? ""} onChange={(e) => setParam("rig", e.target.value || undefined)}>
            <option value="">Any rig</option>
            {(rigs.data ?? []).map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Label" htmlFor="f-label">
          <Input
            id="f-label"
            defaultValue={label ?? ""}
            placeholder="e.g. gt:held"
            onKeyDown={(e) => {
              if (e.key === "Enter") setParam("label", e.currentTarget.value.trim() || undefined);
            }}
            onBlur={(e) => setParam("label", e.currentTarget.value.trim() || undefined)}
          />
        </Field>
      </div>
      {page.isPending ? (
        <Spinner label="Loading beads…" />
      ) : page.isError ? (
        <ErrorState error={page.error} onRetry={() => page.refetch()} />
      ) : page.data.items.length === 0 ? (
        <EmptyState title="No beads match">
          {Object.keys(filter).length > 1 ? "Clear a filter to see more." : "Create a bead above and the reconciler will pick it up."}
        </EmptyState>
      ) : (
        <div className="relative overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="bead-table">
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase text-slate-500">
              <tr>
                <th className="px-4 py-2">Title</th>
                <th className="px-4 py-2">Status</th>
                <th className="px-4 py-2">Type</th>
                <th className="px-4 py-2">Rig</th>
                <th className="px-4 py-2">Labels</th>
                <th className="px-4 py-2">Attempts</th>
                <th className="px-4 py-2">Updated</th>
                <th className="px-4 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {page.data.items.map((b) => (
                <tr key={b.id} data-testid="bead-row" data-bead-id={b.id}>
                  <td className="px-4 py-2">
                    <Link className="font-medium text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${b.id}`}>
                      {b.title}
                    </Link>
                  </td>
                  <td className="px-4 py-2">
                    <StatusBadge status={b.status} />
                  </td>
                  <td className="px-4 py-2 text-slate-600">{b.type.replace("_", " ")}</td>
                  <td className="px-4 py-2 text-slate-600">{b.rigName ?? "—"}</td>
                  <td className="space-x-1 px-4 py-2">
                    {b.labels.map((l) => (
                      <Label key={l}>{l}</Label>
                    ))}
                  </td>
                  <td className="px-4 py-2">{b.dispatchAttempts}</td>
                  <td className="whitespace-nowrap px-4 py-2 text-slate-500">
                    <RelativeTime value={b.updatedAt} />
                  </td>
                  <td className="whitespace-nowrap px-4 py-2 text-right">
                    <BeadActions townId={townId} bead={b} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={page.data?.nextCursor} showPageNumber steady />
    </div>
  );
}

function CreateBead({ townId, rigs, readOnly }: { townId: string; rigs: { id: string; name: string }[]; readOnly: boolean }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const [form, setForm] = useState({ title: "", body: "", rigId: "", priority: "medium", labels: "" });
  const create = useMutation(
    trpc.bead.sling.mutationOptions({
      onSuccess: async () => {
        setForm((f) => ({ ...f, title: "", body: "", labels: "" }));
        await refetchFresh(trpc.bead.pathKey());
      },
    }),
  );
  const rigId = form.rigId || rigs[0]?.id || "";
  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate({
      townId,
      rigId,
      title: form.title,
      body: form.body || undefined,
      priority: form.priority as "low" | "medium" | "high" | "critical",
      labels: form.labels.split(/[,\s]+/).filter(Boolean),
    });
  }
  if (rigs.length === 0) {
    return (
      <EmptyState title="Add a rig first">
        Beads are work in a rig.{" "}
        <Link className="font-semibold text-indigo-600" href={`/towns/${townId}/rigs`}>
          Add a rig
        </Link>
        .
      </EmptyState>
    );
  }
  return (
    <Card title="Sling work">
      <form onSubmit={onSubmit} className="grid gap-3 md:grid-cols-4">
        <div className="md:col-span-2">
          <Field label="Title" htmlFor="bead-title">
            <Input id="bead-title" value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} maxLength={200} required disabled={readOnly} />
          </Field>
        </div>
        <Field label="Rig" htmlFor="bead-rig">
          <Select id="bead-rig" value={rigId} onChange={(e) => setForm({ ...form, rigId: e.target.value })} disabled={readOnly}>
            {rigs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Priority" htmlFor="bead-priority">
          <Select id="bead-priority" value={form.priority} onChange={(e) => setForm({ ...form, priority: e.target.value })} disabled={readOnly}>
            {["low", "medium", "high", "critical"].map((p) => (
              <option key={p}>{p}</option>
            ))}
          </Select>
        </Field>
        <div className="md:col-span-3">
          <Field label="Description" htmlFor="bead-body">
            <Textarea id="bead-body" rows={2} value={form.body} onChange={(e) => setForm({ ...form, body: e.target.value })} disabled={readOnly} />
          </Field>
        </div>
        <Field label="Labels" htmlFor="bead-labels" hint="Comma separated, e.g. ui, gt:held">
          <Input id="bead-labels" value={form.labels} onChange={(e) => setForm({ ...form, labels: e.target.value })} disabled={readOnly} />
        </Field>
        <div className="flex items-center gap-3 md:col-span-4">
          <Button type="submit" busy={create.isPending} disabledReason={readOnly ? "Viewers cannot sling work." : undefined}>
            Sling bead
          </Button>
          <span className="text-xs text-slate-500">The reconciler hands it to a polecat on its next tick.</span>
          <ErrorLine error={create.error} as="span" />
        </div>
      </form>
    </Card>
  );
}

const CANCELLABLE = new Set(["issue", "merge_request", "escalation"]);
const RETRYABLE = new Set(["issue", "merge_request"]);

/** Cancel (two steps, so a stray click does nothing) and retry, per row. */
export function BeadActions({ townId, bead }: { townId: string; bead: { id: string; type: string; status: string } }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const [confirming, setConfirming] = useState(false);
  const refresh = () =>
    refetchFresh(trpc.bead.pathKey(), trpc.town.get.queryKey({ townId }));
  const cancel = useMutation(trpc.bead.cancel.mutationOptions({ onSuccess: async () => (setConfirming(false), refresh()) }));
  const retry = useMutation(trpc.bead.retry.mutationOptions({ onSuccess: refresh }));
  const terminal = bead.status === "closed" || bead.status === "failed";
  const error = cancel.error ?? retry.error;
  return (
    <span className="inline-flex flex-col items-end gap-1">
      <span className="inline-flex gap-1.5">
        {!terminal && CANCELLABLE.has(bead.type) ? (
          confirming ? (
            <>
              <Button size="sm" variant="danger" busy={cancel.isPending} disabledReason={writeReason} onClick={() => cancel.mutate({ townId, beadId: bead.id })}>
                Confirm cancel
              </Button>
              <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
                Keep
              </Button>
            </>
          ) : (
            <Button size="sm" variant="secondary" disabledReason={writeReason} onClick={() => setConfirming(true)}>
              Cancel
            </Button>
          )
        ) : null}
        {bead.status === "failed" && RETRYABLE.has(bead.type) ? (
          <Button size="sm" variant="secondary" busy={retry.isPending} disabledReason={writeReason} onClick={() => retry.mutate({ townId, beadId: bead.id })}>
            Retry
          </Button>
        ) : null}
      </span>
      <ErrorLine error={error} as="span" size="xs" className="max-w-xs whitespace-normal" />
    </span>
  );
}
