import { chromium, type Browser } from "@playwright/test";

// What Chromium really does for a page (issue 15, items 3, 4 and 6), recorded once with Playwright over the
// DevTools protocol: the HTML document, every `/api/trpc/` call the page makes on first render (with the
// headers Chromium sent, so the replay sends the same), the scripts and styles it downloaded (bytes on the
// wire and decoded), anything else it asked for (Next's route prefetches), and — for the overview — the
// polls it then makes while left open. Each page is recorded in a fresh browser context: an empty cache, a
// first visit.

/** The same Chromium and flags as the e2e tests (playwright.config.ts): Debian's, never a downloaded one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

export type RequestKind = "document" | "trpc" | "script" | "style" | "prefetch" | "other";

export interface RecordedRequest {
  kind: RequestKind;
  method: string;
  /** path and query, relative to the app's origin */
  path: string;
  /** the request headers Chromium sent, without the cookie (the replay sets each user's own) */
  headers: Record<string, string>;
  status: number;
  /** ms from the document's request */
  start: number;
  end: number;
  /** bytes on the wire, headers included (DevTools' "transferred") */
  transferred: number;
  /** body bytes after decompression */
  decoded: number;
  contentEncoding: string | null;
}

export interface RecordedPage {
  name: string;
  path: string;
  document: RecordedRequest;
  /** the tRPC calls of the first render (started before the first poll could fire), in order */
  trpc: RecordedRequest[];
  scripts: RecordedRequest[];
  styles: RecordedRequest[];
  /** Next's RSC prefetches of the links on the page, and anything else */
  other: RecordedRequest[];
  /** the browser's own figure: document request → last first-render tRPC response */
  browserMs: number;
}

export interface RecordedPolls {
  /** the tRPC requests of an open page after its first render, offsets from the window's start */
  polls: { offset: number; request: RecordedRequest }[];
  /** the window repeats every windowMs (a multiple of every poll interval) */
  windowMs: number;
  /** from the end of the first render to the window's start */
  leadMs: number;
}

/** A query's first poll fires LIVE_FAST_MS (3 s) after its first fetch, and the first render's queries start
 *  together (one commit, or the layout's and then the page's): a call that starts more than this after the
 *  page's first tRPC call is a poll, not part of the first render. Measured from the first call, not the
 *  document: on a busy machine the scripts can take seconds to arrive and run. */
const FIRST_RENDER_MS = 2_500;

function kindOf(url: URL, type: string | undefined, origin: string): RequestKind {
  if (url.origin !== origin) return "other";
  if (type === "Document") return "document";
  if (url.pathname.startsWith("/api/trpc/")) return "trpc";
  if (type === "Script") return "script";
  if (type === "Stylesheet") return "style";
  if (url.searchParams.has("_rsc")) return "prefetch";
  return "other";
}

interface Pending {
  url: URL;
  type?: string;
  method: string;
  headers: Record<string, string>;
  start: number;
  status: number;
  contentEncoding: string | null;
  decoded: number;
}

async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/**
 * Opens `path` in a fresh context signed in with `cookie`, waits for the network to go quiet, then (when
 * `pollWindowMs` is set) keeps the page open that long and records its polls.
 */
