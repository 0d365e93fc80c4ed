import { randomBytes, randomUUID } from "node:crypto";
import type { PrismaClient } from "../db/generated/client";
import type { Db } from "../db/client";
import { webhookEventsForMr, type WebhookEvent } from "../domain/pr-webhook";
import type { BeadStatus } from "../domain/types";
import { LABELS } from "../domain/constants";
import { getEnv } from "../env";
import { parsePrUrl, parseRepoUrl } from "../adapters/github/types";
import {
  parseDeliveryHeaders,
  parseDeliveryPayload,
  verifyWebhookSignature,
  WEBHOOK_EVENTS,
  WebhookPayloadError,
  type ParsedDelivery,
} from "../adapters/github/webhook";
import { enqueueEventsInTx } from "../tick/enqueue";
import { safeEffectiveSettings } from "../tick/load-world";
import { githubWebUrl } from "./github-url";
import { inTransaction, writeAudit } from "./people-writes";
import { makeTownDue } from "./towns";
import { maskForDisplay } from "./settings";

// GitHub webhooks (issue 16): `POST /api/github/webhook?town=<town id>`. One secret per town: the URL names
// the town, so exactly one secret applies and a repository shared by several towns is configured once per
// town (each hook signs with its own town's secret, and each town gets only its own deliveries' events).
//
// A delivery is verified on its raw body before anything is parsed; then the facts about pull requests
// become the events polling would produce (server/domain/pr-webhook.ts), queued through the one enqueue
// path in the same transaction as the delivery row, whose (town, X-GitHub-Delivery) key is unique — so a
// redelivery queues nothing twice, and a failed enqueue leaves no row and GitHub's retry is processed.

/** Delivery rows are kept this long: enough to dedupe GitHub's redeliveries and show the recent ones. */
export const WEBHOOK_DELIVERY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface WebhookResponse {
  status: 200 | 202 | 400 | 401 | 415;
  body: { ok: boolean; message: string; duplicate?: boolean; eventsEnqueued?: number };
}

const reply = (status: WebhookResponse["status"], message: string, extra: Partial<WebhookResponse["body"]> = {}): WebhookResponse => ({
  status,
  body: { ok: status < 300, message, ...extra },
});

const TownIdParam = /^[A-Za-z0-9_-]{1,64}$/;

