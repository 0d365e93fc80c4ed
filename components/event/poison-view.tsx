"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Field, Select, Textarea } from "@/components/ui/field";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { RelativeTime } from "@/components/ui/relative-time";
import { LIVE_FAST_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";
import { errorMessage } from "@/components/ui/use-error";
import { ErrorLine } from "@/components/ui/error-line";
import { EventRefs, JsonBlock, PoisonReason } from "./event-bits";
import { CursorPager } from "@/components/ui/pager";

/**
 * The poison inbox (SPEC.md §2 poison protection, §4.1): events the drain gave up on, with their payload,
 * reason and last error. A member requeues one, edits its payload and requeues it (the server re-validates
 * it against the event type's schema; the error shows inline), or discards it with a note. Bulk requeue by
 * type. Nothing here deletes an event.
 */
export function PoisonView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  const { writeReason } = useTownRole(townId);
  const [type, setType] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [notice, setNotice] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery(
    trpc.event.list.queryOptions({ townId, status: "poisoned", type: type || undefined, cursor, limit: 25 }, { refetchInterval: LIVE_FAST_MS }),
  );
  const counts = useQuery(trpc.event.counts.queryOptions({ townId }, { refetchInterval: LIVE_FAST_MS }));
  const refresh = async () => {
    await refetchFresh(trpc.event.pathKey(), trpc.town.get.queryKey({ townId }));
  };
  const bulk = useMutation(
    trpc.event.bulkRequeue.mutationOptions({
      onSuccess: async (res, vars) => {
        setNotice(`Requeued ${res.requeued} ${vars.eventType} event${res.requeued === 1 ? "" : "s"}; the next tick applies them.`);
        await refresh();
      },
    }),
  );
  const byType = Object.entries(counts.data?.poisonedByType ?? {}).sort((a, b) => b[1] - a[1]);

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h2 className="text-lg font-semibold">Poison inbox</h2>
          <p className="text-sm text-slate-500">
            Events the reconciler could not apply. They stay here, untouched, until someone requeues or discards them.
          </p>
        </div>
        <Field label="Event type" htmlFor="poison-type">
          <Select
            id="poison-type"
            value={type}
            onChange={(e) => {
              setType(e.target.value);
              setCursors([null]);
            }}
          >
            <option value="">All types ({counts.data?.poisoned ?? "…"})</option>
            {byType.map(([t, n]) => (
              <option key={t} value={t}>
                {t} ({n})
              </option>
            ))}
          </Select>
        </Field>
      </div>
      {byType.length > 0 ? (
        <Card title="Bulk requeue by type">
          <div className="flex flex-wrap gap-2" data-testid="bulk-requeue">
            {byType.map(([t, n]) => (
              <Button
                key={t}
                variant="secondary"
                size="sm"
                busy={bulk.isPending && bulk.variables?.eventType === t}
                disabledReason={writeReason}
                onClick={() => bulk.mutate({ townId, eventType: t })}
              >
                Requeue all {n} {t}
              </Button>
            ))}
          </div>
          <ErrorLine error={bulk.error} className="mt-2" />
        </Card>
      ) : null}
      {notice ? (
        <p className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="poison-notice">
          {notice}
        </p>
      ) : null}
      {list.isPending ? (
        <Spinner label="Loading the poison inbox…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : list.data.items.length === 0 ? (
        <EmptyState title="The poison inbox is empty">Every event the reconciler received was applied. Nothing needs a look.</EmptyState>
      ) : (
        <ul className="space-y-4" data-testid="poison-list">
          {list.data.items.map((e) => (
            <PoisonedEvent key={e.id} townId={townId} event={e} writeReason={writeReason} onDone={async (msg) => (setNotice(msg), refresh())} />
          ))}
        </ul>
      )}
      {list.data ? <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={list.data.nextCursor} /> : null}
    </div>
  );
}

type PoisonedEventView = {
  id: string;
  seq: string;
  eventType: string;
  agentId: string | null;
  beadId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  retryCount: number;
  lastError: string | null;
  poisonedAt: Date | null;
  poisonReason: string | null;
  requeueCount: number;
};

