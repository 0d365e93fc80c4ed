import Link from "next/link";
import { StatusBadge } from "@/components/ui/badge";

export type RecordedActionView = {
  type: string;
  rule?: string;
  reason?: string;
  target?: { kind: string; id: string | null };
  eventId?: string;
  state?: string;
  note?: string;
};

/** The actions of a tick (or a dry run or a replay): rule, type, target and reason, in order. */
export function ActionList({ townId, actions, testId }: { townId: string; actions: RecordedActionView[]; testId?: string }) {
  if (actions.length === 0) return <p className="text-sm text-slate-500">No actions.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="min-w-full text-xs" data-testid={testId}>
        <thead className="text-left text-[11px] uppercase text-slate-500">
          <tr>
            <th className="px-2 py-1">Rule</th>
            <th className="px-2 py-1">Action</th>
            <th className="px-2 py-1">Target</th>
            <th className="px-2 py-1">Reason</th>
            <th className="px-2 py-1">State</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {actions.map((a, i) => (
            <tr key={i} data-testid="action-row">
              <td className="whitespace-nowrap px-2 py-1 font-mono font-semibold">{a.rule ?? (a.eventId ? "event" : "—")}</td>
              <td className="whitespace-nowrap px-2 py-1 font-mono">{a.type}</td>
              <td className="whitespace-nowrap px-2 py-1">
                <Target townId={townId} target={a.target} />
              </td>
              <td className="px-2 py-1 text-slate-700">
                {a.reason ?? ""}
                {a.note ? <span className="text-slate-500"> ({a.note})</span> : null}
              </td>
              <td className="px-2 py-1">{a.state ? <StatusBadge status={a.state} /> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Target({ townId, target }: { townId: string; target?: { kind: string; id: string | null } }) {
  if (!target?.id) return <span className="text-slate-400">{target?.kind ?? "—"}</span>;
  const short = target.id.slice(0, 8);
  if (target.kind === "bead") {
    return (
      <Link className="font-mono text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${target.id}`} title={target.id}>
        bead {short}
      </Link>
    );
  }
  if (target.kind === "convoy") {
    return (
      <Link className="font-mono text-indigo-700 hover:underline" href={`/towns/${townId}/convoys/${target.id}`} title={target.id}>
        convoy {short}
      </Link>
    );
  }
  return (
    <span className="font-mono text-slate-600" title={target.id}>
      {target.kind} {short}
    </span>
  );
}
