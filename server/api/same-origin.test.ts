import { describe, expect, it } from "vitest";
import { checkSameOrigin } from "./same-origin";

const url = "http://127.0.0.1:3000/api/trpc/town.create";
const allowed = ["https://gastown.example.com"];
const req = (headers: Record<string, string>) => ({ url, headers: new Headers(headers) });

describe("checkSameOrigin (tRPC mutations)", () => {
  it("accepts the request's own origin and the configured public origins", () => {
    expect(checkSameOrigin(req({ origin: "http://127.0.0.1:3000", "sec-fetch-site": "same-origin" }), allowed)).toEqual({ ok: true });
    expect(checkSameOrigin(req({ origin: "https://gastown.example.com", "sec-fetch-site": "same-site" }), allowed)).toEqual({ ok: true });
  });

  it("refuses another site's origin, and Sec-Fetch-Site: cross-site whatever the Origin says", () => {
    expect(checkSameOrigin(req({ origin: "https://evil.example" }), allowed).ok).toBe(false);
    expect(checkSameOrigin(req({ origin: "http://127.0.0.1:3000", "sec-fetch-site": "cross-site" }), allowed).ok).toBe(false);
    expect(checkSameOrigin(req({ origin: "null" }), allowed).ok).toBe(false);
  });

  it("a request without Origin passes only without Sec-Fetch-Site too (a server or curl, not a browser)", () => {
    expect(checkSameOrigin(req({}), allowed)).toEqual({ ok: true });
    expect(checkSameOrigin(req({ "sec-fetch-site": "same-site" }), allowed).ok).toBe(false);
    expect(checkSameOrigin(req({ "sec-fetch-site": "none" }), allowed).ok).toBe(false);
  });
});
