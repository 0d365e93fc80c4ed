import { describe, expect, it } from "vitest";
import { POST as authPOST } from "@/app/api/auth/[...all]/route";
import { GET as trpcGET, POST as trpcPOST } from "@/app/api/trpc/[trpc]/route";
import { testDb } from "../testing/db";

// /api/trpc refuses a cross-site mutation (issue 13), through the real route and a real session: a browser on
// another site carries the victim's cookie, so the check is on Origin / Sec-Fetch-Site, not on the session.
const APP = "http://localhost:3000"; // the request's own origin (NODE_ENV=test: loopback origins are the app's)

async function sessionCookie(): Promise<string> {
  const res = await authPOST(
    new Request(`${APP}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: APP },
      body: JSON.stringify({ email: `cross-${Date.now()}@example.test`, password: "correct-horse-battery", name: "C" }),
    }),
  );
  expect(res.status).toBe(200);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

function createTown(cookie: string, headers: Record<string, string>, name: string) {
  return trpcPOST(
    new Request(`${APP}/api/trpc/town.create`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, ...headers },
      body: JSON.stringify({ json: { name } }),
    }),
  );
}

describe("cross-site tRPC mutations", () => {
  it("refuses another site's origin and Sec-Fetch-Site: cross-site with 403 FORBIDDEN, and nothing is created", async () => {
    const cookie = await sessionCookie();
    const evil = await createTown(cookie, { origin: "https://evil.example", "sec-fetch-site": "cross-site" }, "evil-1");
    expect(evil.status).toBe(403);
    expect(JSON.stringify(await evil.json())).toContain("FORBIDDEN");
    expect((await createTown(cookie, { origin: "https://evil.example" }, "evil-2")).status).toBe(403);
    expect((await createTown(cookie, { origin: APP, "sec-fetch-site": "cross-site" }, "evil-3")).status).toBe(403);
    expect((await createTown(cookie, { "sec-fetch-site": "same-site" }, "evil-4")).status).toBe(403);
    expect(await testDb().town.count({ where: { name: { startsWith: "evil-" } } })).toBe(0);
  });

  it("accepts the app's own origin, and a request without Origin or Sec-Fetch-Site (a server, curl)", async () => {
    const cookie = await sessionCookie();
    expect((await createTown(cookie, { origin: APP, "sec-fetch-site": "same-origin" }, "ok-1")).status).toBe(200);
    expect((await createTown(cookie, {}, "ok-2")).status).toBe(200);
    expect(await testDb().town.count({ where: { name: { startsWith: "ok-" } } })).toBe(2);
  });

  it("leaves queries alone (reads change nothing)", async () => {
    const res = await trpcGET(new Request(`${APP}/api/trpc/health`, { headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" } }));
    expect(res.status).toBe(200);
  });
});
