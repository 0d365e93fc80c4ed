import { NextResponse, type NextRequest } from "next/server";
import { sessionCookieKey } from "@/server/auth/session-memo";

// The dashboard's pages are static shells (issue 15: a page's document was a server render on every visit, the
// larger half of a whole load): what a person may see comes from the tRPC calls, which check the session and
// the town membership themselves. A visitor without a session cookie is sent to sign-in here, before any
// page is served; one whose cookie is no longer valid is sent there by the first refused call
// (components/providers/trpc.tsx).
export function proxy(request: NextRequest) {
  if (sessionCookieKey(request.headers.get("cookie"))) return NextResponse.next();
  const signIn = new URL("/sign-in", request.url);
  // Back to the page asked for after signing in (the town list is where sign-in leads anyway).
  const asked = request.nextUrl.pathname + request.nextUrl.search;
  // A prefetch or client navigation (an RSC request) is not a page the person asked for by address.
  if (asked !== "/towns" && !request.headers.has("rsc")) signIn.searchParams.set("next", asked);
  return NextResponse.redirect(signIn);
}

export const config = { matcher: ["/towns", "/towns/:path*"] };
