import * as Sentry from "@sentry/nextjs";

// Sentry on the server: initialised from SENTRY_DSN; without it Sentry is a silent no-op.
export async function register() {
  Sentry.init({ dsn: process.env.SENTRY_DSN || undefined, tracesSampleRate: 0 });
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startBackgroundServices } = await import("./server/startup");
    await startBackgroundServices();
  }
}

export const onRequestError = Sentry.captureRequestError;
