"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { ErrorLine } from "@/components/ui/error-line";
import { ProgressBar } from "./progress-bar";

/** One convoy: progress, its tracked beads (with what blocks them inside the convoy and their MRs), the
 *  landing MRs; start a staged convoy, close it (its unfinished beads are cancelled). */
export function ConvoyDetailView({ townId, convoyId }: { townId: string; convoyId: string }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const q = useQuery(trpc.convoy.get.queryOptions({ townId, convoyId }, { refetchInterval: LIVE_MS }));
  const refresh = () => refetchFresh(trpc.convoy.pathKey());
  const start = useMutation(trpc.convoy.start.mutationOptions({ onSuccess: refresh }));
  const close = useMutation(trpc.convoy.close.mutationOptions({ onSuccess: async () => (setClosing(false), refresh()) }));
  const [closing, setClosing] = useState(false);
  const [reason, setReason] = useState("");
  if (q.isPending) return <Spinner label="Loading convoy…" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />;
  const c = q.data;
  const open = c.status === "open";
  const numberOf = new Map(c.beads.map((b, i) => [b.id, i + 1]));
  const error = start.error ?? close.error;

  function onClose(e: FormEvent) {
    e.preventDefault();
    close.mutate({ townId, convoyId, reason: reason.trim() || undefined });
  }

  return (
    <div className="space-y-6">
      <div>
        <Link href={`/towns/${townId}/convoys`} className="text-sm text-indigo-700 hover:underline">
          ← Convoys
        </Link>
        <div className="mt-2 flex flex-wrap items-center justify-between gap-3">
          <h2 className="flex flex-wrap items-center gap-3 text-xl font-semibold" data-testid="convoy-title">
            {c.title} <StatusBadge status={c.status} />
            {c.staged && open ? <span className="rounded bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-800" data-testid="staged">staged</span> : null}
          </h2>
          {open ? (
            <div className="flex gap-2">
              {c.staged ? (
                <Button busy={start.isPending} disabledReason={writeReason} onClick={() => start.mutate({ townId, convoyId })}>
                  Start convoy
                </Button>
              ) : null}
              <Button variant="secondary" disabledReason={writeReason} aria-expanded={closing} onClick={() => setClosing(!closing)}>
                Close…
              </Button>
            </div>
          ) : null}
        </div>
      </div>
      {closing ? (
        <form onSubmit={onClose} className="flex flex-wrap items-end gap-2 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
          <div className="min-w-64 flex-1">
            <Field label="Reason (optional)" htmlFor="close-reason" hint="Closing cancels the convoy's unfinished beads.">
              <Input id="close-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
            </Field>
          </div>
          <Button type="submit" variant="danger" busy={close.isPending} disabledReason={writeReason}>
            Close convoy
          </Button>
        </form>
      ) : null}
      <ErrorLine error={error} />
      <div className="grid gap-6 md:grid-cols-3">
        <Card title="Progress" className="md:col-span-2">
          <ProgressBar {...c.progress} />
          <p className="mt-2 text-xs text-slate-500">Counts the convoy&apos;s issue beads that are closed or failed.</p>
          {c.readyToLand ? <p className="mt-2 text-sm font-semibold text-emerald-700">Ready to land.</p> : null}
          {c.landedAt ? (
            <p className="mt-2 text-sm text-emerald-700">
              Landed <RelativeTime value={c.landedAt} />
            </p>
          ) : null}
        </Card>
        <Card title="Details">
          <dl className="space-y-1 text-sm">
            <div className="flex justify-between gap-2">
              <dt className="text-slate-500">Merge mode</dt>
              <dd>{c.mergeMode}</dd>
            </div>
            <div className="flex justify-between gap-2">
              <dt className="text-slate-500">Feature branch</dt>
              <dd className="truncate font-mono text-xs" title={c.featureBranch ?? ""}>
                {c.featureBranch ?? "—"}
              </dd>
            </div>
            <div className="flex justify-between gap-2">
              <dt className="text-slate-500">Created</dt>
              <dd>
                <RelativeTime value={c.createdAt} />
              </dd>
            </div>
          </dl>
        </Card>
      </div>
      <section className="space-y-2">
        <h3 className="text-lg font-semibold">Tracked beads</h3>
        {c.beads.length === 0 ? (
          <EmptyState title="No beads tracked" />
        ) : (
          <Table testId="convoy-beads" label="Tracked beads">
            <THead>
              <Th>#</Th>
              <Th>Bead</Th>
              <Th>Status</Th>
              <Th>Waits for</Th>
              <Th>Merge requests</Th>
              <Th>Attempts</Th>
              <Th>Updated</Th>
            </THead>
            <TBody>
              {c.beads.map((b, i) => (
                <tr key={b.id}>
                  <Td className="text-slate-500">{i + 1}</Td>
                  <Td>
                    <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${b.id}`}>
                      {b.title}
                    </Link>
                  </Td>
                  <Td>
                    <StatusBadge status={b.status} />
                  </Td>
                  <Td className="text-slate-600">{b.blockedBy.length
                      ? b.blockedBy
                          .map((id) => numberOf.get(id))
                          .sort((x, y) => (x ?? Infinity) - (y ?? Infinity))
                          .map((n) => `#${n ?? "?"}`)
                          .join(", ")
                      : "—"}</Td>
                  <Td>
                    {b.mergeRequests.length === 0 ? (
                      <span className="text-slate-400">—</span>
                    ) : (
                      <ul className="space-y-1">
                        {b.mergeRequests.map((m) => (
                          <li key={m.id} className="flex items-center gap-1.5">
                            <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${m.id}`}>
                              MR
                            </Link>
                            <StatusBadge status={m.status} />
                            {m.prUrl ? (
                              <a className="text-xs text-indigo-700 hover:underline" href={m.prUrl} target="_blank" rel="noreferrer noopener">
                                PR ↗
                              </a>
                            ) : null}
                          </li>
                        ))}
                      </ul>
                    )}
                  </Td>
                  <Td>{b.dispatchAttempts}</Td>
                  <Td className="whitespace-nowrap text-slate-500">
                    <RelativeTime value={b.updatedAt} />
                  </Td>
                </tr>
              ))}
            </TBody>
          </Table>
        )}
      </section>
      {c.landingMergeRequests.length ? (
        <Card title="Landing merge requests">
          <ul className="space-y-1 text-sm">
            {c.landingMergeRequests.map((m) => (
              <li key={m.id} className="flex items-center gap-2">
                <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${m.id}`}>
                  {m.title}
                </Link>
                <StatusBadge status={m.status} />
                {m.prUrl ? (
                  <a className="text-xs text-indigo-700 hover:underline" href={m.prUrl} target="_blank" rel="noreferrer noopener">
                    PR ↗
                  </a>
                ) : null}
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
    </div>
  );
}
