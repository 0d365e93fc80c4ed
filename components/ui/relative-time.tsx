"use client";

import { useEffect, useState } from "react";

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];

export function formatRelative(date: Date, now: number): string {
  // The clock ticks every 15 s: a moment that happened since then is "now", not "in 3 seconds".
  const raw = date.getTime() - now;
  const diff = raw > 0 && raw < 15_000 ? 0 : raw;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === "second") return rtf.format(Math.round(diff / ms), unit);
  }
  return "";
}

/** "3 minutes ago", with the exact time on hover; re-renders every 15 s so it stays true. */
export function RelativeTime({ value, empty = "never" }: { value: Date | string | null | undefined; empty?: string }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(t);
  }, []);
  if (!value) return <span className="text-slate-400">{empty}</span>;
  const date = typeof value === "string" ? new Date(value) : value;
  // Until mounted, show the absolute time so server and client render the same text.
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {now === null ? date.toISOString().slice(0, 16).replace("T", " ") : formatRelative(date, now)}
    </time>
  );
}