function PoisonedEvent({
  townId,
  event: e,
  writeReason,
  onDone,
}: {
  townId: string;
  event: PoisonedEventView;
  writeReason: string | undefined;
  onDone: (message: string) => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const [mode, setMode] = useState<"view" | "edit" | "discard">("view");
  const [draft, setDraft] = useState(() => JSON.stringify(e.payload, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [noteError, setNoteError] = useState<string | null>(null);
  const requeue = useMutation(trpc.event.requeue.mutationOptions({ onSuccess: () => onDone(`Requeued ${e.eventType} #${e.seq}; the next tick applies it.`) }));
  const edit = useMutation(
    trpc.event.editAndRequeue.mutationOptions({ onSuccess: () => onDone(`Saved the new payload and requeued ${e.eventType} #${e.seq}; the next tick applies it.`) }),
  );
  const discard = useMutation(trpc.event.discard.mutationOptions({ onSuccess: () => onDone(`Discarded ${e.eventType} #${e.seq}. It stays in the events list as discarded.`) }));
  const idBase = `ev-${e.id}`;

  function onEdit(ev: FormEvent) {
    ev.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(draft);
    } catch (err) {
      setJsonError(`This is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      setJsonError("The payload must be a JSON object, like {\"key\": \"value\"}.");
      return;
    }
    setJsonError(null);
    edit.mutate({ townId, eventId: e.id, payload: parsed as Record<string, unknown> });
  }

  function onDiscard(ev: FormEvent) {
    ev.preventDefault();
    if (!note.trim()) {
      setNoteError("Say why the event is discarded: the note is kept with it.");
      return;
    }
    setNoteError(null);
    discard.mutate({ townId, eventId: e.id, note: note.trim() });
  }

  return (
    <li className="rounded-lg bg-white shadow-sm ring-1 ring-red-200" data-testid="poisoned-event" data-event-type={e.eventType}>
      <div className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-4 py-3">
        <div className="space-y-1">
          <p className="flex flex-wrap items-center gap-2">
            <span className="font-mono text-sm font-semibold">{e.eventType}</span>
            <span className="text-xs text-slate-500">#{e.seq}</span>
            <PoisonReason reason={e.poisonReason} />
          </p>
          <p className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-500">
            <span>
              created <RelativeTime value={e.createdAt} />
            </span>
            <span>
              poisoned <RelativeTime value={e.poisonedAt} />
            </span>
            <span>
              tries <span className="font-semibold text-slate-700">{e.retryCount}</span>
            </span>
            {e.requeueCount > 0 ? <span>requeued {e.requeueCount}×</span> : null}
            <EventRefs townId={townId} beadId={e.beadId} agentId={e.agentId} />
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button size="sm" busy={requeue.isPending} disabledReason={writeReason} onClick={() => requeue.mutate({ townId, eventId: e.id })}>
            Requeue
          </Button>
          <Button size="sm" variant="secondary" disabledReason={writeReason} aria-expanded={mode === "edit"} onClick={() => setMode(mode === "edit" ? "view" : "edit")}>
            Edit payload
          </Button>
          <Button size="sm" variant="secondary" disabledReason={writeReason} aria-expanded={mode === "discard"} onClick={() => setMode(mode === "discard" ? "view" : "discard")}>
            Discard…
          </Button>
        </div>
      </div>
      <div className="grid gap-4 p-4 lg:grid-cols-2">
        <div>
          <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Last error</h3>
          <p className="whitespace-pre-wrap break-words rounded-md bg-red-50 p-3 font-mono text-xs text-red-800" data-testid="last-error">
            {e.lastError ?? "(none recorded)"}
          </p>
        </div>
        <div>
          <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Payload</h3>
          {mode === "edit" ? (
            <form onSubmit={onEdit} className="space-y-2">
              <Field label="New payload (JSON)" htmlFor={`${idBase}-payload`} error={jsonError ?? (edit.error ? errorMessage(edit.error) : undefined)}>
                <Textarea
                  id={`${idBase}-payload`}
                  rows={8}
                  className="font-mono text-xs"
                  value={draft}
                  onChange={(ev) => setDraft(ev.target.value)}
                  spellCheck={false}
                  aria-invalid={!!(jsonError || edit.error)}
                />
              </Field>
              <div className="flex gap-2">
                <Button type="submit" size="sm" busy={edit.isPending} disabledReason={writeReason}>
                  Save and requeue
                </Button>
                <Button type="button" size="sm" variant="ghost" onClick={() => setMode("view")}>
                  Cancel
                </Button>
              </div>
            </form>
          ) : (
            <JsonBlock value={e.payload} testId="payload" />
          )}
        </div>
      </div>
      {mode === "discard" ? (
        <form onSubmit={onDiscard} className="space-y-2 border-t border-slate-100 p-4">
          <Field label="Why discard it? (kept with the event)" htmlFor={`${idBase}-note`} error={noteError ?? (discard.error ? errorMessage(discard.error) : undefined)}>
            <Textarea id={`${idBase}-note`} rows={2} value={note} onChange={(ev) => setNote(ev.target.value)} maxLength={2000} />
          </Field>
          <div className="flex gap-2">
            <Button type="submit" size="sm" variant="danger" busy={discard.isPending} disabledReason={writeReason}>
              Discard event
            </Button>
            <Button type="button" size="sm" variant="ghost" onClick={() => setMode("view")}>
              Cancel
            </Button>
          </div>
        </form>
      ) : null}
      <ErrorLine error={requeue.error} className="px-4 pb-3" />
    </li>
  );
}
