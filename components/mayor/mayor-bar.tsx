"use client";

import Link from "next/link";
import { MayorComposer } from "./mayor-composer";
import { MayorStatusBadge, MAYOR_STATUS_EXPLAINED } from "./mayor-status";
import { mayorDisplayStatus, useMayorLive } from "./use-mayor";
import { RelativeTime } from "@/components/ui/relative-time";

/** The mayor's queries as the overview's bar reads them (the last few lines only, so the overview stays cheap). */
export const MAYOR_BAR_CONVERSATION_LIMIT = 5;

/** The mayor on the town overview: its status, the last thing said, a one-line composer and the way into
 *  the conversation. The overview polls its queries (OverviewView); the bar only reads them. */
export function MayorBar({ townId }: { townId: string }) {
  const { status, conversation } = useMayorLive(townId, { conversationLimit: MAYOR_BAR_CONVERSATION_LIMIT, poll: false });
  const items = conversation.data?.items ?? [];
  const last = [...items].reverse().find((l) => l.kind !== "action") ?? items.at(-1);
  const href = `/towns/${townId}/mayor`;
  return (
    <section className="rounded-lg bg-white px-4 py-3 shadow-sm ring-1 ring-slate-200" aria-label="The mayor" data-testid="mayor-bar">
      <div className="flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
        <h2 className="flex items-center gap-2 text-sm font-semibold text-slate-900">
          Mayor
          {status.data ? <MayorStatusBadge status={mayorDisplayStatus(status.data)} /> : null}
          {status.data?.unreadMail ? <span className="text-xs font-normal text-amber-800">{status.data.unreadMail} unread</span> : null}
        </h2>
        <Link className="text-xs font-semibold text-indigo-700 hover:underline" href={href}>
          Open the conversation →
        </Link>
      </div>
      <p className="mt-1 truncate text-sm text-slate-600" data-testid="mayor-last">
        {last ? (
          <>
            <span className="font-medium text-slate-800">{last.kind === "person" ? (last.authorName ?? "Someone") : "Mayor"}:</span> {last.text}{" "}
            <span className="text-xs text-slate-400">
              <RelativeTime key={last.id} value={last.createdAt} />
            </span>
          </>
        ) : status.data ? (
          <span className="text-slate-500">{status.data.note ?? MAYOR_STATUS_EXPLAINED[mayorDisplayStatus(status.data)]}</span>
        ) : conversation.isError ? (
          <span className="text-red-600">{conversation.error.message}</span>
        ) : (
          <span className="text-slate-400">…</span>
        )}
      </p>
      <div className="mt-2">
        <MayorComposer townId={townId} runtime={status.data?.runtime} compact />
      </div>
    </section>
  );
}
