import { describe, expect, it } from "vitest";
import { SessionMemo, sessionCookieKey } from "./session-memo";

describe("sessionCookieKey", () => {
  it("keeps only better-auth's cookies, in a stable order", () => {
    expect(sessionCookieKey(null)).toBeNull();
    expect(sessionCookieKey("theme=dark; other=1")).toBeNull();
    const a = sessionCookieKey("theme=dark; better-auth.session_token=abc.sig; better-auth.session_data=xyz");
    const b = sessionCookieKey("better-auth.session_data=xyz;better-auth.session_token=abc.sig; theme=light");
    expect(a).toBe(b);
    expect(a).toContain("session_token=abc.sig");
    expect(sessionCookieKey("__Secure-better-auth.session_token=t")).toBe("__Secure-better-auth.session_token=t");
    // a different session_data (a refreshed cache) is a different key
    expect(sessionCookieKey("better-auth.session_token=abc.sig; better-auth.session_data=other")).not.toBe(a);
  });
});

describe("SessionMemo", () => {
  it("answers the same cookies from memory until the TTL, then asks again", async () => {
    let now = 1_000;
    const memo = new SessionMemo<string | null>(5_000, 10, () => now);
    let loads = 0;
    const load = async () => `user-${++loads}`;
    expect(await memo.get("k", load)).toBe("user-1");
    now += 4_999;
    expect(await memo.get("k", load)).toBe("user-1");
    now += 1;
    expect(await memo.get("k", load)).toBe("user-2");
    expect(await memo.get("other", load)).toBe("user-3");
  });

  it("does not remember a failure", async () => {
    const memo = new SessionMemo<string>(5_000, 10, () => 0);
    await expect(memo.get("k", () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    expect(await memo.get("k", async () => "ok")).toBe("ok");
  });

  it("stays bounded, dropping the oldest entries", async () => {
    const memo = new SessionMemo<number>(60_000, 3, () => 0);
    for (let i = 0; i < 10; i++) await memo.get(`k${i}`, async () => i);
    expect(memo.size).toBe(3);
    let reloaded = false;
    expect(await memo.get("k0", async () => ((reloaded = true), -1))).toBe(-1);
    expect(reloaded).toBe(true);
    expect(await memo.get("k9", async () => -1)).toBe(9);
  });

  it("forgets on request", async () => {
    const memo = new SessionMemo<string>(60_000, 10, () => 0);
    await memo.get("k", async () => "a");
    memo.forget("k");
    expect(await memo.get("k", async () => "b")).toBe("b");
  });
});
