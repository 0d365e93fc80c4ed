"use client";

import Link from "next/link";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { LIVE_FAST_MS, LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { usePollTogether } from "@/components/ui/use-poll-together";
import { ErrorLine } from "@/components/ui/error-line";
import { TickChart } from "@/components/tick/tick-chart";
import { MAYOR_BAR_CONVERSATION_LIMIT, MayorBar } from "@/components/mayor/mayor-bar";
import { useMayorLive } from "@/components/mayor/use-mayor";

const STATUSES = ["open", "in_progress", "in_review", "closed", "failed"] as const;

type Metrics = { eventsDrained?: number; eventsPoisoned?: number; actionsEmitted?: number; wallClockMs?: number; sideEffectsFailed?: number; invariantViolations?: number; pendingEventCount?: number };

/** The town at a glance (SPEC.md §4.1): counts by status, the reconciler's state, the poison inbox,
 *  notifications, a chart of recent ticks and recent activity. Every number is a server-side aggregate. */
export function OverviewView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.town.get.queryOptions({ townId }));
  const ticks = useQuery(trpc.tick.chart.queryOptions({ townId, limit: 60 }, { refetchInterval: LIVE_MS }));
  // The cards below mount only once the town has loaded. Their queries start (and poll) here, with the
  // page's own: the first render is one batched request instead of two in a row, and the town and the
  // notifications are polled every 3 s from one timer, so each round is one request (issue 15: 200 open
  // overviews).
  const notifications = useQuery(trpc.notification.list.queryOptions(NOTIFICATIONS_INPUT(townId)));
  usePollTogether(LIVE_FAST_MS, [q.refetch, notifications.refetch]);
  useMayorLive(townId, { conversationLimit: MAYOR_BAR_CONVERSATION_LIMIT });
  if (q.isPending) return <Spinner label="Loading town…" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />;
  const t = q.data;
  const issues = t.counts.issue ?? {};
  const mrs = t.counts.merge_request ?? {};
  const openEscalations = (t.counts.escalation?.open ?? 0) + (t.counts.escalation?.in_progress ?? 0);
  const m = (t.tick.lastMetrics ?? null) as Metrics | null;
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
      {t.poisonedCount > 0 ? (
        <Link
          href={`/towns/${townId}/poison`}
          className="flex flex-wrap items-center justify-between gap-2 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800 ring-1 ring-red-200 hover:bg-red-100"
          data-testid="poison-badge"
        >
          <span>
            <span className="mr-2 rounded-full bg-red-600 px-2 py-0.5 text-xs font-bold text-white">{t.poisonedCount}</span>
            poisoned event{t.poisonedCount === 1 ? "" : "s"} the reconciler could not apply.
          </span>
          <span className="font-semibold">Open the poison inbox →</span>
        </Link>
      ) : null}
      {!t.runtime.configured && t.runtime.message ? (
        <p className="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200" role="status" data-testid="runtime-warning">
          {t.runtime.message}
        </p>
      ) : null}
      {!t.github.usable && t.github.message ? (
        <p className="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200" role="status" data-testid="github-token-warning">
          {t.github.message}{" "}
          <Link href={`/towns/${townId}/settings`} className="font-semibold underline">
            Open Settings
          </Link>
        </p>
      ) : null}
      <MayorBar townId={townId} />
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6" data-testid="status-counts">
        {STATUSES.map((s) => (
          <Link key={s} href={`/towns/${townId}/beads?status=${s}`} className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-300">
            <StatusBadge status={s} />
            <p className="mt-2 text-2xl font-semibold">{issues[s] ?? 0}</p>
            <p className="text-xs text-slate-500">issues · {mrs[s] ?? 0} MRs</p>
          </Link>
        ))}
        <Link href={`/towns/${townId}/escalations`} className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 hover:ring-indigo-300">
          <span className="text-xs font-medium text-slate-500">Escalations</span>
          <p className={`mt-2 text-2xl font-semibold ${openEscalations ? "text-orange-700" : ""}`}>{openEscalations}</p>
          <p className="text-xs text-slate-500">
            open{t.triageCount ? <span className="font-semibold text-orange-700"> · {t.triageCount} to triage</span> : null}
          </p>
        </Link>
      </div>
      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Reconciler" actions={<Link className="text-xs font-semibold text-indigo-700 hover:underline" href={`/towns/${townId}/ticks`}>Ticks →</Link>}>
          <dl className="space-y-2 text-sm" data-testid="tick-status">
            <Row label="Last tick">
              <RelativeTime value={t.tick.lastTickAt} />
            </Row>
            <Row label="Next due">
              <RelativeTime value={t.tick.nextTickAt} />
            </Row>
            <Row label="Cadence">{t.tick.hasActiveWork ? "active (5 s)" : "idle (60 s)"}</Row>
            <Row label="Circuit breaker">
              <span className={t.tick.breakerOpen ? "font-semibold text-red-600" : "text-emerald-700"} data-testid="breaker">
                {t.tick.breakerOpen ? "OPEN: dispatch paused" : "closed"}
              </span>
            </Row>
            <Row label="Pending events">
              <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/events`}>
                {t.pendingEventCount}
              </Link>
            </Row>
            <Row label="Poison inbox">
              <Link className={t.poisonedCount ? "font-semibold text-red-600 hover:underline" : "text-indigo-700 hover:underline"} href={`/towns/${townId}/poison`} data-testid="poison-count">
                {t.poisonedCount}
              </Link>
            </Row>
            {m ? (
              <Row label="Last tick did">
                <span className="text-right text-xs">
                  {m.eventsDrained ?? 0} events, {m.actionsEmitted ?? 0} actions, {m.wallClockMs ?? 0} ms
                  {m.eventsPoisoned ? <span className="text-red-600">, {m.eventsPoisoned} poisoned</span> : null}
                  {m.invariantViolations ? <span className="text-red-600">, {m.invariantViolations} violations</span> : null}
                </span>
              </Row>
            ) : null}
          </dl>
        </Card>
        <Card title="Agents" actions={<Link className="text-xs font-semibold text-indigo-700 hover:underline" href={`/towns/${townId}/agents`}>All agents →</Link>}>
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
        <Notifications townId={townId} />
      </div>
      <Card title="Recent ticks (duration and events drained)">
        {ticks.data ? <TickChart ticks={ticks.data.items} /> : ticks.isError ? <ErrorState error={ticks.error} /> : <Spinner />}
      </Card>
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
                  {a.newValue && a.eventType === "status_changed" ? (
                    <>
                      {" "}
                      → <StatusBadge status={a.newValue} />
                    </>
                  ) : null}
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

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex justify-between gap-3">
      <dt className="text-slate-500">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const NOTIFICATIONS_INPUT = (townId: string) => ({ townId, limit: 10 });

const KIND_LABEL: Record<string, string> = { poisoned_event: "poison", breaker_open: "breaker", escalation: "escalation", mayor_notice: "mayor" };

/** Notifications (poisonings, breaker, escalations, mayor notices) with mark-read, one or all. */
function Notifications({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const list = useQuery(trpc.notification.list.queryOptions(NOTIFICATIONS_INPUT(townId))); // polled by OverviewView
  const mark = useMutation(trpc.notification.markRead.mutationOptions({ onSuccess: () => refetchFresh(trpc.notification.pathKey()) }));
  const unread = list.data?.unreadCount ?? 0;
  return (
    <Card
      title={
        <span>
          Notifications{" "}
          {unread ? (
            <span className="ml-1 rounded-full bg-red-600 px-1.5 text-[11px] font-bold text-white" data-testid="unread-count">
              {unread}
            </span>
          ) : null}
        </span>
      }
      actions={
        unread ? (
          <Button size="sm" variant="ghost" busy={mark.isPending && mark.variables?.all} disabledReason={writeReason} onClick={() => mark.mutate({ townId, all: true })}>
            Mark all read
          </Button>
        ) : null
      }
    >
      {list.isPending ? (
        <Spinner />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing needs your attention.</p>
      ) : (
        <ul className="space-y-2 text-sm" data-testid="notifications">
          {list.data.items.map((n) => (
            <li key={n.id} className={`flex items-start justify-between gap-2 ${n.readAt ? "text-slate-500" : ""}`} data-read={n.readAt ? "yes" : "no"}>
              <span className="min-w-0">
                <span className="mr-1 rounded bg-slate-100 px-1 font-mono text-[10px] uppercase text-slate-600">{KIND_LABEL[n.kind] ?? n.kind}</span>
                {n.kind === "poisoned_event" ? (
                  <Link className="hover:underline" href={`/towns/${townId}/poison`}>
                    {n.message}
                  </Link>
                ) : n.beadId ? (
                  <Link className="hover:underline" href={`/towns/${townId}/beads/${n.beadId}`}>
                    {n.message}
                  </Link>
                ) : (
                  n.message
                )}{" "}
                <span className="whitespace-nowrap text-xs text-slate-400">
                  <RelativeTime value={n.createdAt} />
                </span>
              </span>
              {!n.readAt ? (
                <Button size="sm" variant="ghost" disabledReason={writeReason} onClick={() => mark.mutate({ townId, ids: [n.id] })} aria-label="Mark read">
                  ✓
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={mark.error} className="mt-2" />
    </Card>
  );
}
