"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        // The pages are static shells (proxy.ts only sees that a session cookie exists): a call refused for want
        // of a valid session (expired, signed out elsewhere) is the moment to go and sign in again.
        queryCache: new QueryCache({ onError: goToSignInIfSignedOut }),
        mutationCache: new MutationCache({ onError: goToSignInIfSignedOut }),
        defaultOptions: {
          // Live pages poll; TanStack Query pauses interval refetches while the tab is hidden by default.
          queries: { staleTime: 2_000, refetchOnWindowFocus: true, retry: (count, err) => count < 2 && !isClientError(err) },
        },
      }),
  );
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })] }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

function isSignedOut(err: unknown): boolean {
  return (err as { data?: { code?: string } })?.data?.code === "UNAUTHORIZED";
}

/** Set while the person signs out: the page's own calls are refused from then on, and must not turn the plain
 *  way to sign-in into "sign in to get back to this page". */
let signingOut = false;
export function beginSignOut(): void {
  signingOut = true;
}

function goToSignInIfSignedOut(err: unknown) {
  if (signingOut) return;
  if (isSignedOut(err) && typeof window !== "undefined" && window.location.pathname !== "/sign-in") {
    window.location.assign(`/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
}

function isClientError(err: unknown): boolean {
  const status = (err as { data?: { httpStatus?: number } })?.data?.httpStatus;
  return typeof status === "number" && status >= 400 && status < 500;
}