/** One webhook delivery, start to end: verify, parse, map, dedupe, enqueue. Never throws on bad input. */
export async function receiveGitHubWebhook(
  db: PrismaClient,
  input: { townId: string | null; headers: Headers; rawBody: string },
  now = new Date(),
): Promise<WebhookResponse> {
  // The same answer for an unknown town, a town without a secret and a wrong signature: nobody learns
  // which towns exist by probing this endpoint.
  const unauthorized = reply(401, "The signature (X-Hub-Signature-256) does not match this town's webhook secret.");
  if (!input.townId || !TownIdParam.test(input.townId)) return reply(400, "The webhook URL must name the town: /api/github/webhook?town=<town id> (copy it from the town's Settings).");
  const townId = input.townId;
  const hook = await db.githubWebhook.findUnique({ where: { townId } });
  if (!hook || !(await verifyWebhookSignature(hook.secret, input.rawBody, input.headers.get("x-hub-signature-256")))) return unauthorized;

  const headers = parseDeliveryHeaders(input.headers);
  if (!headers.ok) return reply(400, headers.message);
  const { event, deliveryId } = headers.value;
  const contentType = (input.headers.get("content-type") ?? "").toLowerCase();
  if (contentType.includes("application/x-www-form-urlencoded")) {
    return reply(415, "Set the webhook's content type to application/json on GitHub.");
  }
  let payload: unknown;
  try {
    payload = JSON.parse(input.rawBody);
  } catch {
    return reply(400, "The body is not JSON; set the webhook's content type to application/json.");
  }

  let delivery: ParsedDelivery;
  try {
    delivery = parseDeliveryPayload(event, payload);
  } catch (error) {
    if (error instanceof WebhookPayloadError) return reply(400, error.message);
    throw error;
  }

  const routed = event === "ping" ? null : await routeToMrs(db, townId, delivery, now);
  const detail =
    event === "ping"
      ? "ping: the webhook is set up"
      : routed!.rigIds.length === 0
        ? `no rig of this town has the repository ${delivery.repo ?? "(none)"}`
        : delivery.ignored ?? (routed!.events.length === 0 && routed!.pollMrIds.length === 0 ? "no MR in progress matches the pull request" : routed!.summary);
  const events = routed?.events ?? [];
  const pollMrIds = routed?.pollMrIds ?? [];
  const result = events.length > 0 || pollMrIds.length > 0 ? "enqueued" : "ignored";

  const outcome = await inTransaction(db, async (tx) => {
    const prNumbers = [...new Set(delivery.facts.map((f) => f.number))];
    const inserted = await tx.$queryRaw<Array<{ id: string }>>`
      INSERT INTO github_webhook_deliveries (id, town_id, delivery_id, event, action, repo, pr_numbers, rig_ids, poll_mr_ids, result, detail, events_enqueued, received_at)
      VALUES (${randomUUID()}, ${townId}, ${deliveryId}, ${event}, ${delivery.action}, ${delivery.repo}, ${prNumbers}::int[], ${routed?.rigIds ?? []}::text[],
              ${pollMrIds}::text[], ${result}, ${detail}, ${events.length}, ${now})
      ON CONFLICT (town_id, delivery_id) DO NOTHING
      RETURNING id`;
    if (inserted.length === 0) return "duplicate" as const;
    if (events.length > 0) await enqueueEventsInTx(tx, townId, events, now);
    else if (pollMrIds.length > 0) await makeTownDue(tx, townId, now);
    await tx.githubWebhookDelivery.deleteMany({ where: { townId, receivedAt: { lt: new Date(now.getTime() - WEBHOOK_DELIVERY_RETENTION_MS) } } });
    return "recorded" as const;
  });

  if (outcome === "duplicate") return reply(200, `Delivery ${deliveryId} was received before; nothing queued again.`, { duplicate: true, eventsEnqueued: 0 });
  if (event === "ping") return reply(200, "pong: the webhook reaches this town.");
  return reply(result === "enqueued" ? 200 : 202, detail, { eventsEnqueued: events.length });
}

