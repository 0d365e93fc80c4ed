"use client";

import { focusManager } from "@tanstack/react-query";
import { useEffect, useRef } from "react";

/**
 * Refetches several queries from one timer, so each round goes out as one batched tRPC request.
 * TanStack Query's `refetchInterval` runs a timer per observer: two queries polled at the same interval but
 * subscribed a millisecond apart drift into two requests every round (issue 15: 200 open overviews).
 * Like `refetchInterval`, nothing is polled while the tab is hidden, and a round never cancels a fetch
 * already under way.
 */
export function usePollTogether(intervalMs: number, refetches: ((opts: { cancelRefetch: boolean }) => unknown)[]) {
  const latest = useRef(refetches);
  useEffect(() => {
    latest.current = refetches;
  });
  useEffect(() => {
    const id = setInterval(() => {
      if (!focusManager.isFocused()) return;
      for (const refetch of latest.current) void refetch({ cancelRefetch: false });
    }, intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
}
