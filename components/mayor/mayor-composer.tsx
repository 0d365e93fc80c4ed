"use client";

import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";
import { Button } from "@/components/ui/button";
import { Input, Select, Textarea } from "@/components/ui/field";
import { ErrorLine } from "@/components/ui/error-line";
import { useComposerBlock, useSendToMayor } from "./use-mayor";

const MESSAGE_MAX = 20_000; // server/services/mayor.ts MAYOR_MESSAGE_MAX

type Runtime = { configured: boolean; message: string | null } | undefined;

/** Writing to the mayor. Enter sends, Shift+Enter starts a new line (`compact`: one line, Enter sends).
 *  The text is cleared at once and the message shows in the conversation as "sending…"; on an error the
 *  text comes back so nothing typed is lost. */
export function MayorComposer({ townId, runtime, compact = false, autoFocus = false }: { townId: string; runtime: Runtime; compact?: boolean; autoFocus?: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const [text, setText] = useState("");
  const [rigId, setRigId] = useState("");
  const send = useSendToMayor(townId);
  const block = useComposerBlock(townId, runtime);
  const rigs = useQuery({ ...trpc.rig.list.queryOptions({ townId }), enabled: !compact });
  const disabled = Boolean(block);

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const message = text.trim();
    if (!message || disabled) return;
    setText("");
    send.reset();
    send.mutate(
      { townId, message, rigId: rigId || null },
      { onError: () => setText((current) => (current.trim() ? current : message)) },
    );
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement | HTMLInputElement>) {
    if (e.key !== "Enter" || e.shiftKey || e.nativeEvent.isComposing) return;
    e.preventDefault();
    submit();
  }

  const reasonId = `${id}-reason`;
  const hintId = `${id}-hint`;
  const blockedNote = block ? (
    <p
      id={reasonId}
      className={`text-xs ${block.tone === "warning" ? "rounded bg-amber-50 px-2 py-1 text-amber-900 ring-1 ring-amber-200" : "text-slate-500"}`}
      data-testid="composer-blocked"
    >
      {block.reason}
    </p>
  ) : null;
  const error = <ErrorLine error={send.error} prefix="Your message was not sent: " testId="composer-error" />;

  if (compact) {
    return (
      <form onSubmit={submit} className="space-y-1.5" data-testid="mayor-composer">
        <div className="flex gap-2">
          <label htmlFor={id} className="sr-only">
            Message to the mayor
          </label>
          <Input
            id={id}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            maxLength={MESSAGE_MAX}
            placeholder="Tell the mayor what to build…"
            disabled={disabled}
            aria-describedby={block ? reasonId : undefined}
            autoComplete="off"
          />
          <Button type="submit" disabled={!text.trim()} disabledReason={block?.reason}>
            Send
          </Button>
        </div>
        {blockedNote}
        {error}
      </form>
    );
  }

  return (
    <form onSubmit={submit} className="space-y-2" data-testid="mayor-composer">
      <label htmlFor={id} className="sr-only">
        Message to the mayor
      </label>
      <Textarea
        id={id}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        rows={3}
        maxLength={MESSAGE_MAX}
        placeholder="Tell the mayor what to build…"
        disabled={disabled}
        autoFocus={autoFocus && !disabled}
        aria-describedby={block ? reasonId : hintId}
        className="resize-y"
      />
      {blockedNote}
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p id={hintId} className="text-xs text-slate-500">
          <kbd className="rounded border border-slate-300 px-1 font-sans">Enter</kbd> sends ·{" "}
          <kbd className="rounded border border-slate-300 px-1 font-sans">Shift</kbd>+<kbd className="rounded border border-slate-300 px-1 font-sans">Enter</kbd> new line
        </p>
        <div className="flex items-center gap-2">
          <label htmlFor={`${id}-rig`} className="whitespace-nowrap text-xs text-slate-600">
            About rig
          </label>
          <Select id={`${id}-rig`} value={rigId} onChange={(e) => setRigId(e.target.value)} disabled={disabled} className="w-auto py-1.5">
            <option value="">Any rig</option>
            {rigs.data?.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </Select>
          <Button type="submit" disabled={!text.trim()} disabledReason={block?.reason}>
            Send
          </Button>
        </div>
      </div>
      {error}
    </form>
  );
}
