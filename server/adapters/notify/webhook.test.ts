import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "./webhook";

describe("webhook signature", () => {
  it("is sha256=<hex HMAC-SHA256 of the raw body>, as a receiver recomputes it", () => {
    const body = '{"kind":"test"}';
    const expected = createHmac("sha256", "s3cret-s3cret-s3cret").update(body).digest("hex");
    expect(signBody("s3cret-s3cret-s3cret", body)).toBe(`sha256=${expected}`);
    expect(verifySignature("s3cret-s3cret-s3cret", body, `sha256=${expected}`)).toBe(true);
    expect(verifySignature("s3cret-s3cret-s3cret", `${body} `, `sha256=${expected}`)).toBe(false);
    expect(verifySignature("another", body, `sha256=${expected}`)).toBe(false);
    expect(verifySignature("s3cret-s3cret-s3cret", body, undefined)).toBe(false);
  });
});
