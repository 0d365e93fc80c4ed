import * as Sentry from "@sentry/nextjs";

// Sentry on the server, for errors: initialised only with SENTRY_DSN. Without a DSN it is not initialised at
// all — an initialised SDK registers an OpenTelemetry tracer, and Next then builds spans for every request
// (issue 7: about a tenth of a polled request's CPU), which nobody would receive. With a DSN, tracing (and
// so the tracer) stays off unless SENTRY_TRACES_SAMPLE_RATE asks for it. Every event passes the secrets
// redactor first (SPEC.md §5: message, exception values, breadcrumbs, tags, extra).
export async function register() {
  const dsn = process.env.SENTRY_DSN;
  if (dsn) {
    const tracesSampleRate = Number(process.env.SENTRY_TRACES_SAMPLE_RATE ?? 0);
    const { scrubSentryEvent } = process.env.NEXT_RUNTIME === "edge" ? { scrubSentryEvent: undefined } : await import("./server/secrets/sentry");
    Sentry.init({
      dsn,
      ...(scrubSentryEvent ? { beforeSend: scrubSentryEvent } : {}),
      ...(tracesSampleRate > 0 ? { tracesSampleRate } : { enableOpenTelemetrySetup: false }),
    });
  }
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startBackgroundServices } = await import("./server/startup");
    await startBackgroundServices();
  }
}

export const onRequestError = Sentry.captureRequestError;
