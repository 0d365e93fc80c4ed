// GET/POST /api/trpc/* — the browser's API (TanStack Query through tRPC), every call with the session cookie.
// Queries are GET, mutations POST; a POST from another site is refused with 403 FORBIDDEN before any
// procedure runs (server/api/same-origin.ts, issue 13).
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createContext } from "@/server/api/trpc";
import { checkSameOrigin } from "@/server/api/same-origin";
import { authSettingsFromEnv, trustedOriginsOf } from "@/server/auth/auth";

export const dynamic = "force-dynamic";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ info }) => {
      if (req.method !== "GET" || info.type === "mutation") {
        const verdict = checkSameOrigin(req, trustedOriginsOf(authSettingsFromEnv()));
        if (!verdict.ok) throw new TRPCError({ code: "FORBIDDEN", message: `Refused: ${verdict.reason}.` });
      }
      return createContext({ headers: req.headers });
    },
  });

export { handler as GET, handler as POST };
