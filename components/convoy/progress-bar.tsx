/** Convoy progress: tracked issue beads done (closed or failed) of all tracked issue beads (SPEC.md §3 #8). */
export function ProgressBar({ done, total, percent }: { done: number; total: number; percent: number }) {
  return (
    <div className="flex items-center gap-2" data-testid="convoy-progress">
      <div className="h-2 w-full min-w-24 overflow-hidden rounded-full bg-slate-200" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-label="Convoy progress">
        <div className="h-full rounded-full bg-emerald-500" style={{ width: `${percent}%` }} />
      </div>
      <span className="whitespace-nowrap text-xs text-slate-600">
        {done}/{total}
      </span>
    </div>
  );
}
