import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./beads";

describe("bead list cursors", () => {
  it("round-trips created_at and id", () => {
    const row = { createdAt: new Date("2026-11-25T10:00:00.123Z"), id: "b-1" };
    expect(decodeCursor(encodeCursor(row))).toEqual(row);
  });

  it.each(["", "garbage", Buffer.from('{"createdAt":"yesterday","id":"x"}').toString("base64url")])("refuses a forged cursor %#", (c) => {
    expect(() => decodeCursor(c)).toThrow(/cursor is not valid/);
  });
});
