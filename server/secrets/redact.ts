// The one redactor (SPEC.md §5): every text that came from outside — a runtime's error, an agent's log, a
// GitHub answer, an exception on its way to Sentry — passes through it before it is stored or shown.
// Pure: it knows only the secrets it is given (town-secrets.ts gathers them) and the shapes of credentials
// that need no list: our agent tokens (JWTs; the live ones are only hashed in the database, so they are
// recognised by shape), GitHub tokens, `Bearer …` values and passwords in URLs.

export const REDACTED = "[redacted]";

/** Shorter values (e.g. an env var `DEBUG=1`) would mask ordinary words everywhere; they are not secrets. */
export const MIN_SECRET_LENGTH = 6;

/** A fragment of a secret cut by a log window's edge is masked from this many characters on. */
const MIN_FRAGMENT_LENGTH = 6;

/** Any JWT (header and payload are base64url JSON, so both start with `eyJ`); agent tokens are JWTs. */
const JWT = /eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{8,}/g;
/** GitHub's token formats (classic, OAuth, app, refresh, fine-grained). */
const GITHUB_TOKEN = /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g;
const BEARER = /(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
/** `https://user:password@host` — the password part. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi;
/** The tail of a JWT whose start was cut off by a log window: `…rest.payload.signature` or `…rest.signature`. */
const JWT_TAIL_AT_START = /^[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]{8,}){1,2}(?![A-Za-z0-9_.-])/;

export interface Redactor {
  /** The text with every known secret and every credential-shaped string masked. */
  text(value: string): string;
  /** A copy of a JSON-like value (strings, arrays, plain objects) with every string redacted; with `edges`,
   *  also the fragments at the strings' edges (texts that were cut to a length before they got here). */
  deep<T>(value: T, options?: { edges?: boolean }): T;
  /** `text`, plus fragments of secrets cut by the window's edges (a log tail starts mid-line). */
  window(value: string): string;
  /** How many distinct secret values it masks (besides the shapes). */
  readonly size: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The distinct secret values worth masking, with the forms they take in URLs. */
export function normalizeSecrets(secrets: Iterable<string | null | undefined>): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string") continue;
    for (const form of [s, s.trim(), encodeURIComponent(s.trim())]) {
      if (form.length >= MIN_SECRET_LENGTH && form !== REDACTED) out.add(form);
    }
  }
  // Longest first, so a secret containing another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

export function createRedactor(secrets: Iterable<string | null | undefined>): Redactor {
  const list = normalizeSecrets(secrets);
  const known = list.length ? new RegExp(list.map(escapeRegExp).join("|"), "g") : null;

  const text = (value: string): string => {
    if (typeof value !== "string" || value === "") return value;
    let out = known ? value.replace(known, REDACTED) : value;
    out = out.replace(JWT, REDACTED).replace(GITHUB_TOKEN, REDACTED).replace(BEARER, `$1${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`);
    return out;
  };

  const deep = <T>(value: T, str: (s: string) => string, depth = 0): T => {
    if (typeof value === "string") return str(value) as T;
    if (depth > 32 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((v) => deep(v, str, depth + 1)) as T;
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // Dates, buffers, class instances: left as they are
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = deep(v, str, depth + 1);
    return out as T;
  };

  const edges = (value: string): string => {
    let out = text(value);
    for (const secret of list) {
      // the secret's end at the window's start, its beginning at the window's end
      for (let n = Math.min(secret.length - 1, out.length); n >= MIN_FRAGMENT_LENGTH; n--) {
        if (out.startsWith(secret.slice(secret.length - n))) {
          out = REDACTED + out.slice(n);
          break;
        }
      }
      for (let n = Math.min(secret.length - 1, out.length); n >= MIN_FRAGMENT_LENGTH; n--) {
        if (out.endsWith(secret.slice(0, n))) {
          out = out.slice(0, out.length - n) + REDACTED;
          break;
        }
      }
    }
    return out;
  };
  const window = (value: string): string => edges(value).replace(JWT_TAIL_AT_START, REDACTED);

  return { text, deep: (v, options) => deep(v, options?.edges ? edges : text), window, size: list.length };
}

/** The secrets a town's stored config holds: its git tokens, other credentials, and its env var values. */
export function secretsOfTownConfig(config: unknown): string[] {
  if (!config || typeof config !== "object") return [];
  const c = config as Record<string, unknown>;
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === "string") out.push(v);
  };
  const gitAuth = c.git_auth as Record<string, unknown> | undefined;
  if (gitAuth && typeof gitAuth === "object") {
    add(gitAuth.github_token);
    add(gitAuth.gitlab_token);
  }
  add(c.kilocode_token);
  add(c.github_cli_pat);
  const env = c.env_vars as Record<string, unknown> | undefined;
  if (env && typeof env === "object") for (const v of Object.values(env)) add(v);
  return out;
}

/** The secrets of the operator's adapter configuration: GITHUB_TOKEN and the http runtimes' secrets. */
export function secretsOfAdapterConfig(config: { github: { token?: string }; httpRuntimes: Record<string, { secret: string }> }): string[] {
  return [config.github.token, ...Object.values(config.httpRuntimes).map((r) => r.secret)].filter((s): s is string => typeof s === "string");
}

/** A redactor built on first use (its secrets list and pattern cost something; many callers never need it). */
export function lazyRedactor(make: () => Redactor): Redactor {
  let built: Redactor | null = null;
  const get = () => (built ??= make());
  return {
    text: (value) => get().text(value),
    deep: (value, options) => get().deep(value, options),
    window: (value) => get().window(value),
    get size() {
      return get().size;
    },
  };
}
