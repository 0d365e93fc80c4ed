import { createRequire } from "node:module";
import path from "node:path";
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { z } from "zod";
import { REDACTED, type Redactor } from "./secrets/redact";
import { processRedactor } from "./secrets/town-secrets";

// The server's one logger (issue 16): pino, one JSON object per line in production (for an operator to search
// and ship), pretty lines in development. LOG_LEVEL sets the level (default info; warn under tests, so a
// test run stays readable). Child loggers carry the ids a line belongs to: per tick (town_id, tick_id), per
// agent-API request (town_id, agent_id, tool), per cron call (cron).
//
// Secrets never reach a log line (SPEC.md §5): the message, every format argument and every string of the
// fields, bindings and serialized errors pass the same redactor as Sentry events and stored texts
// (processRedactor: the operator's secrets, those of every town this process ticked lately, and the shapes
// of agent tokens, GitHub tokens, `Bearer …` values and URL passwords). Fields whose NAME says they are a
// credential (authorization, token, password, cookie, secret …) are censored whatever their value, by pino's
// own `redact` paths.

export type { Logger } from "pino";

export const LogLevelSchema = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);
export type LogLevel = z.infer<typeof LogLevelSchema>;

/** Keys censored by name, at the top level and one or two levels down (pino paths take no deeper wildcard). */
const SECRET_KEYS = ["authorization", "cookie", "set-cookie", "token", "password", "secret", "apiKey", "api_key", "accessToken", "access_token", "refreshToken", "refresh_token"];
export const REDACT_PATHS = [
  ...SECRET_KEYS.map((k) => `["${k}"]`),
  ...SECRET_KEYS.map((k) => `*["${k}"]`),
  ...SECRET_KEYS.map((k) => `*.*["${k}"]`),
];

export interface LoggerSetup {
  /** Default: LOG_LEVEL, else info (warn when NODE_ENV=test). */
  level?: string;
  /** Where lines go; default stdout (or the pretty transport in development). Tests pass a stream they read. */
  destination?: DestinationStream;
  /** Default: pino-pretty in development when it is installed; never under NODE_ENV=production or test. */
  pretty?: boolean;
  /** The redactor of the moment; default processRedactor (its secrets change as towns are ticked). */
  redactor?: () => Redactor;
  env?: NodeJS.ProcessEnv;
}

/** LOG_LEVEL parsed; a typo falls back to the default rather than silence the server (env.ts fails the boot on it). */
export function logLevelFrom(env: NodeJS.ProcessEnv): LogLevel {
  const parsed = LogLevelSchema.safeParse(env.LOG_LEVEL?.trim().toLowerCase());
  if (parsed.success) return parsed.data;
  return env.NODE_ENV === "test" ? "warn" : "info";
}

/** pino-pretty's path when it resolves from the app (it is a dev dependency: absent in a production install). */
function prettyTarget(): string | null {
  try {
    return createRequire(path.join(process.cwd(), "package.json")).resolve("pino-pretty");
  } catch {
    return null;
  }
}

/** Errors serialized by pino's own serializer, then made plain (nested causes included) and redacted. */
function errorSerializer(redactor: () => Redactor) {
  return (value: unknown) => {
    const serialized = pino.stdSerializers.err(value as Error);
    if (!serialized || typeof serialized !== "object") return typeof serialized === "string" ? redactor().text(serialized) : serialized;
    try {
      return redactor().deep(JSON.parse(JSON.stringify(serialized)) as unknown);
    } catch {
      return { type: "Error", message: REDACTED };
    }
  };
}

export function createLogger(setup: LoggerSetup = {}): Logger {
  const env = setup.env ?? process.env;
  const redactor = setup.redactor ?? (() => processRedactor());
  const level = setup.level ? LogLevelSchema.catch("info").parse(setup.level) : logLevelFrom(env);
  const production = env.NODE_ENV === "production";
  const wantPretty = setup.pretty ?? (!production && env.NODE_ENV !== "test" && !setup.destination);

  const options: LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: errorSerializer(redactor), error: errorSerializer(redactor) },
    hooks: {
      // The message and every argument, before pino formats them: strings through the redactor, plain
      // objects copied with every string redacted (errors are left to the err serializer).
      logMethod(args, method) {
        const r = redactor();
        const clean = (args as unknown[]).map((a) => (typeof a === "string" ? r.text(a) : a instanceof Error ? a : r.deep(a)));
        // `log.error(err)` alone: pino would take the error's own message as the line's message, unredacted.
        if (clean[0] instanceof Error && typeof clean[1] !== "string") clean.splice(1, 0, r.text(clean[0].message));
        return method.apply(this, clean as Parameters<typeof method>);
      },
    },
    formatters: {
      bindings: (bindings) => redactor().deep(bindings),
    },
  };

  if (wantPretty && !setup.destination) {
    const target = prettyTarget();
    if (target) {
      try {
        return redactingChildren(pino(options, pino.transport({ target, options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" } })), redactor);
      } catch {
        // a transport that cannot start (no worker threads …) must not stop the server: plain JSON instead
      }
    }
  }
  // JSON lines: the level as its name ("level":"error"), which log shippers and people read without a table.
  options.formatters = { ...options.formatters, level: (label) => ({ level: label }) };
  return redactingChildren(setup.destination ? pino(options, setup.destination) : pino(options), redactor);
}

/** A child's bindings are written once, when it is made, and pino's bindings formatter applies to the root's
 *  only: `child` itself redacts them (children inherit it from the root). */
function redactingChildren(logger: Logger, redactor: () => Redactor): Logger {
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redactor().deep(bindings), options);
  } as Logger["child"];
  return logger;
}

const globalForLog = globalThis as unknown as { __gastownLogger?: Logger };

/** The process's logger (one per process: Next's dev server re-evaluates modules, the transport must not multiply). */
export function getLogger(): Logger {
  globalForLog.__gastownLogger ??= createLogger();
  return globalForLog.__gastownLogger;
}
