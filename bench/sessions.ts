import { createHmac, randomBytes, randomUUID } from "node:crypto";
import type { PrismaClient } from "../server/db/generated/client";
import { getEnv } from "../server/env";
import { addMembership, makeUser } from "../prisma/factories";

// Many distinct signed-in members for the page benches. Signing up through better-auth costs a scrypt hash
// (≈ 300 ms of CPU here) and its sign-in route is rate limited per client address (issue 13), so 200 sessions
// that way would take a minute and trip the limit. A session is a row in `sessions` plus the cookie
// better-auth sets at sign-in: `better-auth.session_token=<token>.<base64 HMAC-SHA256(secret, token)>`,
// URL-encoded (better-call's signCookieValue). The server checks the signature and reads the row, exactly as
// for a browser that signed in. (The bench's own `signUp` in http.ts still goes through the real route.)
// The cookie-cache cookie (`session_data`) is not made up: the first request of each session reads the row.

export interface Member {
  userId: string;
  cookie: string;
}

const COOKIE = "better-auth.session_token"; // http base URL: no __Secure- prefix

export function sessionCookie(token: string, secret = getEnv().BETTER_AUTH_SECRET): string {
  const signature = createHmac("sha256", secret).update(token).digest("base64");
  return `${COOKIE}=${encodeURIComponent(`${token}.${signature}`)}`;
}

/** `n` new users, each a member of the town with one live session; returns their cookies. */
export async function signedInMembers(db: PrismaClient, townId: string, n: number, label = "bench"): Promise<Member[]> {
  const members: Member[] = [];
  const expiresAt = new Date(Date.now() + 24 * 3600_000);
  for (let i = 0; i < n; i++) {
    const user = await makeUser(db, { email: `${label}-${i}-${Date.now().toString(36)}@example.test`, name: `${label} ${i}` });
    await addMembership(db, townId, user.id, "member");
    const token = randomBytes(16).toString("hex"); // 32 characters, like better-auth's own tokens
    await db.session.create({ data: { id: randomUUID(), token, userId: user.id, expiresAt } });
    members.push({ userId: user.id, cookie: sessionCookie(token) });
  }
  return members;
}
