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

/**
 * Below this size a response goes out uncompressed. `next start` gzips every streamed response, whatever its
 * size (its compression middleware cannot see a length: Next drops content-length), and a gzip stream costs
 * ≈ 0.6 ms of CPU to set up — a fifth of a polled query's whole cost (issue 15: 200 open overviews). A few
 * kB saved on the wire every few seconds is worth less than that. `no-transform` is how the middleware is
 * told (and proxies, which would otherwise spend the same CPU); larger responses are still compressed.
 */
const COMPRESS_FROM_BYTES = 8 * 1024;

async function handler(req: Request): Promise<Response> {
  const res = await trpc(req);
  if (!res.body) return res;
  // tRPC's batch responses are complete JSON documents (no streaming link is used), so reading them here
  // costs nothing the client would not wait for anyway.
  const body = await res.arrayBuffer();
  const headers = new Headers(res.headers);
  if (body.byteLength < COMPRESS_FROM_BYTES) {
    const cc = headers.get("cache-control");
    headers.set("cache-control", cc ? `${cc}, no-transform` : "no-transform");
  }
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

const trpc = (req: Request) =>
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
