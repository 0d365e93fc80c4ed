import * as Sentry from "@sentry/nextjs";

/** Errors reach Sentry once, tagged with town, event and action ids (STYLE.md #12). A no-op without a DSN. */
export function captureToSentry(err: unknown, tags: Record<string, string>): void {
  Sentry.captureException(err instanceof Error ? err : new Error(String(err)), { tags });
}
