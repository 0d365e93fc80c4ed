"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Card, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { LIVE_MS } from "@/components/ui/live";
import { clockTime } from "@/components/ui/time";
import { ActionList } from "@/components/tick/action-list";

/** Fact codes this card words itself (from the structured fields, with local times); the rest are shown
 *  with the server's own sentence. */
const WORDED = new Set(["blocked", "cooldown", "attempts_exhausted", "hooked_agent", "agent_heartbeat_stale", "staged", "held", "breaker_open", "terminal", "auto_merge", "ready"]);

/**
 * "Why is this stuck?" (SPEC.md §4.1): the reconciler's own view of the bead, in plain language — what
 * blocks it (a failed blocker keeps it blocked until retried or removed), its dispatch backoff, the agent
 * hooked to it and its heartbeat, a staged convoy, a hold, the circuit breaker — then what the next tick
 * would do about it and the last decisions ticks made about it.
 */
export function WhyStuck({ townId, beadId }: { townId: string; beadId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.bead.explain.queryOptions({ townId, beadId }, { refetchInterval: LIVE_MS }));
  return (
    <Card title="Why is this stuck?">
      {q.isPending ? (
        <Spinner label="Asking the reconciler…" />
      ) : q.isError ? (
        <ErrorState error={q.error} onRetry={() => q.refetch()} />
      ) : (
        <Explanation townId={townId} x={q.data} />
      )}
    </Card>
  );
}

type Explain = {
  status: string | null;
  blockers: { beadId: string; title: string; status: string; state: string; pendingMrIds: string[] }[];
  backoff: { attempts: number; maxAttempts: number; lastAttemptAt: Date | null; eligibleAt: Date | null; inCooldown: boolean; exhausted: boolean } | null;
  hookedAgent: { id: string; name: string; role: string; status: string; lastActivityAt: Date | null; heartbeatFresh: boolean } | null;
  stagedConvoy: { id: string; title: string } | null;
  held: boolean;
  breaker: { open: boolean; failures: number; threshold: number; windowMinutes: number };
  review: { prUrl: string | null; autoMergePending: boolean; autoMergeReadySince: Date | null; mergesAt: Date | null } | null;
  nextActions: { type: string; rule?: string; reason?: string }[];
  facts: { code: string; message: string }[];
  lastDecisions: { tickId: string; at: Date; type?: string; rule?: string; reason?: string; target?: { kind: string; id: string | null }; state?: string; note?: string }[];
};

