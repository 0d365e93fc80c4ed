"use client";

import Link from "next/link";
import { StatusBadge } from "@/components/ui/badge";
import { RelativeTime } from "@/components/ui/relative-time";

export type ConversationBead = { id: string; title: string; type: string; status: string; rigId: string | null };
export type ConversationLine = {
  id: string;
  seq: string;
  kind: "person" | "mayor" | "action";
  text: string;
  authorName: string | null;
  rigId: string | null;
  createdAt: Date;
  bead: ConversationBead | null;
  /** a message this browser is still sending */
  pending?: boolean;
};

/** Where the bead an action made or changed lives: a convoy has its own page. */
export function actionHref(townId: string, bead: ConversationBead): string {
  return bead.type === "convoy" ? `/towns/${townId}/convoys/${bead.id}` : `/towns/${townId}/beads/${bead.id}`;
}

/** One line of the conversation: a person's message on the right, the mayor's reply on the left, an action
 *  as a compact line linking the bead. A person's mail bead is not linked: it is not work. */
export function ConversationEntry({ townId, line, rigName }: { townId: string; line: ConversationLine; rigName?: string }) {
  if (line.kind === "action") {
    return (
      <li className="flex items-start gap-2 pl-1 text-xs text-slate-600" data-testid="mayor-action">
        <span className="mt-0.5 select-none text-slate-400" aria-hidden>
          ↳
        </span>
        <span className="min-w-0 flex-1">
          <span className="sr-only">The mayor: </span>
          {line.bead ? (
            <Link className="font-medium text-indigo-700 hover:underline" href={actionHref(townId, line.bead)}>
              {line.text}
            </Link>
          ) : (
            <span>{line.text}</span>
          )}
          {line.bead ? (
            <>
              {" "}
              <StatusBadge status={line.bead.status} />
            </>
          ) : null}{" "}
          <span className="whitespace-nowrap text-slate-400">
            <RelativeTime value={line.createdAt} />
          </span>
        </span>
      </li>
    );
  }
  const person = line.kind === "person";
  return (
    <li className={`flex ${person ? "justify-end" : "justify-start"}`} data-testid={person ? "person-message" : "mayor-reply"} data-pending={line.pending ? "yes" : undefined}>
      <div className={`max-w-[85%] space-y-1 ${person ? "items-end text-right" : ""}`}>
        <p className="text-xs text-slate-500">
          <span className="font-medium text-slate-700">{person ? (line.authorName ?? "Someone") : "Mayor"}</span>
          {rigName ? <span className="ml-1 rounded bg-slate-100 px-1 font-mono text-[10px] text-slate-600">rig {rigName}</span> : null}
          <span className="ml-1.5">{line.pending ? "sending…" : <RelativeTime value={line.createdAt} />}</span>
        </p>
        <div
          className={`whitespace-pre-wrap break-words rounded-2xl px-3.5 py-2 text-left text-sm ${
            person ? "rounded-tr-sm bg-indigo-600 text-white" : "rounded-tl-sm bg-white text-slate-900 ring-1 ring-slate-200"
          } ${line.pending ? "opacity-60" : ""}`}
        >
          {line.text}
        </div>
      </div>
    </li>
  );
}
