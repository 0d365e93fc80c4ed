"use client";

import Link from "next/link";
import { useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";
import { Tabs } from "@/components/ui/tabs";
import { CursorPager } from "@/components/ui/pager";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { LIVE_MS } from "@/components/ui/live";
import { EventRefs, PoisonReason } from "./event-bits";

type QueueStatus = "pending" | "processed" | "poisoned" | "discarded";

/** The town's event queue (SPEC.md §4.1): pending in drain order with retry counts and last errors,
 *  processed, poisoned and discarded most recent first; filter by type; paged by `seq` on the server. */
export function EventsView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const [status, setStatus] = useState<QueueStatus>("pending");
  const [type, setType] = useState("");
  const [typeDraft, setTypeDraft] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery(
    trpc.event.list.queryOptions(
      { townId, status, type: type || undefined, cursor, limit: 50 },
      { refetchInterval: LIVE_MS, placeholderData: keepPreviousData },
    ),
  );
  const counts = useQuery(trpc.event.counts.queryOptions({ townId, type: type || undefined }, { refetchInterval: LIVE_MS }));
  const reset = () => setCursors([null]);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <Tabs
          label="Queue"
          value={status}
          onChange={(s) => {
            setStatus(s);
            reset();
          }}
          options={[
            { value: "pending", label: "Pending", count: counts.data?.pending },
            {
              value: "processed",
              label: "Processed",
              count: counts.data ? (counts.data.processedMore ? `${counts.data.processed.toLocaleString()}+` : counts.data.processed) : undefined,
            },
            { value: "poisoned", label: "Poisoned", count: counts.data?.poisoned, tone: "danger" },
            { value: "discarded", label: "Discarded", count: counts.data?.discarded },
          ]}
        />
        <form
          className="flex items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            setType(typeDraft.trim());
            reset();
          }}
        >
          <Field label="Event type" htmlFor="event-type">
            <Input id="event-type" list="event-types" value={typeDraft} onChange={(e) => setTypeDraft(e.target.value)} placeholder="e.g. agent_done" />
          </Field>
          <datalist id="event-types">
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          <Button type="submit" variant="secondary">
            Filter
          </Button>
          {type ? (
            <Button
              type="button"
              variant="ghost"
              onClick={() => {
                setType("");
                setTypeDraft("");
                reset();
              }}
            >
              Clear
            </Button>
          ) : null}
        </form>
      </div>
      {status === "poisoned" && (counts.data?.poisoned ?? 0) > 0 ? (
        <p className="text-sm">
          <Link className="font-semibold text-indigo-700 hover:underline" href={`/towns/${townId}/poison`}>
            Open the poison inbox
          </Link>{" "}
          to requeue, edit or discard them.
        </p>
      ) : null}
      {list.isPending ? (
        <Spinner label="Loading events…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title={`No ${status} events${type ? ` of type ${type}` : ""}`}>
          {status === "pending" ? "The reconciler has drained everything it was given." : "Nothing here yet."}
        </EmptyState>
      ) : (
        <Table testId="event-table" label={`${status} events`}>
          <THead>
            <Th>#</Th>
            <Th>Type</Th>
            <Th>Status</Th>
            <Th>About</Th>
            <Th>Tries</Th>
            <Th>Created</Th>
            <Th>{status === "processed" ? "Processed" : status === "discarded" ? "Discarded" : "Last error"}</Th>
          </THead>
          <TBody>
            {list.data.items.map((e) => (
              <tr key={e.id} data-testid="event-row">
                <Td className="font-mono text-xs text-slate-500">{e.seq}</Td>
                <Td className="font-mono text-xs">{e.eventType}</Td>
                <Td>{e.status === "poisoned" ? <PoisonReason reason={e.poisonReason} /> : <StatusBadge status={e.status} />}</Td>
                <Td>
                  <EventRefs townId={townId} beadId={e.beadId} agentId={e.agentId} />
                </Td>
                <Td className={e.retryCount > 0 ? "font-semibold text-orange-700" : ""}>{e.retryCount}</Td>
                <Td className="whitespace-nowrap text-slate-500">
                  <RelativeTime value={e.createdAt} />
                </Td>
                <Td className="max-w-md text-xs">
                  {e.status === "processed" ? (
                    <RelativeTime value={e.processedAt} />
                  ) : e.status === "discarded" ? (
                    <span>
                      <RelativeTime value={e.discardedAt} /> — {e.discardNote}
                    </span>
                  ) : e.lastError ? (
                    <span className="break-words font-mono text-red-700">{e.lastError}</span>
                  ) : (
                    <span className="text-slate-400">—</span>
                  )}
                </Td>
              </tr>
            ))}
          </TBody>
        </Table>
      )}
      {list.data ? <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={list.data.nextCursor} showPageNumber labels={{ newer: "← Back", older: "More →" }} /> : null}
    </div>
  );
}

/** DOMAIN.md §3 event types (for the filter's suggestions; any type can be typed). */
const EVENT_TYPES = [
  "agent_done",
  "agent_completed",
  "pr_status_changed",
  "bead_created",
  "bead_cancelled",
  "convoy_started",
  "container_status",
  "container_eviction",
  "nudge_timeout",
  "pr_feedback_detected",
  "pr_auto_merge",
  "auto_merge_cleared",
  "poll_nonnull_result",
  "poll_null_result",
  "poll_feedback_checked",
  "poll_auto_merge_update",
  "pr_conflict_detected",
  "dispatch_failed",
];
