"use client";

import { clockTime } from "@/components/ui/time";

type Point = { startedAt: Date; wallClockMs: number; eventsDrained: number };

/**
 * Recent ticks as an inline SVG (no chart library): bars are each tick's wall-clock duration, the line is
 * the events it drained. Oldest on the left. Only ticks that did something are recorded (SPEC.md §3b), so
 * the x axis is ticks, not minutes; the first and last tick times label it.
 */
export function TickChart({ ticks, height = 120 }: { ticks: Point[]; height?: number }) {
  const points = [...ticks].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  if (points.length === 0) return <p className="text-sm text-slate-500">No ticks recorded yet: a tick is recorded when it drains events or acts.</p>;
  const width = 600;
  const pad = { l: 36, r: 36, t: 8, b: 18 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const maxMs = Math.max(1, ...points.map((p) => p.wallClockMs));
  const maxEv = Math.max(1, ...points.map((p) => p.eventsDrained));
  const step = w / points.length;
  const barW = Math.max(1, Math.min(14, step * 0.7));
  const x = (i: number) => pad.l + step * i + step / 2;
  const yMs = (v: number) => pad.t + h - (v / maxMs) * h;
  const yEv = (v: number) => pad.t + h - (v / maxEv) * h;
  const line = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${yEv(p.eventsDrained).toFixed(1)}`).join(" ");
  const first = points[0];
  const last = points[points.length - 1];
  return (
    <figure className="space-y-1" data-testid="tick-chart">
      <svg viewBox={`0 0 ${width} ${height}`} className="h-auto w-full" role="img" aria-label={`Last ${points.length} ticks: duration (bars) and events drained (line)`}>
        <line x1={pad.l} x2={width - pad.r} y1={pad.t + h} y2={pad.t + h} className="stroke-slate-200" />
        <text x={pad.l - 4} y={pad.t + 8} textAnchor="end" className="fill-slate-400 text-[10px]">
          {maxMs} ms
        </text>
        <text x={width - pad.r + 4} y={pad.t + 8} className="fill-emerald-600 text-[10px]">
          {maxEv} ev
        </text>
        {points.map((p, i) => (
          <rect key={i} x={x(i) - barW / 2} y={yMs(p.wallClockMs)} width={barW} height={Math.max(1, pad.t + h - yMs(p.wallClockMs))} className="fill-indigo-300">
            <title>{`${p.startedAt.toLocaleString()}: ${p.wallClockMs} ms, ${p.eventsDrained} events drained`}</title>
          </rect>
        ))}
        <path d={line} fill="none" className="stroke-emerald-600" strokeWidth={1.5} />
        {points.map((p, i) => (
          <circle key={i} cx={x(i)} cy={yEv(p.eventsDrained)} r={2} className="fill-emerald-600" />
        ))}
        <text x={pad.l} y={height - 4} className="fill-slate-400 text-[10px]">
          {clockTime(first.startedAt)}
        </text>
        <text x={width - pad.r} y={height - 4} textAnchor="end" className="fill-slate-400 text-[10px]">
          {clockTime(last.startedAt)}
        </text>
      </svg>
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
