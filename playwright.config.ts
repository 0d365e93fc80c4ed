import { defineConfig, devices } from "@playwright/test";

// E2E in Debian's Chromium (never a downloaded browser). `npm run test:e2e` (via scripts/with-db.mjs) provides
// DATABASE_URL; the web server is the production build (`next build` must have run).
const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  outputDir: "reports/e2e-artifacts",
  reporter: process.env.CI ? [["list"], ["json", { outputFile: "reports/e2e.json" }]] : [["list"]],
  use: { baseURL, trace: "off", screenshot: "only-on-failure" },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--headless",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
          ],
        },
      },
    },
  ],
  webServer: {
    command: `node node_modules/next/dist/bin/next start -p ${PORT} -H 127.0.0.1`,
    url: `${baseURL}/api/trpc/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      BETTER_AUTH_URL: baseURL,
      GASTOWN_LOCAL_TICKER: "0",
      // The operator's one runtime for the agents spec: the scripted test agent as a local process. Towns that
      // do not pick it have no runtime (there is no "default"), as before.
      GASTOWN_AGENT_COMMANDS: "test=node scripts/test-agent.mjs",
      GASTOWN_AGENT_WORK_ROOT: "reports/e2e-agents",
      GASTOWN_AGENT_STOP_GRACE_MS: "2000",
    },
  },
});
