import { Webhooks } from "@octokit/webhooks";
import { z } from "zod";
import type { PrFact } from "../../domain/pr-webhook";

// GitHub webhook deliveries (issue 16): the signature check and the few payload fields we use. The
// signature is `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` with the hook's secret;
// it is checked by @octokit/webhooks (constant time) on the raw body *before* anything is parsed.
// Payload field names are GitHub's (see @octokit/openapi-webhooks-types); everything else in a payload
// is ignored, and a payload missing a field we use is a 400, never a guess.

/** The events the settings page asks to select; anything else is acknowledged and ignored. */
export const WEBHOOK_EVENTS = ["pull_request", "pull_request_review", "pull_request_review_comment", "check_suite", "check_run"] as const;

/** Whether `signature` (the X-Hub-Signature-256 header) signs `rawBody` with `secret`. Never throws. */
export async function verifyWebhookSignature(secret: string, rawBody: string, signature: string | null): Promise<boolean> {
  if (!secret || !signature || !signature.startsWith("sha256=")) return false;
  try {
    return await new Webhooks({ secret }).verify(rawBody, signature);
  } catch {
    return false; // a malformed signature (not hex, wrong length)
  }
}

/** `sha256=<hex>`: what GitHub sends. For tests and the bench, which deliver as GitHub would. */
export function signWebhookPayload(secret: string, rawBody: string): Promise<string> {
  return new Webhooks({ secret }).sign(rawBody);
}

export const DeliveryHeadersSchema = z.object({
  event: z.string().trim().min(1).max(100).regex(/^[a-z_]+$/, "X-GitHub-Event is not an event name"),
  deliveryId: z.string().trim().min(1).max(200),
});
export type DeliveryHeaders = z.infer<typeof DeliveryHeadersSchema>;

/** The X-GitHub-Event and X-GitHub-Delivery headers, or null with what is missing. */
export function parseDeliveryHeaders(headers: Headers): { ok: true; value: DeliveryHeaders } | { ok: false; message: string } {
  const parsed = DeliveryHeadersSchema.safeParse({ event: headers.get("x-github-event") ?? "", deliveryId: headers.get("x-github-delivery") ?? "" });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: `A GitHub delivery needs X-GitHub-Event and X-GitHub-Delivery headers (${z.prettifyError(parsed.error)}).` };
}

const PrNumber = z.number().int().positive().max(2_147_483_647);
const Repository = z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/) });
const PullRequestPayload = z.object({
  action: z.string(),
  repository: Repository,
  pull_request: z.object({ number: PrNumber, state: z.string(), merged: z.boolean().nullish() }),
});
const ReviewPayload = z.object({
  action: z.string(),
  repository: Repository,
  review: z.object({ state: z.string() }),
  pull_request: z.object({ number: PrNumber, state: z.string() }),
});
const ReviewCommentPayload = z.object({ action: z.string(), repository: Repository, pull_request: z.object({ number: PrNumber, state: z.string() }) });
const Check = z.object({ conclusion: z.string().nullish(), pull_requests: z.array(z.object({ number: PrNumber })).default([]) });
const CheckSuitePayload = z.object({ action: z.string(), repository: Repository, check_suite: Check });
const CheckRunPayload = z.object({ action: z.string(), repository: Repository, check_run: Check });
const AnyPayload = z.object({ action: z.string().optional(), repository: z.object({ full_name: z.string() }).optional() });

/** A check run counts as failing unless it concluded success or skipped — the poll's rule (DOMAIN.md §6.4). */
export function checkConclusionFails(conclusion: string | null | undefined): boolean {
  return conclusion != null && conclusion !== "success" && conclusion !== "skipped";
}

export interface ParsedDelivery {
  event: string;
  action: string | null;
  /** `owner/repo`, or null (a ping to an organization hook, an event without a repository). */
  repo: string | null;
  facts: PrFact[];
  /** Why nothing in it concerns a PR, when `facts` is empty. */
  ignored: string | null;
}

export class WebhookPayloadError extends Error {}

function parse<T>(schema: z.ZodType<T>, payload: unknown, event: string): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new WebhookPayloadError(`The ${event} payload is not what GitHub sends: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** What a delivery says about pull requests (`PrFact`s); throws WebhookPayloadError on a malformed payload. */
export function parseDeliveryPayload(event: string, payload: unknown): ParsedDelivery {
  const base = parse(AnyPayload, payload, event);
  const out = (repo: string | null, facts: PrFact[], ignored: string | null = null): ParsedDelivery => ({ event, action: base.action ?? null, repo, facts, ignored: facts.length ? null : ignored });

  switch (event) {
    case "pull_request": {
      const p = parse(PullRequestPayload, payload, event);
      const number = p.pull_request.number;
      if (p.action === "closed") return out(p.repository.full_name, [{ kind: "closed", number, merged: p.pull_request.merged === true }]);
      if (p.action === "synchronize") return out(p.repository.full_name, [{ kind: "head_changed", number }]);
      return out(p.repository.full_name, [], `pull_request ${p.action} changes nothing polling watches`);
    }
    case "pull_request_review": {
      const p = parse(ReviewPayload, payload, event);
      const number = p.pull_request.number;
      if (p.action !== "submitted" || p.pull_request.state !== "open") return out(p.repository.full_name, [], `pull_request_review ${p.action} on a ${p.pull_request.state} PR is ignored`);
      const state = p.review.state.toLowerCase();
      if (state === "changes_requested") return out(p.repository.full_name, [{ kind: "changes_requested", number }]);
      return out(p.repository.full_name, [{ kind: "needs_poll", number, why: `review ${state}` }]);
    }
    case "pull_request_review_comment": {
      const p = parse(ReviewCommentPayload, payload, event);
      // Whether a comment blocks is the poll's classifier's call (DOMAIN.md §6.4): poll that PR now.
      if (p.action !== "created" || p.pull_request.state !== "open") return out(p.repository.full_name, [], `pull_request_review_comment ${p.action} is ignored`);
      return out(p.repository.full_name, [{ kind: "needs_poll", number: p.pull_request.number, why: "review comment" }]);
    }
    case "check_suite":
    case "check_run": {
      const p =
        event === "check_suite"
          ? (({ check_suite, ...rest }) => ({ ...rest, check: check_suite }))(parse(CheckSuitePayload, payload, event))
          : (({ check_run, ...rest }) => ({ ...rest, check: check_run }))(parse(CheckRunPayload, payload, event));
      const check = p.check;
      if (p.action !== "completed") return out(p.repository.full_name, [], `${event} ${p.action} is ignored (only completed counts)`);
      // Fork PRs are not listed in pull_requests (GitHub's limitation): polling covers them.
      if (check.pull_requests.length === 0) return out(p.repository.full_name, [], `${event} completed for no pull request of this repository`);
      const failed = checkConclusionFails(check.conclusion);
      return out(
        p.repository.full_name,
        check.pull_requests.map(({ number }): PrFact => (failed ? { kind: "checks_failed", number } : { kind: "needs_poll", number, why: `${event} ${check.conclusion ?? "completed"}` })),
      );
    }
    default:
      return out(base.repository?.full_name ?? null, [], `${event} events are not used`);
  }
}
