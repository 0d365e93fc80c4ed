import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import autocannon from "autocannon";
import { percentile } from "./stats";

// The page latencies: `next start` (a production build) on a free loopback port, a user signed up through
// better-auth, then autocannon with N concurrent connections against one tRPC GET (superjson, batched the way
// the browser's httpBatchLink sends it). p50/p95 are computed from every response time autocannon reports.

export const ROOT = path.resolve(import.meta.dirname, "..");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function hasBuild(): boolean {
  return existsSync(path.join(ROOT, ".next", "BUILD_ID"));
}

export function buildApp(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "build"], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`next build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface AppServer {
  url: string;
  /** the server's pid, also its process group's id (it is started detached): its CPU is read from /proc */
  pid: number;
  stop(): Promise<void>;
}

export async function startApp(databaseUrl: string): Promise<AppServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Own process group, so stop() ends the server and any worker it forked, and nothing else.
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      GASTOWN_LOCAL_TICKER: "0",
      BETTER_AUTH_URL: url,
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  let log = "";
  child.stdout?.on("data", (c) => (log += c));
  child.stderr?.on("data", (c) => (log += c));
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(`${url}/api/trpc/health`);
      if (res.ok) return { url, pid: child.pid!, stop };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`next start did not answer within 60 s:\n${log}`);
}

/** Signs a new user up through better-auth and returns the session cookie. */
export async function signUp(url: string, email: string): Promise<{ cookie: string; userId: string }> {
  const res = await fetch(`${url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ email, password: "bench-password-1", name: "Bench" }),
  });
  if (!res.ok) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const body = (await res.json()) as { user?: { id: string } };
  if (!cookie || !body.user?.id) throw new Error("sign-up returned no session cookie");
  return { cookie, userId: body.user.id };
}

/** The GET path of a batched tRPC query (what httpBatchLink sends for one or more queries). */
export function trpcBatchPath(calls: [procedure: string, input: unknown][]): string {
  const input = Object.fromEntries(calls.map(([, json], i) => [String(i), { json }]));
  return `/api/trpc/${calls.map(([p]) => p).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  p50: number;
  p95: number;
  rps: number;
}

export async function load(url: string, pathAndQuery: string, cookie: string, connections: number, durationS: number): Promise<LoadResult> {
  // sanity check first: a 401/404 would make the latency meaningless
  const probe = await fetch(`${url}${pathAndQuery}`, { headers: { cookie } });
  if (!probe.ok) throw new Error(`${pathAndQuery.slice(0, 80)} → ${probe.status}: ${(await probe.text()).slice(0, 500)}`);
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url: `${url}${pathAndQuery}`, connections, duration: durationS, headers: { cookie } }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  return {
    requests: times.length,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    rps: times.length / durationS,
  };
}
