"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/providers/trpc";

/** The signed-in person's address in the header (read on the client: the page shell is static). */
export function SignedInAs() {
  const trpc = useTRPC();
  const me = useQuery(trpc.account.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  return (
    <span className="hidden min-w-[8rem] text-right text-sm text-slate-400 sm:inline" data-testid="signed-in-as">
      {me.data?.email ?? ""}
    </span>
  );
}
