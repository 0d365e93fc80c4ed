// Sentry in the browser, only when the build has a DSN (NEXT_PUBLIC_SENTRY_DSN, inlined at build time).
// Without one the SDK would only be initialised to send nothing, yet it is most of a big chunk every first
// visit downloads (issue 15: the overview's JavaScript). So it is imported on demand: with no DSN the import
// is dead code and not shipped; with one it loads right after the page's own scripts, and a router
// transition that starts before it has loaded is simply not traced.
type SentryModule = typeof import("@sentry/nextjs");

const dsn = process.env.NEXT_PUBLIC_SENTRY_DSN;
let sentry: SentryModule | null = null;

if (dsn) {
  void import("@sentry/nextjs").then((Sentry) => {
    Sentry.init({ dsn, tracesSampleRate: 0 });
    sentry = Sentry;
  });
}

export function onRouterTransitionStart(...args: Parameters<SentryModule["captureRouterTransitionStart"]>): void {
  sentry?.captureRouterTransitionStart(...args);
}
