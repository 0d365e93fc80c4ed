import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { withSentryConfig } from "@sentry/nextjs/config"; // v11: not exported from "@sentry/nextjs"

// A git worktree may share another checkout's node_modules through a symlink. Turbopack resolves only inside
// its root, so a build there fails ("Could not find the Next.js package"); widen the root to the directory
// holding both. A normal checkout (node_modules is a real folder) keeps Next's default.
const here = path.dirname(fileURLToPath(import.meta.url));
const sharedRoot = (() => {
  const link = path.join(here, "node_modules");
  if (!existsSync(link)) return undefined;
  const real = path.dirname(realpathSync(link));
  if (real === here) return undefined;
  let root = here;
  while (!(real + path.sep).startsWith(root + path.sep) && path.dirname(root) !== root) root = path.dirname(root);
  return root;
})();

const dev = process.env.NODE_ENV !== "production";
const sentryOrigin = (() => {
  try {
    return process.env.NEXT_PUBLIC_SENTRY_DSN ? new URL(process.env.NEXT_PUBLIC_SENTRY_DSN).origin : "";
  } catch {
    return "";
  }
})();

// Security headers on every response (CSP with frame-ancestors, referrer policy, no sniffing).
// Next's own bootstrap scripts are inline, hence 'unsafe-inline' for scripts; dev mode also needs eval.
const csp = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  `connect-src 'self'${sentryOrigin ? ` ${sentryOrigin}` : ""}${dev ? " ws: wss:" : ""}`,
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");

/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "@electric-sql/pglite", "@electric-sql/pglite-socket"],
  poweredByHeader: false,
  ...(sharedRoot ? { turbopack: { root: sharedRoot }, outputFileTracingRoot: sharedRoot } : {}),
  // `next dev` serves its client bundles only to these hosts: people open 127.0.0.1 or [::1] as often as
  // localhost, and a page whose scripts are refused never hydrates (issue 13).
  allowedDevOrigins: ["localhost", "127.0.0.1", "[::1]"],
  // The type check runs once, as its own step of `npm test` (scripts/test.mjs), not again inside every build.
  typescript: { ignoreBuildErrors: true },
  // A town's page shells are rendered on first visit and cached (app/(dashboard)/towns/[townId]/layout.tsx).
  // In memory only (Next's LRU, 50 MB by default): one entry per town and page would otherwise pile up in
  // .next/ on disk for ever, and a read-only deployment could not write them at all.
  experimental: { isrFlushToDisk: false },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "Content-Security-Policy", value: csp },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
    ];
  },
};

export default withSentryConfig(nextConfig, {
  silent: true,
  telemetry: false, // the build plugin would otherwise report to sentry.io
  sourcemaps: { disable: true }, // no upload: no auth token, no network
});
