"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";

export const VIEWER_REASON = "Viewers can look but not change anything in this town.";
export const OWNER_REASON = "Only the town's owners can do this.";

/** The caller's role in the town (shared with the town nav's query, so it costs no extra request), and the
 *  reasons a mutating control is disabled: `writeReason` for members' writes, `ownerReason` for owners' ones.
 *  While the role is loading, controls stay disabled (a viewer never sees an enabled button flash). */
export function useTownRole(townId: string) {
  const trpc = useTRPC();
  const town = useQuery(trpc.town.get.queryOptions({ townId }));
  const role = town.data?.role;
  const loading = role === undefined;
  return {
    role,
    readOnly: role === "viewer",
    isOwner: role === "owner",
    writeReason: loading ? "Loading your role…" : role === "viewer" ? VIEWER_REASON : undefined,
    ownerReason: loading ? "Loading your role…" : role !== "owner" ? OWNER_REASON : undefined,
  };
}
