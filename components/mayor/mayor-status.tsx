"use client";

import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { mayorDisplayStatus, type MayorDisplayName, type MayorStatusName } from "./use-mayor";

export type MayorStatusData = {
  status: MayorStatusName;
  lastHeartbeatAt: Date | null;
  dispatchedAt: Date | null;
  startAttempts: number;
  unreadMail: number;
  note: string | null;
  runtime: { selected: string | null; configured: boolean; message: string | null };
};

/** What each status means to a person, in one sentence. */
export const MAYOR_STATUS_EXPLAINED: Record<MayorDisplayName, string> = {
  blocked: "The mayor cannot start: this town has no agent runtime configured. Messages wait as its mail until one is picked in Settings.",
  idle: "The mayor is asleep. Writing to it starts it.",
  starting: "The mayor is starting: the town's runtime is launching it to read your message.",
  working: "The mayor is working: reading its mail, planning and slinging beads.",
  waiting: "The mayor is running and waiting for your next message.",
  stalled: "The mayor has gone quiet (no heartbeat for a while); the reconciler is watching it.",
  dead: "The mayor stopped. Writing to it starts it again.",
};

/** A dot that pulses while the mayor is busy, beside the status badge. */
export function MayorStatusBadge({ status }: { status: MayorDisplayName }) {
  const busy = status === "starting" || status === "working";
  return (
    <span className="inline-flex items-center gap-1.5" data-testid="mayor-status" data-mayor-status={status}>
      {busy ? <span className="h-2 w-2 animate-pulse rounded-full bg-amber-500" aria-hidden /> : null}
      {status === "starting" ? (
        // not agent statuses of components/ui/badge.tsx: their own words, in the colours of working / stalled
        <span className="inline-flex items-center rounded-md bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-inset ring-amber-600/20" data-status="starting">
          starting
        </span>
      ) : status === "blocked" ? (
        <span className="inline-flex items-center rounded-md bg-orange-50 px-2 py-0.5 text-xs font-medium text-orange-800 ring-1 ring-inset ring-orange-600/30" data-status="blocked">
          cannot start
        </span>
      ) : (
        <StatusBadge status={status} />
      )}
    </span>
  );
}

/** The mayor's status in full: badge and explanation, last heartbeat, unread mail, the last problem. */
export function MayorStatusPanel({ status: s }: { status: MayorStatusData }) {
  const shown = mayorDisplayStatus(s);
  return (
    <div className="space-y-3 text-sm" data-testid="mayor-status-panel">
      <div className="flex items-center gap-2">
        <MayorStatusBadge status={shown} />
      </div>
      <p className="text-slate-700">{MAYOR_STATUS_EXPLAINED[shown]}</p>
      <dl className="space-y-1.5">
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Last heartbeat</dt>
          <dd>
            {/* keyed: RelativeTime's clock ticks every 15 s, so a newer value would read "in 3 seconds" */}
            <RelativeTime key={s.lastHeartbeatAt?.toISOString() ?? "none"} value={s.lastHeartbeatAt} empty={shown === "starting" ? "not yet" : shown === "idle" || shown === "dead" || shown === "blocked" ? "not running" : "none since it started"} />
          </dd>
        </div>
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Unread mail</dt>
          <dd className={s.unreadMail > 0 ? "font-semibold text-amber-800" : ""} data-testid="mayor-unread">
            {s.unreadMail}
          </dd>
        </div>
        {s.dispatchedAt ? (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Last started</dt>
            <dd>
              <RelativeTime key={s.dispatchedAt.toISOString()} value={s.dispatchedAt} />
            </dd>
          </div>
        ) : null}
        {s.startAttempts > 1 ? (
          <div className="flex justify-between gap-3">
            <dt className="text-slate-500">Start attempts</dt>
            <dd className="text-orange-700">{s.startAttempts}</dd>
          </div>
        ) : null}
        <div className="flex justify-between gap-3">
          <dt className="text-slate-500">Runtime</dt>
          <dd className={s.runtime.configured ? "" : "text-amber-800"}>{s.runtime.selected ?? (s.runtime.configured ? "default" : "none")}</dd>
        </div>
      </dl>
      {s.note ? (
        <p className="rounded bg-orange-50 px-2 py-1.5 text-xs text-orange-900 ring-1 ring-orange-200" data-testid="mayor-note">
          {s.note}
        </p>
      ) : null}
    </div>
  );
}
