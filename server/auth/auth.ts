import { betterAuth } from "better-auth";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { nextCookies } from "better-auth/next-js";
import { getDb } from "../db/client";
import { getEnv } from "../env";
import { CLIENT_ADDRESS_HEADER, withClientAddress } from "./client-address";
import { SessionMemo, sessionCookieKey } from "./session-memo";
import { acceptInvites, signUpRefusal, type SignUpPolicy } from "./sign-up-policy";

/** What the auth server is built from (the environment in the app; tests build their own). */
export type AuthSettings = {
  signUp: SignUpPolicy;
  trustedProxyHops: number;
  /** better-auth's default: on in production only. */
  rateLimit?: boolean;
  baseURL?: string;
  publicURL?: string;
  dev: boolean;
};

export function authSettingsFromEnv(): AuthSettings {
  const env = getEnv();
  return {
    signUp: env.GASTOWN_SIGNUP,
    trustedProxyHops: env.GASTOWN_TRUSTED_PROXY_HOPS,
    baseURL: env.BETTER_AUTH_URL,
    publicURL: env.GASTOWN_PUBLIC_URL,
    dev: env.NODE_ENV !== "production",
  };
}

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/**
 * The origins allowed to call the auth routes (and tRPC mutations, see server/api/same-origin.ts): the app's
 * own URL (BETTER_AUTH_URL, GASTOWN_PUBLIC_URL) and, in development only, the same port on every loopback name
 * people type. Never "whatever the Host header says": Host is the client's to choose.
 */
export function trustedOriginsOf(settings: Pick<AuthSettings, "baseURL" | "publicURL" | "dev">): string[] {
  const origins = new Set<string>();
  for (const url of [settings.baseURL, settings.publicURL]) if (url) origins.add(new URL(url).origin);
  if (settings.dev) {
    const base = settings.baseURL ? new URL(settings.baseURL) : new URL("http://localhost:3000");
    for (const host of LOOPBACK_HOSTS) origins.add(`${base.protocol}//${host}${base.port ? `:${base.port}` : ""}`);
  }
  return [...origins];
}

// Email + password sign-in through better-auth: passwords hashed by the library, sessions in our database
// (tables users/sessions/accounts/verifications). Created lazily so importing never needs a database.
export function createAuth(settings: AuthSettings = authSettingsFromEnv()) {
  const env = getEnv();
  return betterAuth({
    appName: "Gastown Control",
    secret: env.BETTER_AUTH_SECRET,
    baseURL: settings.baseURL,
    database: prismaAdapter(getDb(), { provider: "postgresql" }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, maxPasswordLength: 128, autoSignIn: true },
    // The signed session cookie carries a 60 s cache of the session, so most requests need no session
    // query (issue 7: the dashboard polls). Signing out clears it at once; a session revoked elsewhere
    // stays usable for at most that minute (and the 5 s of getSessionUser's memo).
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24, cookieCache: { enabled: true, maxAge: 60 } },
    telemetry: { enabled: false },
    trustedOrigins: trustedOriginsOf(settings),
    // Sign-in and sign-up: better-auth's rule of 3 attempts per 10 s per client address and path, counted in
    // the rate_limits table so every instance shares the count (issue 13). The address is the one
    // handleAuthRequest resolved behind GASTOWN_TRUSTED_PROXY_HOPS, in a header no client can set.
    rateLimit: { ...(settings.rateLimit === undefined ? {} : { enabled: settings.rateLimit }), storage: "database", modelName: "rateLimit" },
    // better-auth skips its origin check when NODE_ENV=test; ours never does, so the tests see what production does.
    advanced: { ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] }, disableOriginCheck: false },
    // GASTOWN_SIGNUP, checked before the sign-up endpoint runs (outside its transaction: the embedded Postgres
    // serialises transactions, so a second connection inside a database hook would wait on itself).
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (!ctx.path.startsWith("/sign-up")) return;
        const body = ctx.body as { email?: unknown } | undefined;
        const refusal = await signUpRefusal(getDb(), settings.signUp, typeof body?.email === "string" ? body.email : "");
        if (refusal) throw new APIError("FORBIDDEN", { message: refusal });
      }),
    },
    // A new account joins the towns that invited its address (after the sign-up transaction has committed).
    databaseHooks: { user: { create: { after: async (user) => acceptInvites(getDb(), user) } } },
    plugins: [nextCookies()],
  });
}

export type Auth = ReturnType<typeof createAuth>;
const globalForAuth = globalThis as unknown as { __gastownAuth?: Auth };

export function getAuth(): Auth {
  globalForAuth.__gastownAuth ??= createAuth();
  return globalForAuth.__gastownAuth;
}

/** Serves one /api/auth request: the client address resolved behind the trusted proxies, then better-auth. */
export function handleAuthRequest(auth: Auth, req: Request, trustedProxyHops = getEnv().GASTOWN_TRUSTED_PROXY_HOPS): Promise<Response> {
  return auth.handler(withClientAddress(req, trustedProxyHops));
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