async function recordOne(
  browser: Browser,
  origin: string,
  cookie: string,
  name: string,
  path: string,
  pollWindowMs = 0,
): Promise<{ page: RecordedPage; polls: RecordedPolls }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const [cookieName, ...rest] = cookie.split("=");
    await context.addCookies([{ name: cookieName, value: rest.join("="), url: origin }]);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
    const pending = new Map<string, Pending>();
    const done: RecordedRequest[] = [];
    let t0 = 0; // CDP timestamps are seconds on a monotonic clock
    cdp.on("Network.requestWillBeSent", (e) => {
      if (!t0 && e.type === "Document") t0 = e.timestamp;
      const headers = Object.fromEntries(Object.entries(e.request.headers as Record<string, string>).filter(([k]) => k.toLowerCase() !== "cookie"));
      pending.set(e.requestId, { url: new URL(e.request.url), type: e.type, method: e.request.method, headers, start: e.timestamp, status: 0, contentEncoding: null, decoded: 0 });
    });
    cdp.on("Network.requestWillBeSentExtraInfo", (e) => {
      // the headers actually sent (accept-encoding, sec-fetch-*), which requestWillBeSent leaves out
      const p = pending.get(e.requestId);
      if (p) p.headers = Object.fromEntries(Object.entries(e.headers as Record<string, string>).filter(([k]) => k.toLowerCase() !== "cookie" && !k.startsWith(":")));
    });
    cdp.on("Network.responseReceived", (e) => {
      const p = pending.get(e.requestId);
      if (!p) return;
      p.status = e.response.status;
      const h = Object.fromEntries(Object.entries(e.response.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
      p.contentEncoding = h["content-encoding"] ?? null;
      p.type ??= e.type;
    });
    cdp.on("Network.dataReceived", (e) => {
      const p = pending.get(e.requestId);
      if (p) p.decoded += e.dataLength;
    });
    cdp.on("Network.loadingFinished", (e) => {
      const p = pending.get(e.requestId);
      if (!p) return;
      pending.delete(e.requestId);
      done.push({
        kind: kindOf(p.url, p.type, origin),
        method: p.method,
        path: p.url.pathname + p.url.search,
        headers: p.headers,
        status: p.status,
        start: (p.start - t0) * 1000,
        end: (e.timestamp - t0) * 1000,
        transferred: e.encodedDataLength,
        decoded: p.decoded,
        contentEncoding: p.contentEncoding,
      });
    });
    const response = await page.goto(origin + path, { waitUntil: "networkidle", timeout: 60_000 });
    if (!response?.ok()) throw new Error(`${name}: ${path} answered ${response?.status()}`);
    if (new URL(page.url()).pathname !== new URL(origin + path).pathname) throw new Error(`${name}: ${path} went to ${page.url()} (not signed in?)`);
    // On a busy machine the scripts can still be running when the network first goes quiet: wait for the
    // first render's calls then.
    if (!done.some((r) => r.kind === "trpc")) {
      await page.waitForResponse((r) => r.url().includes("/api/trpc/"), { timeout: 30_000 }).catch(() => {});
      await page.waitForLoadState("networkidle").catch(() => {});
      await page.waitForTimeout(500);
    }
    const firstRender = [...done];
    const firstCall = Math.min(...done.filter((r) => r.kind === "trpc").map((r) => r.start));
    if (!Number.isFinite(firstCall)) throw new Error(`${name}: the page made no tRPC call`);
    const inFirstRender = (r: RecordedRequest) => r.kind === "trpc" && r.start < firstCall + FIRST_RENDER_MS;
    const renderEnd = Math.max(...firstRender.filter((r) => inFirstRender(r) || r.kind === "document").map((r) => r.end));
    if (pollWindowMs) await page.waitForTimeout(pollWindowMs + 5_000);
    const byStart = (a: RecordedRequest, b: RecordedRequest) => a.start - b.start;
    const documentReq = firstRender.find((r) => r.kind === "document");
    if (!documentReq) throw new Error(`${name}: no document recorded`);
    const trpc = firstRender.filter(inFirstRender).sort(byStart);
    const failed = [documentReq, ...trpc].filter((r) => r.status !== 200);
    if (failed.length) throw new Error(`${name}: ${failed.map((r) => `${r.path.slice(0, 80)} → ${r.status}`).join(", ")}`);
    const recorded: RecordedPage = {
      name,
      path,
      document: documentReq,
      trpc,
      scripts: firstRender.filter((r) => r.kind === "script"),
      styles: firstRender.filter((r) => r.kind === "style"),
      other: firstRender.filter((r) => r.kind === "prefetch" || r.kind === "other"),
      browserMs: Math.max(documentReq.end, ...trpc.map((r) => r.end)),
    };
    // The window starts 1 s before the first poll and is a whole number of every poll interval long, so it
    // can be repeated; neither edge falls on a poll.
    const later = done.filter((r) => r.kind === "trpc" && !inFirstRender(r)).sort(byStart);
    const windowStart = later.length ? later[0].start - 1000 : renderEnd;
    const polls = later
      .filter((r) => r.start < windowStart + pollWindowMs)
      .map((request) => ({ offset: request.start - windowStart, request }));
    return { page: recorded, polls: { polls, windowMs: pollWindowMs, leadMs: Math.max(0, windowStart - renderEnd) } };
  } finally {
    await context.close();
  }
}

/** Records each page's first load; the first page (the overview) is also kept open `pollWindowMs` for its polls. */
export async function recordPages(
  origin: string,
  cookie: string,
  pages: { name: string; path: string }[],
  pollWindowMs: number,
): Promise<{ pages: RecordedPage[]; overviewPolls: RecordedPolls }> {
  return withBrowser(async (browser) => {
    const out: RecordedPage[] = [];
    let overviewPolls: RecordedPolls = { polls: [], windowMs: pollWindowMs, leadMs: 0 };
    for (const [i, p] of pages.entries()) {
      const once = () => recordOne(browser, origin, cookie, p.name, p.path, i === 0 ? pollWindowMs : 0);
      const r = await once().catch(once); // one more try: a busy machine can time a first visit out
      out.push(r.page);
      if (i === 0) overviewPolls = r.polls;
    }
    return { pages: out, overviewPolls };
  });
}

/** The procedures of a batched tRPC path ("/api/trpc/town.get,tick.history?batch=1…" → "town.get, tick.history"). */
export function proceduresOf(path: string): string {
  return decodeURIComponent(path.replace(/^\/api\/trpc\//, "").split("?")[0]).split(",").join(", ");
}

export function kB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}
