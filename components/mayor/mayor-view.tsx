"use client";

import { useCallback, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Card, EmptyState, ErrorState, Spinner } from "@/components/ui/states";
import { errorMessage } from "@/components/ui/use-error";
import { ErrorLine } from "@/components/ui/error-line";
import { ConversationEntry, type ConversationLine } from "./conversation";
import { MayorComposer } from "./mayor-composer";
import { MayorStatusPanel } from "./mayor-status";
import { useMayorLive, usePendingMayorMessages } from "./use-mayor";

const NEAR_BOTTOM_PX = 48;

/** The mayor you talk to (SPEC.md §4.4b): the conversation (people, the mayor's replies, what it did), its
 *  status and a composer. The newest page is polled; older pages are loaded on demand and kept. */
export function MayorView({ townId }: { townId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { status, conversation } = useMayorLive(townId);
  const pending = usePendingMayorMessages(townId);
  const rigs = useQuery(trpc.rig.list.queryOptions({ townId }));
  const rigNames = useMemo(() => new Map((rigs.data ?? []).map((r) => [r.id, r.name])), [rigs.data]);

  // Older pages, loaded by "Load earlier"; `olderCursor` undefined = continue from the live page's cursor.
  const [older, setOlder] = useState<ConversationLine[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null | undefined>(undefined);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const cursor = olderCursor === undefined ? conversation.data?.nextCursor : olderCursor;

  const lines = useMemo(() => {
    const byId = new Map<string, ConversationLine>();
    for (const l of older) byId.set(l.id, l);
    for (const l of conversation.data?.items ?? []) byId.set(l.id, l);
    const sorted = [...byId.values()].sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : BigInt(a.seq) > BigInt(b.seq) ? 1 : 0));
    const sending: ConversationLine[] = pending.map((p) => ({
      id: p.id,
      seq: "0",
      kind: "person",
      text: p.variables?.message ?? "",
      authorName: "You",
      rigId: p.variables?.rigId ?? null,
      createdAt: new Date(p.submittedAt || Date.now()),
      bead: null,
      pending: true,
    }));
    return [...sorted, ...sending];
  }, [older, conversation.data, pending]);

  // Stick to the newest message while the reader is at the bottom; keep the reader's place otherwise
  // (and when earlier messages are put above).
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const prependFrom = useRef<number | null>(null);
  const [showJump, setShowJump] = useState(false);
  const lastId = lines.at(-1)?.id;
  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (atBottom.current) setShowJump(false);
  }, []);
  const scrollToBottom = useCallback(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setShowJump(false);
  }, []);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (prependFrom.current !== null) {
      el.scrollTop += el.scrollHeight - prependFrom.current;
      prependFrom.current = null;
      return;
    }
    if (atBottom.current || lines.at(-1)?.pending) scrollToBottom();
    else setShowJump(true);
  }, [lastId, lines.length, scrollToBottom]);

  async function loadEarlier() {
    if (!cursor) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await queryClient.fetchQuery(trpc.mayor.conversation.queryOptions({ townId, cursor }));
      prependFrom.current = scroller.current?.scrollHeight ?? null;
      setOlder((prev) => [...page.items, ...prev]);
      setOlderCursor(page.nextCursor);
    } catch (err) {
      setOlderError(errorMessage(err));
    } finally {
      setLoadingOlder(false);
    }
  }

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
      <section className="relative flex flex-col overflow-hidden rounded-lg bg-slate-50 shadow-sm ring-1 ring-slate-200" aria-label="Conversation with the mayor">
        <div className="relative">
        <div ref={scroller} onScroll={onScroll} className="h-[min(60vh,40rem)] min-h-72 overflow-y-auto px-4 py-4" data-testid="mayor-conversation">
          {conversation.isPending ? (
            <Spinner label="Loading the conversation…" />
          ) : conversation.isError ? (
            <ErrorState error={conversation.error} onRetry={() => conversation.refetch()} />
          ) : lines.length === 0 ? (
            <EmptyState title="Tell the mayor what to build…">
              Write what you want in plain words (&ldquo;add a health check endpoint to web&rdquo;). The mayor turns it into beads, slings them to rigs and
              answers here.
            </EmptyState>
          ) : (
            <>
              <div className="mb-3 text-center">
                {cursor ? (
                  <Button variant="secondary" size="sm" busy={loadingOlder} onClick={loadEarlier}>
                    Load earlier messages
                  </Button>
                ) : (
                  <span className="text-xs text-slate-400">Start of the conversation</span>
                )}
                <ErrorLine error={olderError} size="xs" className="mt-1" />
              </div>
              <ul className="space-y-3" aria-live="polite" aria-relevant="additions">
                {lines.map((l) => (
                  <ConversationEntry key={l.id} townId={townId} line={l} rigName={l.kind === "person" && l.rigId ? rigNames.get(l.rigId) : undefined} />
                ))}
              </ul>
            </>
          )}
        </div>
        {showJump ? (
          <button
            type="button"
            onClick={scrollToBottom}
            className="absolute bottom-3 left-1/2 -translate-x-1/2 rounded-full bg-indigo-600 px-3 py-1 text-xs font-semibold text-white shadow-md hover:bg-indigo-500"
          >
            New messages ↓
          </button>
        ) : null}
        </div>
        <div className="border-t border-slate-200 bg-white p-3">
          <MayorComposer townId={townId} runtime={status.data?.runtime} autoFocus />
        </div>
      </section>
      <aside>
        <Card title="The mayor">
          {status.isPending ? (
            <Spinner label="Loading the mayor's status…" />
          ) : status.isError ? (
            <ErrorState error={status.error} onRetry={() => status.refetch()} />
          ) : (
            <MayorStatusPanel status={status.data} />
          )}
        </Card>
        <p className="mt-3 px-1 text-xs text-slate-500">
          The mayor reads what you write, makes beads and convoys and slings them to rigs. What it did shows in the conversation as a line with a link to the bead.
        </p>
      </aside>
    </div>
  );
}
