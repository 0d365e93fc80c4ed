"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { errorMessage } from "@/components/ui/use-error";

export function TownsView() {
  const trpc = useTRPC();
  const router = useRouter();
  const refetchFresh = useRefresh();
  const towns = useQuery(trpc.town.list.queryOptions(undefined, { refetchInterval: 15_000 }));
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.town.create.mutationOptions({
      onSuccess: async (town) => {
        await refetchFresh(trpc.town.list.queryKey());
        router.push(`/towns/${town.id}`);
      },
    }),
  );

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name });
  }

  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Your towns</h1>
      <Card title="Create a town">
        <form onSubmit={onSubmit} className="flex flex-col gap-3 sm:flex-row sm:items-end">
          <div className="flex-1">
            <Field label="Town name" htmlFor="town-name" error={create.error ? errorMessage(create.error) : undefined}>
              <Input id="town-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} placeholder="e.g. acme-town" required />
            </Field>
          </div>
          <Button type="submit" busy={create.isPending}>
            Create town
          </Button>
        </form>
      </Card>
      {towns.isPending ? (
        <Spinner label="Loading towns…" />
      ) : towns.isError ? (
        <ErrorState error={towns.error} onRetry={() => towns.refetch()} />
      ) : towns.data.length === 0 ? (
        <EmptyState title="No towns yet">Create your first town above, then attach a rig (a GitHub repository) and sling work to it.</EmptyState>
      ) : (
        <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="town-list">
          {towns.data.map((t) => (
            <li key={t.id}>
              <Link href={`/towns/${t.id}`} className="block rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-300">
                <div className="flex items-center justify-between">
                  <span className="font-semibold">{t.name}</span>
                  <StatusBadge status={t.role} />
                </div>
                <dl className="mt-3 grid grid-cols-3 gap-2 text-xs text-slate-500">
                  <div>
                    <dt>Rigs</dt>
                    <dd className="text-base font-semibold text-slate-900">{t.rigCount}</dd>
                  </div>
                  <div>
                    <dt>Active beads</dt>
                    <dd className="text-base font-semibold text-slate-900">{t.activeBeadCount}</dd>
                  </div>
                  <div>
                    <dt>Poisoned</dt>
                    <dd className={`text-base font-semibold ${t.poisonedCount ? "text-red-600" : "text-slate-900"}`}>{t.poisonedCount}</dd>
                  </div>
                </dl>
                <p className="mt-3 text-xs text-slate-500">
                  Last tick <RelativeTime value={t.lastTickAt} />
                </p>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
