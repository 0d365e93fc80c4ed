// Background services started once per server process (from instrumentation.ts): validate the environment
// early (a misconfiguration fails at boot with a clear message) and start the in-process ticker.
import { getEnv } from "./env";
import { installPeerAddressStamp } from "./auth/client-address";
import { getLogger } from "./log";

export async function startBackgroundServices() {
  const env = getEnv();
  // Rate limits key on the real client address: stamp each request with its TCP peer (server/auth/client-address.ts).
  installPeerAddressStamp();
  const ticker = env.GASTOWN_LOCAL_TICKER !== "0" && !!env.DATABASE_URL;
  if (ticker) {
    const { startTicker } = await import("./tick/ticker");
    startTicker();
  }
  getLogger().info({ ticker, database: env.GASTOWN_DB_KIND ?? (env.DATABASE_URL ? "postgres" : "none") }, "background services started");
}
