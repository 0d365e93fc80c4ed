// A short memo of "which user do these session cookies belong to" (issue 7). The dashboard polls every few
// seconds, and better-auth verifies the signed session cookie on every request (WebCrypto key import and HMAC,
// about a tenth of a polled request's CPU). Remembering the answer for the exact same cookies for a few
// seconds changes no decision that matters: better-auth's own 60 s cookie cache already trusts a signed cookie
// without asking the database, so a session revoked elsewhere stays usable for that minute either way.

export type MemoClock = () => number;

/** The better-auth cookies of a Cookie header, as one key; null when there are none (an anonymous request). */
export function sessionCookieKey(cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  const parts: string[] = [];
  for (const pair of cookieHeader.split(";")) {
    const trimmed = pair.trim();
    if (trimmed.startsWith("better-auth.") || trimmed.startsWith("__Secure-better-auth.")) parts.push(trimmed);
  }
  return parts.length ? parts.sort().join("; ") : null;
}

export class SessionMemo<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: MemoClock = Date.now,
  ) {}

  /** The remembered value for `key`, or `load()`'s (remembered for ttlMs; failures are not remembered). */
  async get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    const now = this.now();
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
    // Oldest first (a Map keeps insertion order): a flood of distinct cookies cannot grow memory.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  /** Forgets the cookies' answer (sign-out in this process). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
