import { getLogger, type Logger } from "../log";
import type { TickDeps } from "./types";

// How the tick reports a failure: one log line (the tick's child logger when there is one, so the line carries
// town_id and tick_id) and one Sentry report with the tags (town, agent, event, phase …). The logger redacts
// the message and the error (server/log.ts); Sentry events pass the same redactor (server/secrets/sentry.ts).

/** The logger of this tick or sweep, else the process's. */
export function tickLog(deps: Pick<TickDeps, "log">): Logger {
  return deps.log ?? getLogger();
}

/** Logged (what failed, the error and the tags not already bound) and reported to Sentry with the tags. */
export function reportError(deps: TickDeps, err: unknown, tags: Record<string, string>, what: string) {
  const log = tickLog(deps);
  const bound = log.bindings();
  const fields = Object.fromEntries(Object.entries(tags).filter(([k]) => !(k in bound)));
  log.error({ ...fields, err }, what);
  deps.captureException(err, tags);
}