interface Routed {
  rigIds: string[];
  events: WebhookEvent[];
  pollMrIds: string[];
  summary: string;
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The town's rigs of the delivery's repository, its MRs of the delivery's PRs, and what each MR gets. */
async function routeToMrs(db: Db, townId: string, delivery: ParsedDelivery, now: Date): Promise<Routed> {
  const none: Routed = { rigIds: [], events: [], pollMrIds: [], summary: "" };
  if (!delivery.repo || !(WEBHOOK_EVENTS as readonly string[]).includes(delivery.event)) return none;
  const [owner, repo] = delivery.repo.split("/");
  const webUrl = githubWebUrl();
  const rigs = (await db.rig.findMany({ where: { townId }, select: { id: true, gitUrl: true, config: true } })).filter((r) => {
    const ref = parseRepoUrl(r.gitUrl, webUrl);
    return ref !== null && sameName(ref.owner, owner) && sameName(ref.repo, repo);
  });
  if (rigs.length === 0) return none;
  const routed: Routed = { ...none, rigIds: rigs.map((r) => r.id) };
  if (delivery.facts.length === 0) return routed;

  const numbers = new Set(delivery.facts.map((f) => f.number));
  const [settingsRow, mrs] = await Promise.all([
    db.townSettings.findUnique({ where: { townId }, select: { config: true } }),
    db.bead.findMany({
      where: { townId, type: "merge_request", status: { in: ["open", "in_progress"] }, rigId: { in: routed.rigIds }, review: { prUrl: { not: null } } },
      select: { id: true, status: true, rigId: true, review: { select: { prUrl: true, branch: true, autoMergeReadySince: true } } },
    }),
  ]);
  const feedbackBlocked = new Set(
    (
      await db.bead.findMany({
        where: {
          townId,
          status: { notIn: ["closed", "failed"] },
          labels: { array_contains: [LABELS.prFeedback] },
          dependents: { some: { dependencyType: "blocks", beadId: { in: mrs.map((m) => m.id) } } },
        },
        select: { dependents: { where: { dependencyType: "blocks" }, select: { beadId: true } } },
      })
    ).flatMap((f) => f.dependents.map((d) => d.beadId)),
  );

  const described: string[] = [];
  for (const mr of mrs) {
    const ref = mr.review?.prUrl ? parsePrUrl(mr.review.prUrl, webUrl) : null;
    if (!ref || !sameName(ref.owner, owner) || !sameName(ref.repo, repo) || !numbers.has(ref.number)) continue;
    const rig = rigs.find((r) => r.id === mr.rigId);
    const decision = webhookEventsForMr(
      delivery.facts,
      {
        mrBeadId: mr.id,
        status: mr.status as BeadStatus,
        prUrl: mr.review!.prUrl!,
        prNumber: ref.number,
        repo: `${ref.owner}/${ref.repo}`,
        branch: mr.review!.branch,
        autoResolvePrFeedback: safeEffectiveSettings(settingsRow?.config ?? {}, rig?.config ?? {}).autoResolvePrFeedback === true,
        autoMergeReadySince: mr.review!.autoMergeReadySince,
        hasOpenFeedbackBead: feedbackBlocked.has(mr.id),
      },
      now,
    );
    routed.events.push(...decision.events);
    if (decision.poll) routed.pollMrIds.push(mr.id);
    if (decision.events.length || decision.poll) {
      described.push(`MR ${mr.id}: ${[...decision.events.map((e) => e.eventType), ...(decision.poll ? ["poll at the next tick"] : [])].join(", ")}`);
    }
  }
  routed.summary = described.join("; ");
  return routed;
}

// ------------------------------------------------------------------------------------------ settings

/** The webhook URL's base: the app's public URL when configured; else the page uses its own origin. */
function configuredBaseUrl(): string | null {
  const env = getEnv();
  const base = env.BETTER_AUTH_URL ?? env.GASTOWN_PUBLIC_URL ?? null;
  return base ? base.replace(/\/+$/, "") : null;
}

/** What the settings page shows: where to point GitHub, which events, the secret (masked), the last delivery. */
export async function getWebhookSettings(db: Db, townId: string) {
  const [hook, last, recent] = await Promise.all([
    db.githubWebhook.findUnique({ where: { townId } }),
    db.githubWebhookDelivery.findFirst({ where: { townId }, orderBy: { receivedAt: "desc" } }),
    db.githubWebhookDelivery.count({ where: { townId, receivedAt: { gte: new Date(Date.now() - 24 * 60 * 60 * 1000) } } }),
  ]);
  return {
    path: `/api/github/webhook?town=${encodeURIComponent(townId)}`,
    baseUrl: configuredBaseUrl(),
    contentType: "application/json" as const,
    events: [...WEBHOOK_EVENTS],
    secret: hook ? { masked: maskForDisplay(hook.secret), createdAt: hook.createdAt } : null,
    lastDelivery: last
      ? { receivedAt: last.receivedAt, event: last.action ? `${last.event}.${last.action}` : last.event, result: last.result, detail: last.detail, eventsEnqueued: last.eventsEnqueued }
      : null,
    deliveriesLast24h: recent,
  };
}

/**
 * Owner-only: a new secret (the first one, or a rotation). Returned in full this once; every later read is
 * masked. After a rotation GitHub's deliveries fail (401) until the new secret is pasted there.
 */
export async function rotateWebhookSecret(db: PrismaClient, townId: string, actorUserId: string, now = new Date()) {
  const secret = randomBytes(32).toString("hex");
  const rotated = await inTransaction(db, async (tx) => {
    const before = await tx.githubWebhook.findUnique({ where: { townId }, select: { townId: true } });
    await tx.githubWebhook.upsert({
      where: { townId },
      create: { townId, secret, createdAt: now, createdByUserId: actorUserId },
      update: { secret, createdAt: now, createdByUserId: actorUserId },
    });
    // The audit row names the change, never the value.
    await writeAudit(tx, townId, actorUserId, { action: before ? "github_webhook.rotate_secret" : "github_webhook.create_secret", targetType: "github_webhook", targetId: townId }, now);
    return before !== null;
  });
  return { secret, rotated, createdAt: now };
}
