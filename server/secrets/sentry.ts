import { processRedactor } from "./town-secrets";

// Sentry's `beforeSend` (instrumentation.ts): an event leaves the process only after its message, exception
// values, breadcrumbs, tags and extra data passed the redactor with every secret this process knows
// (SPEC.md §5). A scrubber that fails drops the event rather than send it unscrubbed.

export function scrubSentryEvent<E extends object>(event: E): E | null {
  try {
    return processRedactor().deep(event);
  } catch {
    return null;
  }
}
