"use client";

import { useMutation, useMutationState, useQuery } from "@tanstack/react-query";
import { useRefresh } from "@/components/providers/refresh";
import { useTRPC } from "@/components/providers/trpc";
import { LIVE_FAST_MS, LIVE_SLOW_MS } from "@/components/ui/live";
import { useTownRole } from "@/components/ui/use-town-role";

// The mayor's data, shared by the Mayor page and the overview's mayor bar: its status and the conversation,
// polled fast while the mayor is starting or working (an answer is coming) and slowly while it waits or
// sleeps. TanStack Query pauses both intervals while the tab is hidden (components/ui/live.ts).

export type MayorStatusName = "idle" | "starting" | "working" | "waiting" | "stalled" | "dead";

export const VIEWER_MAYOR_REASON = "Viewers can read the conversation but not write to the mayor.";

/** What the page shows: the server's status, except that a mayor "starting" in a town without a runtime
 *  will not start (a tick would only fail to dispatch it), so it reads "blocked". */
export type MayorDisplayName = MayorStatusName | "blocked";

type StatusLike = { status: MayorStatusName; unreadMail: number; runtime: { configured: boolean } };

export function mayorDisplayStatus(s: StatusLike): MayorDisplayName {
  if (!s.runtime.configured && (s.status === "starting" || s.status === "idle" || s.status === "dead") && s.unreadMail > 0) return "blocked";
  return s.status;
}

/** Whether something is happening that the person is waiting to see: fast polling then. */
export function isMayorBusy(status: StatusLike | undefined, sending: boolean): boolean {
  if (sending) return true;
  if (!status) return false;
  const shown = mayorDisplayStatus(status);
  if (shown === "blocked") return false;
  return shown === "starting" || shown === "working" || status.unreadMail > 0;
}

/** The messages this browser is sending right now (shown at once, greyed, until the conversation has them). */
export function usePendingMayorMessages(townId: string) {
  const trpc = useTRPC();
  return useMutationState({
    filters: { mutationKey: trpc.mayor.sendMessage.mutationKey(), status: "pending" },
    select: (m) => ({ id: `pending-${m.mutationId}`, variables: m.state.variables as { townId: string; message: string; rigId?: string | null } | undefined, submittedAt: m.state.submittedAt }),
  }).filter((p) => p.variables?.townId === townId);
}

/** Status and the newest page of the conversation, polled at one pace. `poll: false` reads the same queries
 *  without polling them: for a component whose page polls them already (the overview's mayor bar), since
 *  every polling observer runs its own timer (issue 15). */
export function useMayorLive(townId: string, opts: { conversationLimit?: number; poll?: boolean } = {}) {
  const trpc = useTRPC();
  const sending = usePendingMayorMessages(townId).length > 0;
  const poll = opts.poll ?? true;
  // The pace is decided from the last status we saw; the status query itself re-decides on every answer.
  const status = useQuery(
    trpc.mayor.status.queryOptions(
      { townId },
      { refetchInterval: poll ? (q) => (isMayorBusy(q.state.data, sending) ? LIVE_FAST_MS : LIVE_SLOW_MS) : false },
    ),
  );
  const interval = isMayorBusy(status.data, sending) ? LIVE_FAST_MS : LIVE_SLOW_MS;
  const conversation = useQuery(trpc.mayor.conversation.queryOptions({ townId, limit: opts.conversationLimit }, { refetchInterval: poll ? interval : false }));
  return { status, conversation, interval };
}

/** Sending a message: the conversation and status refetch before the mutation settles, so the pending
 *  line is replaced by the real one without a gap. */
export function useSendToMayor(townId: string) {
  const trpc = useTRPC();
  const refetchFresh = useRefresh();
  return useMutation(
    trpc.mayor.sendMessage.mutationOptions({
      onSuccess: () =>
        refetchFresh(trpc.mayor.conversation.pathKey(), trpc.mayor.status.queryKey({ townId })),
    }),
  );
}

/** Why the composer is disabled, or undefined when the person may write. */
export function useComposerBlock(townId: string, runtime: { configured: boolean; message: string | null } | undefined) {
  const { role } = useTownRole(townId);
  if (role === undefined) return { reason: "Loading your role…", tone: "muted" as const };
  if (role === "viewer") return { reason: VIEWER_MAYOR_REASON, tone: "muted" as const };
  if (runtime && !runtime.configured) {
    return {
      reason: `The mayor cannot start until an agent runtime is configured. ${runtime.message ?? ""}`.trim(),
      tone: "warning" as const,
    };
  }
  return undefined;
}
