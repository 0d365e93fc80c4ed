import { describe, expect, it } from "vitest";
import { MembershipMemo } from "./membership-memo";

describe("MembershipMemo", () => {
  it("answers from memory until the TTL, then asks again", async () => {
    let now = 0;
    const memo = new MembershipMemo<string>(5_000, 100, () => now);
    let loads = 0;
    const load = async () => `member-${++loads}`;
    expect(await memo.get("t1", "u1", load)).toBe("member-1");
    now += 4_999;
    expect(await memo.get("t1", "u1", load)).toBe("member-1");
    now += 1;
    expect(await memo.get("t1", "u1", load)).toBe("member-2");
    expect(await memo.get("t1", "u2", load)).toBe("member-3");
  });

  it("never remembers 'not a member' or a failed lookup", async () => {
    const memo = new MembershipMemo<string>(5_000, 100, () => 0);
    let answer: string | undefined;
    const load = async () => answer;
    expect(await memo.get("t1", "u1", load)).toBeUndefined();
    answer = "viewer"; // added a moment later: not refused from memory
    expect(await memo.get("t1", "u1", load)).toBe("viewer");
    const failing = new MembershipMemo<string>(5_000, 100, () => 0);
    await expect(failing.get("t1", "u1", async () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    expect(await failing.get("t1", "u1", async () => "member")).toBe("member");
    expect(failing.size).toBe(1);
  });

  it("shares one lookup between concurrent callers", async () => {
    const memo = new MembershipMemo<string>(5_000, 100, () => 0);
    let loads = 0;
    const load = () => new Promise<string>((r) => setTimeout(() => r(`m${++loads}`), 5));
    expect(await Promise.all([memo.get("t", "u", load), memo.get("t", "u", load)])).toEqual(["m1", "m1"]);
    expect(loads).toBe(1);
  });

  it("forgets a whole town at once (a mutation of it), and no other", async () => {
    const memo = new MembershipMemo<string>(60_000, 100, () => 0);
    let role = "owner";
    await memo.get("t1", "u1", async () => role);
    await memo.get("t1", "u2", async () => role);
    await memo.get("t2", "u1", async () => role);
    role = "viewer";
    memo.forgetTown("t1");
    expect(memo.size).toBe(1);
    expect(await memo.get("t1", "u1", async () => role)).toBe("viewer");
    expect(await memo.get("t2", "u1", async () => role)).toBe("owner");
  });

  it("stays within its size by forgetting the oldest towns", async () => {
    const memo = new MembershipMemo<number>(60_000, 3, () => 0);
    for (let i = 0; i < 10; i++) await memo.get(`t${i}`, "u", async () => i);
    expect(memo.size).toBeLessThanOrEqual(3);
    let loads = 0;
    expect(await memo.get("t9", "u", async () => (loads++, -1))).toBe(9);
    expect(await memo.get("t0", "u", async () => (loads++, -1))).toBe(-1);
    expect(loads).toBe(1);
  });
});
