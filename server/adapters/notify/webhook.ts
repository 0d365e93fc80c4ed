import { createHmac, timingSafeEqual } from "node:crypto";

// The outside end of notifications (issue 16): one POST of a JSON body to a channel's URL, with a short
// timeout, never throwing — a receiver that is down, slow or answers 500 is an outcome, not an exception.
// Generic webhooks are signed like GitHub signs its own: HMAC-SHA256 of the raw body with the channel's
// secret, hex, in `X-Gastown-Signature-256: sha256=<hex>` (README "Notifications").

export const SIGNATURE_HEADER = "X-Gastown-Signature-256";
export const DELIVERY_HEADER = "X-Gastown-Delivery";
export const TIMESTAMP_HEADER = "X-Gastown-Timestamp";
export const EVENT_HEADER = "X-Gastown-Event";
export const DELIVERY_TIMEOUT_MS = 5_000;

export function signBody(secret: string, rawBody: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody, "utf8").digest("hex")}`;
}

/** What a receiver does to check a delivery (also what the tests do): recompute and compare in constant time. */
export function verifySignature(secret: string, rawBody: string, header: string | null | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, rawBody));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface PostOutcome {
  ok: boolean;
  /** the HTTP status, when the receiver answered */
  status: number | null;
  /** why it failed (status line, timeout, connection error), for the delivery log */
  error: string | null;
}

export async function postJson(url: string, rawBody: string, headers: Record<string, string>, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<PostOutcome> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "Gastown-Notifications/1", ...headers },
      body: rawBody,
      redirect: "manual", // a redirect could carry a signed body somewhere else
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not used; read a little so the connection is released.
    const text = await res.text().catch(() => "");
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
    const detail = text.trim().slice(0, 200);
    return { ok: false, status: res.status, error: `HTTP ${res.status}${detail ? `: ${detail}` : ""}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === "TimeoutError" || e.name === "AbortError") return { ok: false, status: null, error: `no answer within ${timeoutMs / 1000} s` };
    const cause = e.cause?.code ?? e.cause?.message;
    return { ok: false, status: null, error: `could not connect${cause ? ` (${cause})` : ""}` };
  }
}
