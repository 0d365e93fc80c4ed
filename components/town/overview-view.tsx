"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";

const STATUSES = ["open", "in_progress", "in_review", "closed", "failed"] as const;

export function OverviewView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.town.get.queryOptions({ townId }, { refetchInterval: 5_000 }));
  if (q.isPending) return <Spinner label="Loading town…" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />;
  const t = q.data;
  const issues = t.counts.issue ?? {};
  const mrs = t.counts.merge_request ?? {};
  return (
    <div className="space-y-6">
      {t.rigCount === 0 ? (
        <EmptyState title="This town has no rigs yet">
          <Link className="font-semibold text-indigo-600" href={`/towns/${townId}/rigs`}>
            Attach a GitHub repository
          </Link>{" "}
          to start slinging work.
        </EmptyState>
      ) : null}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-5" data-testid="status-counts">
        {STATUSES.map((s) => (
          <Link key={s} href={`/towns/${townId}/beads?status=${s}`} className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-300">
            <StatusBadge status={s} />
            <p className="mt-2 text-2xl font-semibold">{issues[s] ?? 0}</p>
            <p className="text-xs text-slate-500">issues · {mrs[s] ?? 0} merge requests</p>
          </Link>
        ))}
      </div>
      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Reconciler">
          <dl className="space-y-2 text-sm">
            <div className="flex justify-between">
              <dt className="text-slate-500">Last tick</dt>
              <dd>
                <RelativeTime value={t.tick.lastTickAt} />
              </dd>
            </div>
            <div className="flex justify-between">
              <dt className="text-slate-500">Next due</dt>
              <dd>
                <RelativeTime value={t.tick.nextTickAt} />
              </dd>
            </div>
            <div className="flex justify-between">
              <dt className="text-slate-500">Cadence</dt>
              <dd>{t.tick.hasActiveWork ? "active (5 s)" : "idle (60 s)"}</dd>
            </div>
            <div className="flex justify-between">
              <dt className="text-slate-500">Circuit breaker</dt>
              <dd className={t.tick.breakerOpen ? "font-semibold text-red-600" : "text-emerald-700"}>{t.tick.breakerOpen ? "OPEN: dispatch paused" : "closed"}</dd>
            </div>
            <div className="flex justify-between">
              <dt className="text-slate-500">Pending events</dt>
              <dd>{t.pendingEventCount}</dd>
            </div>
            <div className="flex justify-between">
              <dt className="text-slate-500">Poison inbox</dt>
              <dd className={t.poisonedCount ? "font-semibold text-red-600" : ""} data-testid="poison-count">
                {t.poisonedCount}
              </dd>
            </div>
          </dl>
        </Card>
        <Card title="Agents">
          {Object.keys(t.agents).length === 0 ? (
            <p className="text-sm text-slate-500">No agents.</p>
          ) : (
            <ul className="space-y-2 text-sm">
              {Object.entries(t.agents).map(([status, n]) => (
                <li key={status} className="flex items-center justify-between">
                  <StatusBadge status={status} />
                  <span className="font-semibold">{n}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Notifications">
          {t.notifications.length === 0 ? (
            <p className="text-sm text-slate-500">Nothing needs your attention.</p>
          ) : (
            <ul className="space-y-2 text-sm">
              {t.notifications.map((n) => (
                <li key={n.id} className={n.readAt ? "text-slate-500" : ""}>
                  {n.message} <span className="text-xs text-slate-400"><RelativeTime value={n.createdAt} /></span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <Card title="Recent activity">
        {t.activity.length === 0 ? (
          <p className="text-sm text-slate-500">No activity yet.</p>
        ) : (
          <ul className="divide-y divide-slate-100 text-sm" data-testid="activity">
            {t.activity.map((a) => (
              <li key={a.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <span>
                  <span className="font-mono text-xs text-slate-500">{a.eventType}</span>{" "}
                  <Link className="font-medium text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${a.beadId}`}>
                    {a.bead.title}
                  </Link>
                  {a.newValue ? <> → <StatusBadge status={a.newValue} /></> : null}
                </span>
                <span className="text-xs text-slate-500">
                  <RelativeTime value={a.createdAt} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}
