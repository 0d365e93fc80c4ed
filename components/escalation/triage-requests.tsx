"use client";

import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { LIVE_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { ErrorLine } from "@/components/ui/error-line";

// Triage requests (DOMAIN.md §5.4): situations the reconciler leaves to a decision — an escalation, an agent
// stuck past GUPP's limits. Each offers its own options; deciding carries the option out at once.

type Choice = "RESTART" | "RESTART_WITH_BACKOFF" | "CLOSE_BEAD" | "ESCALATE_TO_MAYOR" | "ESCALATE" | "NUDGE" | "REASSIGN_BEAD" | "DISCARD" | "PROVIDE_GUIDANCE";

/** What each option does, in the words a person decides by. */
const CHOICES: Record<Choice, { label: string; explains: string }> = {
  RESTART: { label: "Restart the agent", explains: "stops it; it is dispatched again on the same bead" },
  RESTART_WITH_BACKOFF: { label: "Restart after backoff", explains: "stops it; it is dispatched again after the dispatch backoff" },
  CLOSE_BEAD: { label: "Close the bead", explains: "fails the bead (triage_close) and stops the agent on it" },
  ESCALATE_TO_MAYOR: { label: "Ask the mayor", explains: "mails the mayor with your note" },
  ESCALATE: { label: "Ask the mayor", explains: "mails the mayor with your note" },
  NUDGE: { label: "Nudge the agent", explains: "sends your note to the agent as an urgent nudge" },
  REASSIGN_BEAD: { label: "Give to another agent", explains: "stops the agent and reopens the bead for anyone" },
  DISCARD: { label: "Nothing to do", explains: "closes the request, changes nothing" },
  PROVIDE_GUIDANCE: { label: "Record guidance", explains: "keeps your note on the request, changes nothing" },
};

export function TriageRequests({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.escalation.triage.queryOptions({ townId }, { refetchInterval: LIVE_MS }));
  if (list.isPending) return <Spinner label="Loading triage requests…" />;
  if (list.isError) return <ErrorState error={list.error} onRetry={() => list.refetch()} />;
  if (list.data.length === 0) return null; // nothing waiting: the escalations below say the rest
  return (
    <Card title={`Triage requests — ${list.data.length} waiting for a decision`}>
      <ul className="divide-y divide-slate-100" data-testid="triage-requests">
        {list.data.map((r) => (
          <TriageItem key={r.id} townId={townId} request={r} />
        ))}
      </ul>
    </Card>
  );
}

type Request = {
  id: string;
  title: string;
  triageType: string;
  reason: string;
  severity: string | null;
  escalationId: string | null;
  agent: { id: string; name: string } | null;
  bead: { id: string; title: string; status: string } | null;
  choices: Choice[];
  createdAt: Date;
};

function TriageItem({ townId, request: r }: { townId: string; request: Request }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const [notes, setNotes] = useState("");
  const resolve = useMutation(
    trpc.escalation.resolveTriage.mutationOptions({
      onSuccess: () =>
        refetchFresh(trpc.escalation.pathKey(), trpc.town.get.queryKey({ townId })),
    }),
  );
  const notesId = `triage-notes-${r.id}`;
  return (
    <li className="space-y-3 px-4 py-3" data-testid="triage-request" data-request-id={r.id}>
      <div className="space-y-1">
        <p className="flex flex-wrap items-center gap-2">
          <span className="font-semibold text-slate-900">{r.reason}</span>
          <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">{r.triageType.replace("_", " ")}</span>
          {r.severity ? <StatusBadge status={r.severity} /> : null}
        </p>
        <p className="flex flex-wrap gap-x-4 text-xs text-slate-500">
          <span>
            raised <RelativeTime value={r.createdAt} />
          </span>
          {r.agent ? <span>agent {r.agent.name}</span> : null}
          {r.bead ? (
            <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${r.bead.id}`}>
              {r.bead.title} ({r.bead.status.replace("_", " ")})
            </Link>
          ) : null}
          {r.escalationId ? (
            <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${r.escalationId}`}>
              the escalation
            </Link>
          ) : null}
        </p>
      </div>
      <Field label="Note (optional; a nudge sends it to the agent)" htmlFor={notesId}>
        <Input id={notesId} value={notes} maxLength={2000} onChange={(e) => setNotes(e.target.value)} placeholder="Why, or what the agent should do" />
      </Field>
      <div className="flex flex-wrap gap-2" role="group" aria-label={`Decide: ${r.reason}`}>
        {r.choices.map((c) => (
          <Button
            key={c}
            size="sm"
            variant={c === "DISCARD" || c === "PROVIDE_GUIDANCE" ? "secondary" : "primary"}
            title={CHOICES[c]?.explains}
            busy={resolve.isPending && resolve.variables?.action === c}
            disabledReason={writeReason ?? (resolve.isPending ? "Deciding…" : undefined)}
            onClick={() => resolve.mutate({ townId, requestId: r.id, action: c, notes })}
          >
            {CHOICES[c]?.label ?? c}
          </Button>
        ))}
      </div>
      <ErrorLine error={resolve.error} />
    </li>
  );
}
