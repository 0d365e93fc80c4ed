import { beforeEach, describe, expect, it } from "vitest";
import { testDb, truncateAll, callerFor } from "../testing/db";
import { makeTown, makeUser } from "../../prisma/factories";
import { createAuth, handleAuthRequest, type AuthSettings } from "./auth";
import { PEER_HEADER } from "./client-address";
import { SIGN_UP_CLOSED_MESSAGE, SIGN_UP_INVITE_ONLY_MESSAGE } from "./sign-up-policy";

// The auth server as the route serves it (handleAuthRequest → better-auth), on the real database (issue 13):
// sign-up policy, rate limits shared through the database and keyed on the real client address, and the
// origins it trusts. Requests carry the TCP-peer stamp the Node server adds in production
// (installPeerAddressStamp, tested in client-address.test.ts).

const ORIGIN = "http://127.0.0.1:3000";
const base: AuthSettings = { signUp: "open", trustedProxyHops: 0, baseURL: ORIGIN, dev: false };

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(`${ORIGIN}/api/auth${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: ORIGIN, [PEER_HEADER]: "198.51.100.7", ...headers },
    body: JSON.stringify(body),
  });
}

async function signUp(auth: ReturnType<typeof createAuth>, email: string, headers: Record<string, string> = {}) {
  const res = await handleAuthRequest(auth, post("/sign-up/email", { email, password: "correct-horse-battery", name: "P" }, headers));
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  return { status: res.status, message: body.message };
}

const signIn = (auth: ReturnType<typeof createAuth>, headers: Record<string, string>) =>
  handleAuthRequest(auth, post("/sign-in/email", { email: "someone@example.test", password: "wrong-password-1" }, headers), 0).then((r) => r.status);

beforeEach(async () => {
  await truncateAll(testDb());
});

describe("sign-up policy (GASTOWN_SIGNUP)", () => {
  it("closed: the first user of an empty database signs up, nobody after", async () => {
    const auth = createAuth({ ...base, signUp: "closed" });
    expect(await signUp(auth, "first@example.test")).toMatchObject({ status: 200 });
    expect(await signUp(auth, "second@example.test")).toEqual({ status: 403, message: SIGN_UP_CLOSED_MESSAGE });
    expect(await testDb().user.count()).toBe(1);
  });

  it("invite: only an address an owner invited signs up, and it joins the inviting town with the invited role", async () => {
    const db = testDb();
    const owner = await makeUser(db);
    const town = await makeTown(db, owner.id);
    const auth = createAuth({ ...base, signUp: "invite" });
    expect(await signUp(auth, "stranger@example.test")).toEqual({ status: 403, message: SIGN_UP_INVITE_ONLY_MESSAGE });

    await expect(callerFor(owner).town.addMember({ townId: town.id, email: "Guest@Example.test", role: "viewer" })).resolves.toMatchObject({ invited: true });
    expect(await signUp(auth, "guest@example.test")).toMatchObject({ status: 200 });

    const guest = await db.user.findUniqueOrThrow({ where: { email: "guest@example.test" } });
    expect(await callerFor(guest).town.list()).toEqual([expect.objectContaining({ id: town.id, role: "viewer" })]);
    expect(await db.invite.count()).toBe(0);
    expect(await db.auditLog.count({ where: { townId: town.id, action: "member.add", targetId: guest.id } })).toBe(1);
  });

  it("open: anyone signs up; an invited address still joins its town", async () => {
    const db = testDb();
    const owner = await makeUser(db);
    const town = await makeTown(db, owner.id);
    await callerFor(owner).town.addMember({ townId: town.id, email: "later@example.test", role: "member" });
    const auth = createAuth(base);
    expect(await signUp(auth, "anyone@example.test")).toMatchObject({ status: 200 });
    expect(await signUp(auth, "later@example.test")).toMatchObject({ status: 200 });
    const later = await db.user.findUniqueOrThrow({ where: { email: "later@example.test" } });
    expect(await db.townMember.findUnique({ where: { townId_userId: { townId: town.id, userId: later.id } } })).toMatchObject({ role: "member" });
  });
});

describe("sign-in rate limit (database storage, real client address)", () => {
  it("refuses the 4th attempt in 10 s from one address with 429, counted across two instances, whatever X-Forwarded-For says", async () => {
    // Two auth servers over one database stand for two app instances.
    const a = createAuth({ ...base, rateLimit: true });
    const b = createAuth({ ...base, rateLimit: true });
    const spoof = (n: number) => ({ "x-forwarded-for": `203.0.113.${n}` });
    expect(await signIn(a, spoof(1))).toBe(401);
    expect(await signIn(b, spoof(2))).toBe(401);
    expect(await signIn(a, spoof(3))).toBe(401);
    expect(await signIn(b, spoof(4))).toBe(429);
    expect(await signIn(a, spoof(5))).toBe(429);
    // Another client (another TCP peer) is not affected.
    expect(await signIn(a, { [PEER_HEADER]: "198.51.100.8" })).toBe(401);
    expect(await testDb().rateLimit.count()).toBeGreaterThan(0);
  });

  it("sign-up is limited the same way", async () => {
    const auth = createAuth({ ...base, rateLimit: true });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await signUp(auth, `many-${i}@example.test`, { "x-forwarded-for": `203.0.113.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("behind a trusted proxy (1 hop) the address is the one the proxy appended, so clients behind it are told apart", async () => {
    const auth = createAuth({ ...base, rateLimit: true, trustedProxyHops: 1 });
    const viaProxy = (client: string, spoofed?: string) => ({
      [PEER_HEADER]: "10.0.0.2",
      "x-forwarded-for": spoofed ? `${spoofed}, ${client}` : client,
    });
    const status = (headers: Record<string, string>) =>
      handleAuthRequest(auth, post("/sign-in/email", { email: "x@example.test", password: "wrong-password-1" }, headers), 1).then((r) => r.status);
    // One client behind the proxy, spoofing the leftmost entry each time: still one client.
    const one = [];
    for (let i = 0; i < 4; i++) one.push(await status(viaProxy("192.0.2.10", `203.0.113.${i}`)));
    expect(one).toEqual([401, 401, 401, 429]);
    // Other clients behind the same proxy have their own count.
    expect(await status(viaProxy("192.0.2.11"))).toBe(401);
  });
});

describe("trusted origins", () => {
  it("refuses an auth request from another origin even when Host agrees with it (Host is the client's to choose)", async () => {
    const auth = createAuth(base);
    const res = await handleAuthRequest(
      auth,
      post("/sign-up/email", { email: "evil@example.test", password: "correct-horse-battery", name: "E" }, { origin: "http://evil.example", host: "evil.example" }),
      0,
    );
    expect(res.status).toBe(403);
    expect(await testDb().user.count()).toBe(0);
  });
});
