"use client";

import Link from "next/link";
import { useEffect, useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Tabs } from "@/components/ui/tabs";
import { CursorPager } from "@/components/ui/pager";
import { LIVE_FAST_MS } from "@/components/ui/live";
import { clockTime, countdown } from "@/components/ui/time";
import { useTownRole } from "@/components/ui/use-town-role";
import { errorMessage } from "@/components/ui/use-error";

type Tab = "active" | "open" | "in_progress" | "closed" | "failed";
const TAB_STATUSES: Record<Tab, ("open" | "in_progress" | "closed" | "failed")[]> = {
  active: ["open", "in_progress"],
  open: ["open"],
  in_progress: ["in_progress"],
  closed: ["closed"],
  failed: ["failed"],
};

/**
 * The review queue (SPEC.md §4.1): merge requests by state with their PR, source bead and feedback beads,
 * the last feedback check, and the auto-merge countdown (ready since → merges at, ticking live). Hold,
 * release, merge now, retry and fail are audited writes on the server (SPEC.md §3b).
 */
export function ReviewsView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const [tab, setTab] = useState<Tab>("active");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery(
    trpc.review.list.queryOptions({ townId, status: TAB_STATUSES[tab], cursor, limit: 25 }, { refetchInterval: LIVE_FAST_MS, placeholderData: keepPreviousData }),
  );
  const c = list.data?.counts;
  return (
    <div className="space-y-4">
      <Tabs
        label="Merge request state"
        value={tab}
        onChange={(t) => {
          setTab(t);
          setCursors([null]);
        }}
        options={[
          { value: "active", label: "Needs review or merge", count: c ? c.open + c.in_progress : undefined },
          { value: "open", label: "Queued", count: c?.open },
          { value: "in_progress", label: "In review / PR open", count: c?.in_progress },
          { value: "failed", label: "Failed", count: c?.failed, tone: "danger" },
          { value: "closed", label: "Merged", count: c?.closed },
        ]}
      />
      {list.isPending ? (
        <Spinner label="Loading the review queue…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="No merge requests here">
          {tab === "active" ? "When a polecat finishes a bead, its merge request shows up here for review." : "Nothing in this state."}
        </EmptyState>
      ) : (
        <ul className="space-y-3" data-testid="review-list">
          {list.data.items.map((mr) => (
            <MergeRequestCard key={mr.id} townId={townId} mr={mr} />
          ))}
        </ul>
      )}
      {list.data ? <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={list.data.nextCursor} labels={{ newer: "← Back", older: "More →" }} /> : null}
    </div>
  );
}

type Mr = {
  id: string;
  title: string;
  status: string;
  rigName: string | null;
  held: boolean;
  updatedAt: Date;
  createdAt: Date;
  prUrl: string | null;
  branch: string | null;
  targetBranch: string | null;
  retryCount: number;
  lastFeedbackCheckAt: Date | null;
  lastPollAt: string | null;
  convoyId: string | null;
  failure: { reason: string | null; message: string | null } | null;
  source: { id: string; title: string; status: string } | null;
  feedbackBeads: { id: string; title: string; status: string; kind: string; blocking: boolean }[];
  autoMerge: { enabled: boolean; delayMinutes: number | null; pending: boolean; readySince: Date | null; mergesAt: Date | null };
};

