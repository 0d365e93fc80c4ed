// Cross-site request refusal for browser-facing mutations (issue 13). A session cookie rides along on any
// request a browser makes, including a form or fetch from another site; tRPC mutations therefore accept only:
// - an `Origin` that is the request's own origin or one of the app's configured origins (BETTER_AUTH_URL,
//   GASTOWN_PUBLIC_URL, loopback in development: see trustedOriginsOf), and never `Sec-Fetch-Site: cross-site`;
// - no `Origin` at all only when `Sec-Fetch-Site` is absent too (a server or curl, not a browser: browsers send
//   Sec-Fetch-Site on every request, and Origin on every POST).

export type CrossSiteVerdict = { ok: true } | { ok: false; reason: string };

export function checkSameOrigin(req: { url: string; headers: Headers }, allowedOrigins: readonly string[]): CrossSiteVerdict {
  const origin = req.headers.get("origin");
  const fetchSite = req.headers.get("sec-fetch-site")?.toLowerCase();
  if (fetchSite === "cross-site") return { ok: false, reason: "cross-site request" };
  if (!origin) {
    return fetchSite ? { ok: false, reason: "a browser request without an Origin header" } : { ok: true };
  }
  const own = new URL(req.url).origin;
  if (origin === own || allowedOrigins.includes(origin)) return { ok: true };
  return { ok: false, reason: `origin ${origin} is not this app's` };
}
