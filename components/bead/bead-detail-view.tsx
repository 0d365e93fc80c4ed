"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { Label, StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { LIVE_MS } from "@/components/ui/live";
import { BeadActions } from "./beads-view";
import { WhyStuck } from "./why-stuck";

export function BeadDetailView({ townId, beadId }: { townId: string; beadId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.bead.get.queryOptions({ townId, beadId }, { refetchInterval: LIVE_MS }));
  if (q.isPending) return <Spinner label="Loading bead…" />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => q.refetch()} />;
  const b = q.data;
  return (
    <div className="space-y-6">
      <div>
        <Link href={`/towns/${townId}/beads`} className="text-sm text-indigo-700 hover:underline">
          ← Beads
        </Link>
        <div className="mt-2 flex flex-wrap items-center justify-between gap-3">
          <h2 className="flex flex-wrap items-center gap-3 text-xl font-semibold" data-testid="bead-title">
            {b.title} <StatusBadge status={b.status} />
          </h2>
          <BeadActions townId={townId} bead={b} />
        </div>
        {b.body ? <p className="mt-2 whitespace-pre-wrap text-sm text-slate-700">{b.body}</p> : null}
      </div>
      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Fields">
          <dl className="space-y-2 text-sm">
            {[
              ["Type", b.type.replace("_", " ")],
              ["Rig", b.rig?.name ?? "—"],
              ["Priority", b.priority],
              ["Dispatch attempts", String(b.dispatchAttempts)],
              ["Created by", b.createdBy ?? "—"],
            ].map(([k, v]) => (
              <div key={k} className="flex justify-between gap-2">
                <dt className="text-slate-500">{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
            <div className="flex justify-between gap-2">
              <dt className="text-slate-500">Created</dt>
              <dd>
                <RelativeTime value={b.createdAt} />
              </dd>
            </div>
            <div className="flex justify-between gap-2">
              <dt className="text-slate-500">Last dispatch</dt>
              <dd>
                <RelativeTime value={b.lastDispatchAttemptAt} />
              </dd>
            </div>
            {b.review ? (
              <div className="flex justify-between gap-2">
                <dt className="text-slate-500">Pull request</dt>
                <dd>
                  {b.review.prUrl ? (
                    <a className="text-indigo-700 hover:underline" href={b.review.prUrl} target="_blank" rel="noreferrer noopener">
                      {b.review.prUrl.replace(/^https?:\/\/[^/]+\//, "")} ↗
                    </a>
                  ) : (
                    "none"
                  )}
                </dd>
              </div>
            ) : null}
            <div className="flex flex-wrap gap-1 pt-1">
              {b.labels.map((l) => (
                <Label key={l}>{l}</Label>
              ))}
            </div>
          </dl>
        </Card>
        <Card title="Dependencies">
          {b.dependencies.length === 0 && b.dependents.length === 0 ? (
            <p className="text-sm text-slate-500">None.</p>
          ) : (
            <ul className="space-y-2 text-sm">
              {b.dependencies.map((d) => (
                <li key={`to-${d.dependsOnBeadId}`}>
                  <span className="text-slate-500">{d.dependencyType === "blocks" ? "blocked by" : d.dependencyType} </span>
                  <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${d.dependsOn.id}`}>
                    {d.dependsOn.title}
                  </Link>{" "}
                  <StatusBadge status={d.dependsOn.status} />
                </li>
              ))}
              {b.dependents.map((d) => (
                <li key={`from-${d.beadId}`}>
                  <span className="text-slate-500">{d.dependencyType === "blocks" ? "blocks" : `${d.dependencyType} by`} </span>
                  <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${d.bead.id}`}>
                    {d.bead.title}
                  </Link>{" "}
                  <StatusBadge status={d.bead.status} />
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Hooked agent">
          {b.hookedBy.length === 0 ? (
            <p className="text-sm text-slate-500">No agent is working on this bead.</p>
          ) : (
            <ul className="space-y-2 text-sm">
              {b.hookedBy.map((a) => (
                <li key={a.beadId}>
                  <span className="font-mono text-xs">{a.identity}</span> <StatusBadge status={a.status} />
                  <p className="text-xs text-slate-500">
                    last heartbeat <RelativeTime value={a.lastActivityAt} />
                  </p>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <WhyStuck townId={townId} beadId={beadId} />
      <Card title="Timeline">
        {b.timeline.length === 0 ? (
          <p className="text-sm text-slate-500">Nothing has happened yet.</p>
        ) : (
          <ol className="space-y-2 text-sm" data-testid="timeline">
            {b.timeline.map((e) => (
              <li key={e.id} className="flex flex-wrap items-center justify-between gap-2">
                <span>
                  <span className="font-mono text-xs">{e.eventType}</span>
                  {e.oldValue || e.newValue ? (
                    <span className="ml-2 text-slate-600">
                      {e.oldValue ?? "—"} → {e.newValue ?? "—"}
                    </span>
                  ) : null}
                </span>
                <span className="text-xs text-slate-500">
                  <RelativeTime value={e.createdAt} />
                </span>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}