function MergeRequestCard({ townId, mr }: { townId: string; mr: Mr }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const [failing, setFailing] = useState(false);
  const [reason, setReason] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => refetchFresh(trpc.review.list.pathKey());
  const opts = (msg: string) => ({ onSuccess: async () => (setNotice(msg), refresh()) });
  const hold = useMutation(trpc.review.hold.mutationOptions(opts("Held: it will not be merged until the hold is released.")));
  const release = useMutation(trpc.review.release.mutationOptions(opts("Released: the grace period starts again at the next green poll.")));
  const mergeNow = useMutation(trpc.review.mergeNow.mutationOptions(opts("Merge requested: the next tick merges it if GitHub agrees.")));
  const retry = useMutation(trpc.review.retry.mutationOptions(opts("Reopened for review.")));
  const fail = useMutation(trpc.review.fail.mutationOptions({ onSuccess: async () => (setFailing(false), setNotice("Marked failed."), refresh()) }));
  const error = hold.error ?? release.error ?? mergeNow.error ?? retry.error ?? fail.error;
  const active = mr.status === "open" || mr.status === "in_progress";

  function onFail(e: FormEvent) {
    e.preventDefault();
    fail.mutate({ townId, mrId: mr.id, reason });
  }

  return (
    <li className="rounded-lg bg-white shadow-sm ring-1 ring-slate-200" data-testid="mr-card" data-mr-id={mr.id}>
      <div className="flex flex-wrap items-start justify-between gap-3 px-4 py-3">
        <div className="min-w-0 space-y-1">
          <p className="flex flex-wrap items-center gap-2">
            <Link className="font-semibold text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${mr.id}`}>
              {mr.title}
            </Link>
            <StatusBadge status={mr.status} />
            {mr.held ? <StatusBadge status="held" /> : null}
            {mr.autoMerge.pending ? <StatusBadge status="merge_pending" /> : null}
          </p>
          <p className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-500">
            {mr.rigName ? <span>rig {mr.rigName}</span> : null}
            {mr.branch ? (
              <span className="font-mono">
                {mr.branch} → {mr.targetBranch}
              </span>
            ) : null}
            {mr.prUrl ? (
              <a className="font-semibold text-indigo-700 hover:underline" href={mr.prUrl} target="_blank" rel="noreferrer noopener" data-testid="pr-link">
                {prLabel(mr.prUrl)} ↗
              </a>
            ) : (
              <span>no PR</span>
            )}
            {mr.source ? (
              <span>
                for{" "}
                <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${mr.source.id}`}>
                  {mr.source.title}
                </Link>
              </span>
            ) : null}
            <span>review retries {mr.retryCount}</span>
            <span>
              updated <RelativeTime value={mr.updatedAt} />
            </span>
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          {active ? (
            mr.held ? (
              <Button size="sm" variant="secondary" busy={release.isPending} disabledReason={writeReason} onClick={() => release.mutate({ townId, mrId: mr.id })}>
                Release hold
              </Button>
            ) : (
              <Button size="sm" variant="secondary" busy={hold.isPending} disabledReason={writeReason} onClick={() => hold.mutate({ townId, mrId: mr.id })}>
                Hold
              </Button>
            )
          ) : null}
          {active ? (
            <Button
              size="sm"
              busy={mergeNow.isPending}
              disabledReason={writeReason ?? (!mr.prUrl ? "No pull request to merge: direct merges are done by the refinery." : mr.held ? "Release the hold first." : undefined)}
              onClick={() => mergeNow.mutate({ townId, mrId: mr.id })}
            >
              Merge now
            </Button>
          ) : null}
          {mr.status === "failed" ? (
            <Button size="sm" busy={retry.isPending} disabledReason={writeReason} onClick={() => retry.mutate({ townId, mrId: mr.id })}>
              Retry review
            </Button>
          ) : null}
          {active ? (
            <Button size="sm" variant="ghost" disabledReason={writeReason} aria-expanded={failing} onClick={() => setFailing(!failing)}>
              Fail…
            </Button>
          ) : null}
        </div>
      </div>
      <div className="grid gap-3 border-t border-slate-100 px-4 py-3 text-sm md:grid-cols-3">
        <AutoMergeCountdown mr={mr} />
        <div>
          <p className="text-xs font-semibold uppercase text-slate-500">Feedback</p>
          <p className="text-xs text-slate-600">
            last check <RelativeTime value={mr.lastFeedbackCheckAt} empty="not checked yet" />
            {mr.lastPollAt ? (
              <>
                {" "}
                · last poll <RelativeTime value={mr.lastPollAt} />
              </>
            ) : null}
          </p>
          {mr.feedbackBeads.length === 0 ? (
            <p className="text-xs text-slate-400">No feedback beads.</p>
          ) : (
            <ul className="mt-1 space-y-1">
              {mr.feedbackBeads.map((f) => (
                <li key={f.id} className="flex flex-wrap items-center gap-1.5 text-xs">
                  <span className="font-mono text-slate-500">{f.kind.replace("_", " ")}</span>
                  <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${f.id}`}>
                    {f.title}
                  </Link>
                  <StatusBadge status={f.status} />
                  {f.blocking ? <span className="text-orange-700">blocks the merge</span> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          {mr.failure ? (
            <>
              <p className="text-xs font-semibold uppercase text-slate-500">Why it failed</p>
              <p className="text-xs text-red-700">{mr.failure.message ?? mr.failure.reason ?? "No reason recorded."}</p>
            </>
          ) : mr.convoyId ? (
            <p className="text-xs">
              Part of{" "}
              <Link className="text-indigo-700 hover:underline" href={`/towns/${townId}/convoys/${mr.convoyId}`}>
                a convoy
              </Link>
            </p>
          ) : null}
        </div>
      </div>
      {failing ? (
        <form onSubmit={onFail} className="flex flex-wrap items-end gap-2 border-t border-slate-100 px-4 py-3">
          <div className="min-w-64 flex-1">
            <Field label="Why does it fail?" htmlFor={`fail-${mr.id}`}>
              <Input id={`fail-${mr.id}`} value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={1000} />
            </Field>
          </div>
          <Button type="submit" variant="danger" size="sm" busy={fail.isPending} disabledReason={writeReason}>
            Fail merge request
          </Button>
        </form>
      ) : null}
      {notice || error ? (
        <p className={`px-4 pb-3 text-sm ${error ? "text-red-600" : "text-emerald-700"}`} role={error ? "alert" : "status"}>
          {error ? errorMessage(error) : notice}
        </p>
      ) : null}
    </li>
  );
}

function prLabel(url: string): string {
  const m = /\/([^/]+\/[^/]+)\/pull\/(\d+)/.exec(url);
  return m ? `${m[1]}#${m[2]}` : "Pull request";
}

/** "Ready since 14:02 → merges at 14:07 (in 3:12)", ticking every second; or why there is no countdown. */
export function AutoMergeCountdown({ mr }: { mr: Pick<Mr, "status" | "held" | "prUrl" | "autoMerge"> }) {
  const [now, setNow] = useState<number | null>(null);
  const mergesAt = mr.autoMerge.mergesAt;
  useEffect(() => {
    setNow(Date.now());
    if (!mergesAt) return;
    const t = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(t);
  }, [mergesAt]);
  const a = mr.autoMerge;
  let body: React.ReactNode;
  if (mr.status === "closed" || mr.status === "failed") body = <span className="text-slate-500">Finished.</span>;
  else if (mr.held) body = <span className="font-semibold text-fuchsia-800">Held — auto-merge is paused until the hold is released.</span>;
  else if (a.pending) body = <span className="font-semibold text-indigo-700">Merging: the next tick merges it.</span>;
  else if (!mr.prUrl) body = <span className="text-slate-500">No PR: merged by the refinery after review.</span>;
  else if (!a.enabled) body = <span className="text-slate-500">Auto-merge is off for this rig (merge it by hand or with Merge now).</span>;
  else if (!a.readySince) body = <span className="text-slate-500">Waiting for the PR to be green and approved (grace {a.delayMinutes} min).</span>;
  else if (mergesAt && now !== null) {
    const left = mergesAt.getTime() - now;
    body = (
      <span>
        Ready since <time title={a.readySince.toLocaleString()}>{clockTime(a.readySince)}</time> → merges at{" "}
        <time title={mergesAt.toLocaleString()} className="font-semibold">
          {clockTime(mergesAt)}
        </time>{" "}
        <span className="font-mono font-semibold text-indigo-700" data-testid="countdown">
          {left > 0 ? `in ${countdown(left)}` : "due now"}
        </span>
      </span>
    );
  } else body = <span className="text-slate-500">…</span>;
  return (
    <div data-testid="auto-merge">
      <p className="text-xs font-semibold uppercase text-slate-500">Auto-merge</p>
      <p className="text-xs">{body}</p>
    </div>
  );
}
