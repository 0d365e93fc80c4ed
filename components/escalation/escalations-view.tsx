"use client";

import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Tabs } from "@/components/ui/tabs";
import { LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { ErrorLine } from "@/components/ui/error-line";
import { TriageRequests } from "./triage-requests";

const SEVERITIES = ["critical", "high", "medium", "low"] as const;

/** Open escalations grouped by severity, most severe first; acknowledging closes one. */
export function EscalationsView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const [acknowledged, setAcknowledged] = useState(false);
  const list = useQuery(trpc.escalation.list.queryOptions({ townId, acknowledged }, { refetchInterval: LIVE_MS }));
  const open = list.data?.openBySeverity;
  return (
    <div className="space-y-4">
      <TriageRequests townId={townId} />
      <Tabs
        label="Escalations"
        value={acknowledged ? "ack" : "open"}
        onChange={(v) => setAcknowledged(v === "ack")}
        options={[
          { value: "open", label: "Open", count: list.data?.openCount, tone: "danger" },
          { value: "ack", label: "Acknowledged" },
        ]}
      />
      {open && !acknowledged ? (
        <div className="flex flex-wrap gap-3 text-sm" data-testid="severity-counts">
          {SEVERITIES.map((s) => (
            <span key={s} className="flex items-center gap-1.5">
              <StatusBadge status={s} /> <span className="font-semibold">{open[s]}</span>
            </span>
          ))}
        </div>
      ) : null}
      {list.isPending ? (
        <Spinner label="Loading escalations…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title={acknowledged ? "Nothing acknowledged yet" : "No open escalations"}>
          {acknowledged ? "" : "Agents escalate when they are stuck; the reconciler escalates failed PR polling. All quiet."}
        </EmptyState>
      ) : (
        SEVERITIES.filter((s) => list.data.items.some((e) => e.severity === s)).map((s) => (
          <section key={s} className="space-y-2" data-testid={`severity-${s}`}>
            <h2 className="flex items-center gap-2 text-sm font-semibold uppercase text-slate-600">
              <StatusBadge status={s} />
            </h2>
            <ul className="space-y-2">
              {list.data.items
                .filter((e) => e.severity === s)
                .map((e) => (
                  <EscalationItem key={e.id} townId={townId} escalation={e} />
                ))}
            </ul>
          </section>
        ))
      )}
    </div>
  );
}

type Escalation = {
  id: string;
  title: string;
  body: string | null;
  status: string;
  category: string | null;
  acknowledged: boolean;
  acknowledgedAt: Date | null;
  reEscalationCount: number;
  sourceBeadId: string | null;
  createdBy: string | null;
  createdAt: Date;
};

function EscalationItem({ townId, escalation: e }: { townId: string; escalation: Escalation }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const ack = useMutation(
    trpc.escalation.acknowledge.mutationOptions({
      onSuccess: () =>
        refetchFresh(trpc.escalation.list.pathKey(), trpc.town.get.queryKey({ townId })),
    }),
  );
  return (
    <li className="rounded-lg bg-white px-4 py-3 shadow-sm ring-1 ring-slate-200" data-testid="escalation">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <Link className="font-semibold text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${e.id}`}>
            {e.title}
          </Link>
          {e.body ? <p className="whitespace-pre-wrap text-sm text-slate-700">{e.body}</p> : null}
          <p className="flex flex-wrap gap-x-4 text-xs text-slate-500">
            <span>
              raised <RelativeTime value={e.createdAt} />
            </span>
            {e.category ? <span>{e.category}</span> : null}
            {e.reEscalationCount > 0 ? <span className="text-orange-700">re-escalated {e.reEscalationCount}×</span> : null}
            {e.sourceBeadId ? (
              <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${e.sourceBeadId}`}>
                about this bead
              </Link>
            ) : null}
            {e.acknowledgedAt ? (
              <span>
                acknowledged <RelativeTime value={e.acknowledgedAt} />
              </span>
            ) : null}
          </p>
        </div>
        {!e.acknowledged ? (
          <Button size="sm" busy={ack.isPending} disabledReason={writeReason} onClick={() => ack.mutate({ townId, escalationId: e.id })}>
            Acknowledge
          </Button>
        ) : (
          <StatusBadge status={e.status} />
        )}
      </div>
      <ErrorLine error={ack.error} className="mt-2" />
    </li>
  );
}
