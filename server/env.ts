import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

// The environment, parsed once. Secrets that the operator did not give are generated on first run and kept
// in the git-ignored data folder (SPEC.md §3b), so `npm install && npm run dev` needs no configuration.

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
  GASTOWN_DATA_DIR: z.string().default(".data"),
  GASTOWN_DB_KIND: z.enum(["embedded", "postgres"]).optional(),
  BETTER_AUTH_SECRET: z.string().min(16).optional(),
  BETTER_AUTH_URL: z.string().url().optional(),
  CRON_SECRET: z.string().min(16).optional(),
  GASTOWN_TOKEN_KEY: z.string().min(32).optional(),
  SENTRY_DSN: z.string().optional(),
  GASTOWN_LOCAL_TICKER: z.enum(["0", "1"]).default("1"),
  GASTOWN_PUBLIC_URL: z.string().url().optional(),
  // Who may create an account (issue 13): anyone, invited addresses only, or nobody new. The first user of an
  // empty database can always sign up.
  GASTOWN_SIGNUP: z.enum(["open", "invite", "closed"]).default("open"),
  // How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the client is the TCP
  // peer). Rate limits key on the address this many hops from the right; a header a client wrote is ignored.
  GASTOWN_TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  // The logger's level (server/log.ts reads it itself, before the environment is parsed; here a typo fails the boot).
  LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])).optional(),
});

export type Env = z.infer<typeof EnvSchema> & {
  BETTER_AUTH_SECRET: string;
  CRON_SECRET: string;
  GASTOWN_TOKEN_KEY: string;
};

const SecretsSchema = z.object({
  BETTER_AUTH_SECRET: z.string().min(16),
  CRON_SECRET: z.string().min(16),
  GASTOWN_TOKEN_KEY: z.string().min(32),
});
export type GeneratedSecrets = z.infer<typeof SecretsSchema>;

/** Reads `<dataDir>/secrets.json`, creating it (mode 0600) with fresh random secrets when missing. */
export function loadOrCreateSecrets(dataDir: string): GeneratedSecrets {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) {
    const parsed = SecretsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) return parsed.data;
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: GeneratedSecrets = {
    BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
    CRON_SECRET: randomBytes(32).toString("base64url"),
    GASTOWN_TOKEN_KEY: randomBytes(48).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  return secrets;
}

let cached: Env | undefined;

export function getEnv(): Env {
  if (cached) return cached;
  const parsed = EnvSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Invalid environment: ${z.prettifyError(parsed.error)}`);
  }
  const base = parsed.data;
  const needsGenerated = !base.BETTER_AUTH_SECRET || !base.CRON_SECRET || !base.GASTOWN_TOKEN_KEY;
  const generated = needsGenerated ? loadOrCreateSecrets(base.GASTOWN_DATA_DIR) : undefined;
  cached = {
    ...base,
    BETTER_AUTH_SECRET: base.BETTER_AUTH_SECRET ?? generated!.BETTER_AUTH_SECRET,
    CRON_SECRET: base.CRON_SECRET ?? generated!.CRON_SECRET,
    GASTOWN_TOKEN_KEY: base.GASTOWN_TOKEN_KEY ?? generated!.GASTOWN_TOKEN_KEY,
  };
  return cached;
}