function Explanation({ townId, x }: { townId: string; x: Explain }) {
  const lines: { key: string; tone: "bad" | "warn" | "info" | "ok"; node: React.ReactNode }[] = [];
  const terminal = x.facts.find((f) => f.code === "terminal");
  if (terminal) lines.push({ key: "terminal", tone: x.status === "failed" ? "bad" : "ok", node: terminal.message });

  for (const b of x.blockers) {
    const link = (
      <Link className="font-semibold text-indigo-700 hover:underline" href={`/towns/${townId}/beads/${b.beadId}`}>
        {b.title}
      </Link>
    );
    lines.push({
      key: `blocker-${b.beadId}`,
      tone: b.state === "failed" ? "bad" : "warn",
      node:
        b.state === "failed" ? (
          <>Blocked by {link}, which failed — retry it or remove the dependency.</>
        ) : b.state === "mr_pending" ? (
          <>Blocked by {link}: it is closed, but its merge request has not finished yet.</>
        ) : (
          <>
            Blocked by {link}, which is still <StatusBadge status={b.status} />.
          </>
        ),
    });
  }

  if (x.backoff && !terminal) {
    const b = x.backoff;
    if (b.exhausted) lines.push({ key: "backoff", tone: "bad", node: `Attempt ${b.attempts} of ${b.maxAttempts}: out of dispatch attempts, so the reconciler fails it.` });
    else if (b.inCooldown && b.eligibleAt)
      lines.push({
        key: "backoff",
        tone: "warn",
        node: (
          <>
            Attempt {b.attempts} of {b.maxAttempts}, eligible again at{" "}
            <time className="font-semibold" title={b.eligibleAt.toLocaleString()}>
              {clockTime(b.eligibleAt)}
            </time>
            .
          </>
        ),
      });
    else if (b.attempts > 0) lines.push({ key: "backoff", tone: "info", node: `Attempt ${b.attempts} of ${b.maxAttempts}; it may be dispatched again now.` });
  }

  if (x.hookedAgent) {
    const a = x.hookedAgent;
    lines.push({
      key: "agent",
      tone: a.heartbeatFresh || (a.status !== "working" && a.status !== "stalled") ? "info" : "warn",
      node: (
        <>
          <span className="font-semibold">{a.name}</span> ({a.role}) is hooked to it and <StatusBadge status={a.status} />; last heartbeat <RelativeTime value={a.lastActivityAt} />
          {!a.heartbeatFresh && (a.status === "working" || a.status === "stalled") ? " — over 90 s ago, so the reconciler treats it as lost." : "."}
        </>
      ),
    });
  }

  if (x.stagedConvoy) {
    lines.push({
      key: "staged",
      tone: "warn",
      node: (
        <>
          Part of the staged convoy{" "}
          <Link className="font-semibold text-indigo-700 hover:underline" href={`/towns/${townId}/convoys/${x.stagedConvoy.id}`}>
            {x.stagedConvoy.title}
          </Link>
          : nothing is dispatched until the convoy is started.
        </>
      ),
    });
  }
  if (x.held) lines.push({ key: "held", tone: "warn", node: "Held (gt:held): never dispatched or auto-merged until the hold is released." });
  if (x.breaker.open && !terminal) {
    lines.push({
      key: "breaker",
      tone: "bad",
      node: `The dispatch circuit breaker is open (${x.breaker.failures} failed dispatches in the last ${x.breaker.windowMinutes} min): nothing is dispatched until it closes.`,
    });
  }
  if (x.review?.mergesAt && x.review.autoMergeReadySince) {
    lines.push({
      key: "auto-merge",
      tone: "info",
      node: (
        <>
          Green since <time title={x.review.autoMergeReadySince.toLocaleString()}>{clockTime(x.review.autoMergeReadySince)}</time>; auto-merges at{" "}
          <time className="font-semibold" title={x.review.mergesAt.toLocaleString()}>
            {clockTime(x.review.mergesAt)}
          </time>
          .
        </>
      ),
    });
  }
  if (x.review?.autoMergePending) lines.push({ key: "merge-pending", tone: "info", node: "Merge pending: the next tick merges the pull request." });
  for (const f of x.facts) if (!WORDED.has(f.code)) lines.push({ key: `fact-${f.code}-${f.message}`, tone: "info", node: f.message });

  const TONE = { bad: "border-red-500 bg-red-50", warn: "border-amber-500 bg-amber-50", info: "border-slate-300 bg-slate-50", ok: "border-emerald-500 bg-emerald-50" };
  return (
    <div className="space-y-4" data-testid="why-stuck">
      {lines.length === 0 ? (
        <p className="rounded-md border-l-4 border-emerald-500 bg-emerald-50 px-3 py-2 text-sm">Nothing holds this bead back: the next tick acts on it if a rule applies.</p>
      ) : (
        <ul className="space-y-2 text-sm">
          {lines.map((l) => (
            <li key={l.key} className={`rounded-md border-l-4 px-3 py-2 ${TONE[l.tone]}`}>
              {l.node}
            </li>
          ))}
        </ul>
      )}
      <p className="text-xs text-slate-500">
        Circuit breaker: {x.breaker.open ? "open" : "closed"} ({x.breaker.failures} of {x.breaker.threshold} failed dispatches in {x.breaker.windowMinutes} min).
      </p>
      <div>
        <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">The next tick would</h3>
        {x.nextActions.length === 0 ? (
          <p className="text-sm text-slate-600">do nothing about this bead.</p>
        ) : (
          <ActionList townId={townId} actions={x.nextActions} testId="next-actions" />
        )}
      </div>
      <div>
        <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Last decisions about it</h3>
        {x.lastDecisions.length === 0 ? (
          <p className="text-sm text-slate-600">No recent tick acted on this bead.</p>
        ) : (
          <ul className="space-y-1 text-xs" data-testid="last-decisions">
            {x.lastDecisions.map((d, i) => (
              <li key={`${d.tickId}-${i}`} className="flex flex-wrap items-center gap-2">
                <span className="text-slate-500">
                  <RelativeTime value={d.at} />
                </span>
                <span className="font-mono font-semibold">{d.rule ?? "event"}</span>
                <span className="font-mono">{d.type}</span>
                <span className="text-slate-700">{d.reason}</span>
                {d.state ? <StatusBadge status={d.state} /> : null}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
