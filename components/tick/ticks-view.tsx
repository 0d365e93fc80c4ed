"use client";

import { useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { ErrorLine } from "@/components/ui/error-line";
import { ActionList, type RecordedActionView } from "./action-list";
import { TickChart } from "./tick-chart";
import { CursorPager } from "@/components/ui/pager";

/**
 * Tick history (every tick that did something: metrics, actions with rule/target/reason, side effects,
 * invariant violations), the **dry run** ("what would the next tick do?", nothing is changed) and the
 * **replay** of an event window (DOMAIN.md §10). Dry run and replay are owners' tools (SPEC.md §3b).
 */
export function TicksView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const history = useQuery(trpc.tick.history.queryOptions({ townId, cursor, limit: 20 }, { refetchInterval: LIVE_MS, placeholderData: keepPreviousData }));
  const chart = useQuery(trpc.tick.chart.queryOptions({ townId, limit: 100 }, { refetchInterval: LIVE_MS }));

  return (
    <div className="space-y-6">
      <div className="grid gap-6 lg:grid-cols-2">
        <DryRun townId={townId} />
        <Replay townId={townId} />
      </div>
      <Card title="Recent ticks">
        {chart.data ? <TickChart ticks={chart.data.items} /> : chart.isError ? <ErrorState error={chart.error} /> : <Spinner />}
      </Card>
      <section className="space-y-3">
        <h2 className="text-lg font-semibold">History</h2>
        {history.isPending ? (
          <Spinner label="Loading ticks…" />
        ) : history.isError ? (
          <ErrorState error={history.error} onRetry={() => history.refetch()} />
        ) : history.data.items.length === 0 ? (
          <EmptyState title="No ticks recorded yet">A tick is recorded when it drains events, acts or finds an invariant violation. Idle ticks leave no row.</EmptyState>
        ) : (
          <ul className="space-y-2" data-testid="tick-list">
            {history.data.items.map((t) => (
              <TickRow key={t.id} townId={townId} tick={t} />
            ))}
          </ul>
        )}
        {history.data ? <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={history.data.nextCursor} /> : null}
      </section>
    </div>
  );
}

type TickRowData = {
  id: string;
  startedAt: Date;
  wallClockMs: number;
  eventsDrained: number;
  eventsPoisoned: number;
  actionsEmitted: number;
  actions: unknown;
  sideEffectsAttempted: number;
  sideEffectsSucceeded: number;
  sideEffectsFailed: number;
  sideEffectOutcomes: unknown;
  invariantViolations: number;
  violations: unknown;
  pendingEventCount: number;
  breakerOpen: boolean;
};

