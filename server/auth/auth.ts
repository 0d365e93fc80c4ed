import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { nextCookies } from "better-auth/next-js";
import { getDb } from "../db/client";
import { getEnv } from "../env";
import { SessionMemo, sessionCookieKey } from "./session-memo";

// Email + password sign-in through better-auth: passwords hashed by the library, sessions in our database
// (tables users/sessions/accounts/verifications). Created lazily so importing never needs a database.
function createAuth() {
  const env = getEnv();
  return betterAuth({
    appName: "Gastown Control",
    secret: env.BETTER_AUTH_SECRET,
    baseURL: env.BETTER_AUTH_URL,
    database: prismaAdapter(getDb(), { provider: "postgresql" }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 128, autoSignIn: true },
    // The signed session cookie carries a 60 s cache of the session, so most requests need no session
    // query (issue 7: the dashboard polls). Signing out clears it at once; a session revoked elsewhere
    // stays usable for at most that minute (and the 5 s of getSessionUser's memo).
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24, cookieCache: { enabled: true, maxAge: 60 } },
    telemetry: { enabled: false },
    // Requests come from whichever host the operator serves us on (localhost in dev, 127.0.0.1 in tests).
    trustedOrigins: (request) => {
      const origin = request?.headers.get("origin");
      const host = request?.headers.get("host");
      return origin && host && new URL(origin).host === host ? [origin] : [];
    },
    plugins: [nextCookies()],
  });
}

export type Auth = ReturnType<typeof createAuth>;
const globalForAuth = globalThis as unknown as { __gastownAuth?: Auth };

export function getAuth(): Auth {
  globalForAuth.__gastownAuth ??= createAuth();
  return globalForAuth.__gastownAuth;
}

export type SessionUser = { id: string; email: string; name: string };

const globalForMemo = globalThis as unknown as { __gastownSessionMemo?: SessionMemo<SessionUser | null> };
/** 5 s per exact set of session cookies, at most 5,000 of them (see session-memo.ts for why this is safe). */
function sessionMemo() {
  globalForMemo.__gastownSessionMemo ??= new SessionMemo<SessionUser | null>(5_000, 5_000);
  return globalForMemo.__gastownSessionMemo;
}

/** The signed-in user for a request's headers, or null. Without a session cookie there is nothing to look up. */
export async function getSessionUser(headers: Headers): Promise<SessionUser | null> {
  const key = sessionCookieKey(headers.get("cookie"));
  if (!key) return null;
  return sessionMemo().get(key, async () => {
    const session = await getAuth().api.getSession({ headers });
    if (!session) return null;
    return { id: session.user.id, email: session.user.email, name: session.user.name };
  });
}

/** Drops the memo of these cookies (sign-out). */
export function forgetSession(headers: Headers): void {
  const key = sessionCookieKey(headers.get("cookie"));
  if (key) sessionMemo().forget(key);
}
