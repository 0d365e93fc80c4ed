import { expect, test } from "@playwright/test";

// Security headers on every response of the real server (issue 8): CSP with frame-ancestors, referrer
// policy, no MIME sniffing, no framing. And the cron route refuses callers without the secret.

for (const path of ["/sign-in", "/towns", "/api/trpc/health"]) {
  test(`security headers on ${path}`, async ({ request }) => {
    const res = await request.get(path, { maxRedirects: 0 });
    const h = res.headers();
    expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"]).toContain("default-src 'self'");
    expect(h["content-security-policy"]).toContain("object-src 'none'");
    expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["x-frame-options"]).toBe("DENY");
    expect(h["x-powered-by"]).toBeUndefined();
  });
}

test("the cron route refuses a caller without the secret", async ({ request }) => {
  const res = await request.get("/api/cron/tick");
  expect(res.status()).toBe(401);
  const res2 = await request.post("/api/cron/tick", { headers: { authorization: "Bearer guess" } });
  expect(res2.status()).toBe(401);
});

test("the agent API refuses a caller without a token and an oversized body", async ({ request }) => {
  expect((await request.post("/api/agent/gt_prime", { data: {} })).status()).toBe(401);
  const big = "x".repeat(1024 * 1024 + 10);
  expect((await request.post("/api/agent/gt_done", { data: big, headers: { "content-type": "application/json" } })).status()).toBe(413);
});
