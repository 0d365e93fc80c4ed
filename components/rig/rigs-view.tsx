"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { RelativeTime } from "@/components/ui/relative-time";
import { errorMessage } from "@/components/ui/use-error";
import { ErrorLine } from "@/components/ui/error-line";

const VIEWER_REASON = "Viewers cannot change this town.";

export function RigsView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const town = useQuery(trpc.town.get.queryOptions({ townId }));
  const rigs = useQuery(trpc.rig.list.queryOptions({ townId }, { refetchInterval: 10_000 }));
  const readOnly = town.data?.role === "viewer";
  const [form, setForm] = useState({ name: "", gitUrl: "", defaultBranch: "main" });
  const invalidate = () => refetchFresh(trpc.rig.list.queryKey({ townId }));
  const create = useMutation(
    trpc.rig.create.mutationOptions({
      onSuccess: async () => {
        setForm({ name: "", gitUrl: "", defaultBranch: "main" });
        await invalidate();
      },
    }),
  );
  const del = useMutation(trpc.rig.delete.mutationOptions({ onSuccess: invalidate }));

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ townId, name: form.name, gitUrl: form.gitUrl, defaultBranch: form.defaultBranch || undefined });
  }

  return (
    <div className="space-y-6">
      <Card title="Add a rig">
        <form onSubmit={onSubmit} className="grid gap-3 md:grid-cols-[1fr_2fr_1fr_auto] md:items-end">
          <Field label="Name" htmlFor="rig-name">
            <Input id="rig-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="web" required disabled={readOnly} />
          </Field>
          <Field label="GitHub repository URL" htmlFor="rig-url">
            <Input
              id="rig-url"
              value={form.gitUrl}
              onChange={(e) => setForm({ ...form, gitUrl: e.target.value })}
              placeholder="https://github.com/owner/repo"
              required
              disabled={readOnly}
            />
          </Field>
          <Field label="Default branch" htmlFor="rig-branch">
            <Input id="rig-branch" value={form.defaultBranch} onChange={(e) => setForm({ ...form, defaultBranch: e.target.value })} disabled={readOnly} />
          </Field>
          <Button type="submit" busy={create.isPending} disabledReason={readOnly ? VIEWER_REASON : undefined}>
            Add rig
          </Button>
        </form>
        <ErrorLine error={create.error} className="mt-3" />
      </Card>
      {rigs.isPending ? (
        <Spinner label="Loading rigs…" />
      ) : rigs.isError ? (
        <ErrorState error={rigs.error} onRetry={() => rigs.refetch()} />
      ) : rigs.data.length === 0 ? (
        <EmptyState title="No rigs yet">A rig is a GitHub repository your agents work in. Add one above.</EmptyState>
      ) : (
        <div className="relative overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="rig-table">
            <thead className="bg-slate-50 text-left text-xs font-semibold uppercase text-slate-500">
              <tr>
                <th className="px-4 py-2">Name</th>
                <th className="px-4 py-2">Repository</th>
                <th className="px-4 py-2">Branch</th>
                <th className="px-4 py-2">Agents</th>
                <th className="px-4 py-2">Active beads</th>
                <th className="px-4 py-2">Added</th>
                <th className="px-4 py-2" />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rigs.data.map((r) => (
                <tr key={r.id}>
                  <td className="px-4 py-2 font-medium">
                    <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/rigs/${r.id}`}>
                      {r.name}
                    </Link>
                  </td>
                  <td className="px-4 py-2">
                    <a className="text-indigo-700 hover:underline" href={r.gitUrl} target="_blank" rel="noreferrer noopener">
                      {r.gitUrl}
                    </a>
                  </td>
                  <td className="px-4 py-2 font-mono text-xs">{r.defaultBranch}</td>
                  <td className="px-4 py-2">{r.agentCount}</td>
                  <td className="px-4 py-2">{r.activeBeadCount}</td>
                  <td className="px-4 py-2 text-slate-500">
                    <RelativeTime value={r.createdAt} />
                  </td>
                  <td className="px-4 py-2 text-right">
                    <Button
                      variant="secondary"
                      size="sm"
                      disabledReason={readOnly ? VIEWER_REASON : undefined}
                      busy={del.isPending && del.variables?.rigId === r.id}
                      onClick={() => {
                        if (confirm(`Delete rig "${r.name}"? Its beads are deleted and its agents stopped.`)) del.mutate({ townId, rigId: r.id });
                      }}
                    >
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {del.error ? <ErrorState error={{ message: errorMessage(del.error) }} /> : null}
    </div>
  );
}
