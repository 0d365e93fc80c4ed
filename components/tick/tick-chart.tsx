"use client";

import { clockTime } from "@/components/ui/time";

type Point = { startedAt: Date; wallClockMs: number; eventsDrained: number };

/**
 * Recent ticks as an inline SVG (no chart library): bars are each tick's wall-clock duration, the line is
 * the events it drained. Oldest on the left. Only ticks that did something are recorded (SPEC.md §3b), so
 * the x axis is ticks, not minutes; the first and last tick times label it.
 */
export function TickChart({ ticks, height = 100 }: { ticks: Point[]; height?: number }) {
  const points = [...ticks].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  if (points.length === 0) return <p className="text-sm text-slate-500">No ticks recorded yet: a tick is recorded when it drains events or acts.</p>;
  const width = 600;
  const h = height;
  const maxMs = Math.max(...points.map((p) => p.wallClockMs));
  const maxEv = Math.max(...points.map((p) => p.eventsDrained));
  const step = width / points.length;
  const barW = Math.max(1, Math.min(14, step * 0.7));
  const x = (i: number) => step * i + step / 2;
  const yMs = (v: number) => h - (v / Math.max(1, maxMs)) * (h - 4);
  const yEv = (v: number) => h - (v / Math.max(1, maxEv)) * (h - 4);
  const line = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${yEv(p.eventsDrained).toFixed(1)}`).join(" ");
  const first = points[0];
  const last = points[points.length - 1];
  // The SVG stretches to the card's width (preserveAspectRatio none); labels are HTML so text never scales.
  return (
    <figure className="space-y-1" data-testid="tick-chart">
      <div className="flex justify-between text-[11px]">
        <span className="text-indigo-500">max {maxMs} ms</span>
        <span className="text-emerald-700">max {maxEv} events</span>
      </div>
      <svg
        viewBox={`0 0 ${width} ${h}`}
        preserveAspectRatio="none"
        className="h-28 w-full border-b border-slate-200"
        role="img"
        aria-label={`Last ${points.length} ticks: duration (bars) and events drained (line)`}
      >
        {points.map((p, i) => (
          <rect key={i} x={x(i) - barW / 2} y={yMs(p.wallClockMs)} width={barW} height={Math.max(1, h - yMs(p.wallClockMs))} className="fill-indigo-300">
            <title>{`${p.startedAt.toLocaleString()}: ${p.wallClockMs} ms, ${p.eventsDrained} events drained`}</title>
          </rect>
        ))}
        {points.length > 1 ? <path d={line} fill="none" className="stroke-emerald-600" strokeWidth={1.5} vectorEffect="non-scaling-stroke" /> : null}
      </svg>
      <div className="flex justify-between text-[11px] text-slate-500">
        <span>{clockTime(first.startedAt)}</span>
        <span>{points.length} ticks</span>
        <span>{clockTime(last.startedAt)}</span>
      </div>
      <figcaption className="flex flex-wrap gap-4 text-xs text-slate-500">
        <span className="flex items-center gap-1">
          <span className="inline-block h-2 w-3 bg-indigo-300" aria-hidden /> duration (ms)
        </span>
        <span className="flex items-center gap-1">
          <span className="inline-block h-0.5 w-3 bg-emerald-600" aria-hidden /> events drained
        </span>
      </figcaption>
    </figure>
  );
}