function TickRow({ townId, tick: t }: { townId: string; tick: TickRowData }) {
  const actions = Array.isArray(t.actions) ? (t.actions as RecordedActionView[]) : [];
  const outcomes = Array.isArray(t.sideEffectOutcomes) ? (t.sideEffectOutcomes as { type: string; target: string | null; ok: boolean; detail?: string }[]) : [];
  const violations = Array.isArray(t.violations) ? (t.violations as { invariant?: number | string; message?: string }[]) : [];
  return (
    <li className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200" data-testid="tick-row">
      <details>
        <summary className="flex cursor-pointer flex-wrap items-center gap-x-4 gap-y-1 px-4 py-2 text-sm">
          <span className="font-medium">
            <RelativeTime value={t.startedAt} />
          </span>
          <Metric label="ms" value={t.wallClockMs} />
          <Metric label="drained" value={t.eventsDrained} />
          <Metric label="poisoned" value={t.eventsPoisoned} danger />
          <Metric label="actions" value={t.actionsEmitted} />
          <Metric label="side effects" value={`${t.sideEffectsSucceeded}/${t.sideEffectsAttempted}`} />
          <Metric label="violations" value={t.invariantViolations} danger />
          <Metric label="pending after" value={t.pendingEventCount} />
          {t.breakerOpen ? <span className="text-xs font-semibold text-red-600">breaker open</span> : null}
          {actions.length ? <span className="truncate font-mono text-xs text-slate-500">{summarise(actions)}</span> : null}
        </summary>
        <div className="space-y-3 border-t border-slate-100 px-4 py-3">
          <ActionList townId={townId} actions={actions} />
          {outcomes.length ? (
            <div>
              <h3 className="text-xs font-semibold uppercase text-slate-500">Side effects</h3>
              <ul className="text-xs">
                {outcomes.map((o, i) => (
                  <li key={i} className={o.ok ? "text-slate-700" : "text-red-700"}>
                    <span className="font-mono">{o.type}</span> {o.target ? <span className="font-mono text-slate-500">{o.target.slice(0, 8)}</span> : null}{" "}
                    {o.ok ? "ok" : "failed"}
                    {o.detail ? `: ${o.detail}` : ""}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {violations.length ? (
            <div>
              <h3 className="text-xs font-semibold uppercase text-red-600">Invariant violations</h3>
              <ul className="text-xs text-red-700">
                {violations.map((v, i) => (
                  <li key={i}>
                    {v.invariant !== undefined ? `#${v.invariant}: ` : ""}
                    {v.message ?? JSON.stringify(v)}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </div>
      </details>
    </li>
  );
}

function summarise(actions: RecordedActionView[]): string {
  const counts = new Map<string, number>();
  for (const a of actions) counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(", ");
}

function Metric({ label, value, danger }: { label: string; value: number | string; danger?: boolean }) {
  const hot = danger && typeof value === "number" && value > 0;
  return (
    <span className="text-xs text-slate-500">
      <span className={`font-semibold ${hot ? "text-red-600" : "text-slate-900"}`}>{value}</span> {label}
    </span>
  );
}

function DryRun({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const { ownerReason } = useTownRole(townId);
  const dry = useMutation(trpc.tick.dryRun.mutationOptions());
  return (
    <Card
      title="Dry run"
      actions={
        <Button size="sm" busy={dry.isPending} disabledReason={ownerReason} onClick={() => dry.mutate({ townId })}>
          Dry run
        </Button>
      }
    >
      <p className="text-sm text-slate-500">What would the next tick do? Drains and reconciles inside a transaction that is rolled back; no side effect runs.</p>
      <ErrorLine error={dry.error} className="mt-2" />
      {dry.data ? (
        <div className="mt-3 space-y-2" data-testid="dry-run-result">
          <p className="flex flex-wrap gap-x-4 text-xs">
            <Metric label="events drained" value={dry.data.eventsDrained} />
            <Metric label="would poison" value={dry.data.eventsPoisoned} danger />
            <Metric label="actions" value={dry.data.actionsEmitted} />
            <Metric label="pending" value={dry.data.pendingEventCount} />
            {dry.data.breakerOpen ? <span className="font-semibold text-red-600">breaker open</span> : null}
          </p>
          {dry.data.actions.length === 0 ? (
            <p className="text-sm text-slate-700">The next tick would do nothing.</p>
          ) : (
            <ActionList townId={townId} actions={dry.data.actions} testId="dry-run-actions" />
          )}
          {dry.data.poisoned.length ? (
            <ul className="text-xs text-red-700">
              {dry.data.poisoned.map((p, i) => (
                <li key={i}>{JSON.stringify(p)}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}

function toLocalInput(d: Date): string {
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

function Replay({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const { ownerReason } = useTownRole(townId);
  const [from, setFrom] = useState(() => toLocalInput(new Date(Date.now() - 60 * 60_000)));
  const [to, setTo] = useState(() => toLocalInput(new Date(Date.now() + 60_000)));
  const [formError, setFormError] = useState<string | null>(null);
  const replay = useMutation(trpc.tick.replay.mutationOptions());

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const f = new Date(from);
    const t = new Date(to);
    if (Number.isNaN(f.getTime()) || Number.isNaN(t.getTime())) return setFormError("Give both times.");
    if (f > t) return setFormError("“From” must be before “to”.");
    setFormError(null);
    replay.mutate({ townId, from: f.toISOString(), to: t.toISOString() });
  }

  return (
    <Card title="Replay an event window">
      <form onSubmit={onSubmit} className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
        <Field label="From" htmlFor="replay-from">
          <Input id="replay-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
        </Field>
        <Field label="To" htmlFor="replay-to">
          <Input id="replay-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} required />
        </Field>
        <Button type="submit" busy={replay.isPending} disabledReason={ownerReason}>
          Replay
        </Button>
      </form>
      <ErrorLine error={formError ?? replay.error} className="mt-2" />
      {replay.data ? (
        <div className="mt-3 space-y-2" data-testid="replay-result">
          <p className="text-xs text-slate-500">{replay.data.caveat}</p>
          <p className="text-sm">
            Replayed <span className="font-semibold">{replay.data.eventsReplayed}</span> events
            {replay.data.eventErrors.length ? <span className="text-red-600"> ({replay.data.eventErrors.length} failed)</span> : null}.
          </p>
          {replay.data.eventErrors.length ? (
            <ul className="text-xs text-red-700">
              {replay.data.eventErrors.map((e) => (
                <li key={e.eventId}>
                  <span className="font-mono">{e.eventType}</span>: {e.error}
                </li>
              ))}
            </ul>
          ) : null}
          <ActionList townId={townId} actions={replay.data.actions} testId="replay-actions" />
          <details>
            <summary className="cursor-pointer text-xs font-semibold text-slate-600">
              State after the replay: {replay.data.stateSnapshot.agents.length} agents, {replay.data.stateSnapshot.nonTerminalBeads.length} unfinished beads
            </summary>
            <ul className="mt-2 space-y-1 text-xs">
              {replay.data.stateSnapshot.agents.map((a) => (
                <li key={a.id}>
                  {a.name} ({a.role}) <StatusBadge status={a.status} /> {a.hook ? <span className="font-mono">hook {a.hook.slice(0, 8)}</span> : null}
                </li>
              ))}
              {replay.data.stateSnapshot.nonTerminalBeads.map((b) => (
                <li key={b.id}>
                  {b.title} <StatusBadge status={b.status} /> <span className="text-slate-500">{b.type}</span>
                </li>
              ))}
            </ul>
          </details>
        </div>
      ) : null}
    </Card>
  );
}
