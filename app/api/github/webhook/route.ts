// POST /api/github/webhook?town=<town id> — GitHub's deliveries for one town (issue 16; README "GitHub
// webhooks"). Thin: the raw body is read once, as text, and handed over unparsed, because the signature
// (X-Hub-Signature-256) is over those exact bytes; verification, parsing and routing live in
// server/services/github-webhooks.ts. 401 bad/missing signature, 202 nothing to do, 200 queued/duplicate/ping.
import { getDb } from "@/server/db/client";
import { receiveGitHubWebhook } from "@/server/services/github-webhooks";

export const dynamic = "force-dynamic";

/** GitHub's payloads are capped at 25 MB; anything larger is not GitHub. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

export async function POST(req: Request): Promise<Response> {
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) return Response.json({ ok: false, message: "The delivery is larger than GitHub sends." }, { status: 413 });
  const rawBody = await req.text();
  const townId = new URL(req.url).searchParams.get("town");
  const res = await receiveGitHubWebhook(getDb(), { townId, headers: req.headers, rawBody });
  return Response.json(res.body, { status: res.status });
}
