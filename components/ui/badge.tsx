// One colour per status, everywhere (beads, agents, MRs, events).
const STATUS_COLOURS: Record<string, string> = {
  open: "bg-sky-50 text-sky-700 ring-sky-600/20",
  in_progress: "bg-amber-50 text-amber-800 ring-amber-600/20",
  in_review: "bg-violet-50 text-violet-700 ring-violet-600/20",
  closed: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  failed: "bg-red-50 text-red-700 ring-red-600/20",
  idle: "bg-slate-100 text-slate-700 ring-slate-500/20",
  working: "bg-amber-50 text-amber-800 ring-amber-600/20",
  waiting: "bg-sky-50 text-sky-700 ring-sky-600/20",
  stalled: "bg-orange-50 text-orange-800 ring-orange-600/30",
  dead: "bg-slate-200 text-slate-600 ring-slate-500/30",
  pending: "bg-sky-50 text-sky-700 ring-sky-600/20",
  processed: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  poisoned: "bg-red-50 text-red-700 ring-red-600/20",
  discarded: "bg-slate-100 text-slate-600 ring-slate-500/20",
  owner: "bg-indigo-50 text-indigo-700 ring-indigo-600/20",
  member: "bg-slate-100 text-slate-700 ring-slate-500/20",
  viewer: "bg-slate-50 text-slate-600 ring-slate-400/20",
  // escalation severities (and bead priorities)
  low: "bg-slate-100 text-slate-700 ring-slate-500/20",
  medium: "bg-sky-50 text-sky-700 ring-sky-600/20",
  high: "bg-orange-50 text-orange-800 ring-orange-600/30",
  critical: "bg-red-600 text-white ring-red-700",
  // review queue states
  held: "bg-fuchsia-50 text-fuchsia-800 ring-fuchsia-600/30",
  merge_pending: "bg-indigo-50 text-indigo-700 ring-indigo-600/20",
  // tick action outcomes
  applied: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  skipped: "bg-slate-100 text-slate-600 ring-slate-500/20",
  no_state_part: "bg-slate-50 text-slate-500 ring-slate-400/20",
};

export function StatusBadge({ status }: { status: string }) {
  const colour = STATUS_COLOURS[status] ?? "bg-slate-100 text-slate-700 ring-slate-500/20";
  return (
    <span className={`inline-flex items-center rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${colour}`} data-status={status}>
      {status.replace(/_/g, " ")}
    </span>
  );
}

export function Label({ children }: { children: string }) {
  return <span className="inline-flex items-center rounded bg-slate-100 px-1.5 py-0.5 font-mono text-[11px] text-slate-700">{children}</span>;
}
