// Background services started once per server process (from instrumentation.ts). The in-process ticker
// lands with the tick pipeline; for now this only validates the environment early so a misconfiguration
// fails at boot with a clear message instead of on the first request.
import { getEnv } from "./env";

export async function startBackgroundServices() {
  getEnv();
}
