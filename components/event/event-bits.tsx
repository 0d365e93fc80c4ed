"use client";

import Link from "next/link";
import { StatusBadge } from "@/components/ui/badge";

/** Why an event was poisoned, in words a person reads. */
export const POISON_REASONS: Record<string, string> = {
  invalid_payload: "payload fails its schema",
  entity_not_found: "its bead or agent does not exist",
  max_retries: "applying it failed 3 times",
};

export function PoisonReason({ reason }: { reason: string | null }) {
  if (!reason) return null;
  return (
    <span className="inline-flex items-center gap-1.5" data-testid="poison-reason">
      <StatusBadge status="poisoned" />
      <span className="font-mono text-xs text-slate-700">{reason}</span>
      {POISON_REASONS[reason] ? <span className="text-xs text-slate-500">({POISON_REASONS[reason]})</span> : null}
    </span>
  );
}

/** The bead and agent an event is about, linked where there is a page for them. */
export function EventRefs({ townId, beadId, agentId }: { townId: string; beadId: string | null; agentId: string | null }) {
  if (!beadId && !agentId) return <span className="text-slate-400">—</span>;
  return (
    <span className="space-x-2 font-mono text-xs">
      {beadId ? (
        <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${beadId}`} title={beadId}>
          bead {beadId.slice(0, 8)}
        </Link>
      ) : null}
      {agentId ? (
        <span className="text-slate-600" title={agentId}>
          agent {agentId.slice(0, 8)}
        </span>
      ) : null}
    </span>
  );
}

export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="max-h-64 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid={testId}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
