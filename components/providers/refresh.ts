"use client";

import { useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import { useCallback } from "react";

/**
 * After a mutation: make the given queries show what the server holds now.
 *
 * `invalidateQueries` alone is not enough. A query whose first fetch is still in flight (the page has just
 * opened and the person acted at once) has no data yet, and TanStack Query then joins that fetch instead of
 * starting another — a fetch that may have read the database before the mutation committed. The list would
 * stay stale until the next poll, or for good on a page that does not poll (a member added on Settings did
 * not appear). So in-flight fetches are cancelled first, then the queries are invalidated and refetched.
 */
export async function refreshQueries(queryClient: QueryClient, keys: readonly QueryKey[]): Promise<void> {
  await Promise.all(keys.map((queryKey) => queryClient.cancelQueries({ queryKey })));
  await Promise.all(keys.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
}

/** `refreshQueries` bound to the page's query client: `refetchFresh(keyA, keyB)`. */
export function useRefresh() {
  const queryClient = useQueryClient();
  return useCallback((...keys: QueryKey[]) => refreshQueries(queryClient, keys), [queryClient]);
}
