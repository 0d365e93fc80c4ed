import { z } from "zod";
import type { Db } from "../db/client";
import type { PrismaClient } from "../db/generated/client";
import { prismaSqlClient } from "../db/prisma-sql";
import { DomainError } from "../domain/errors";
import {
  ChannelTypeSchema,
  channelUrlProblem,
  maskUrl,
  MAX_DELIVERY_ATTEMPTS,
  MinSeveritySchema,
  OutboundKindSchema,
  storedMessage,
} from "../domain/notify";
import { isMaskedSecret } from "../domain/settings";
import { getEnv } from "../env";
import { forgetTownSecrets } from "../secrets/town-secrets";
import { deliverNotifications, type DeliveryOutcome } from "../tick/outbox";
import { publicApiUrl } from "../tick/deps";
import { inTransaction, writeAudit, type Tx } from "./people-writes";
import { maskForDisplay } from "./settings";

// Notifications out (issue 16): a town's channels and their delivery log. Owners add, change, test and
// delete channels; every member reads them with the URL and the signing secret masked (like the other
// settings secrets: write-only, a masked value sent back keeps the stored one, audit rows name what changed,
// never a value). What a channel receives is written to the outbox by the state changes themselves
// (server/tick/outbox.ts); this file never sends anything but the owner's test message.

export const MAX_CHANNELS_PER_TOWN = 20;
const SECRET_MIN = 16;

const NameSchema = z.string().trim().min(1, "Give the channel a name.").max(80);
const UrlSchema = z.string().trim().min(1, "Paste the channel's URL.").max(2000);
const SecretSchema = z.string().min(SECRET_MIN, `A signing secret has at least ${SECRET_MIN} characters.`).max(256);
const KindsSchema = z.array(OutboundKindSchema).min(1, "Choose at least one thing to send.").max(10);

export const ChannelCreateSchema = z.strictObject({
  type: ChannelTypeSchema,
  name: NameSchema,
  url: UrlSchema,
  /** generic webhooks only: the HMAC-SHA256 key (receivers verify X-Gastown-Signature-256 with it) */
  secret: SecretSchema.optional(),
  kinds: KindsSchema,
  minSeverity: MinSeveritySchema.default("high"),
});
export type ChannelCreate = z.infer<typeof ChannelCreateSchema>;

export const ChannelUpdateSchema = z.strictObject({
  name: NameSchema.optional(),
  /** a masked URL (as read) keeps the stored one */
  url: UrlSchema.optional(),
  /** a masked secret (as read) keeps the stored one */
  secret: z.string().max(256).optional(),
  kinds: KindsSchema.optional(),
  minSeverity: MinSeveritySchema.optional(),
});
export type ChannelUpdate = z.infer<typeof ChannelUpdateSchema>;

type ChannelRow = {
  id: string;
  type: string;
  name: string;
  url: string;
  secret: string | null;
  kinds: string[];
  minSeverity: string;
  createdAt: Date;
  updatedAt: Date;
};

/** A channel as every reader sees it: URL and secret masked. */
function maskChannel(c: ChannelRow) {
  return {
    id: c.id,
    type: c.type as "slack" | "webhook",
    name: c.name,
    url: maskUrl(c.url),
    secret: c.secret ? maskForDisplay(c.secret) : null,
    kinds: c.kinds,
    minSeverity: c.minSeverity,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

function checkUrl(url: string) {
  // Plain http to a loopback host serves local receivers in development and tests, never in production.
  const problem = channelUrlProblem(url, { allowLoopbackHttp: getEnv().NODE_ENV !== "production" });
  if (problem) throw new DomainError("bad_request", problem);
}

export async function listChannels(db: Db, townId: string) {
  const rows = await db.notificationChannel.findMany({ where: { townId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return { channels: rows.map(maskChannel), maxAttempts: MAX_DELIVERY_ATTEMPTS };
}

export async function createChannel(db: PrismaClient, townId: string, actorUserId: string, input: ChannelCreate, now = new Date()) {
  checkUrl(input.url);
  if (input.type === "webhook" && !input.secret) throw new DomainError("bad_request", `A webhook needs a signing secret (at least ${SECRET_MIN} characters); receivers verify X-Gastown-Signature-256 with it.`);
  if (input.type === "slack" && input.secret) throw new DomainError("bad_request", "A Slack incoming webhook has no signing secret; leave it empty.");
  const channel = await inTransaction(db, async (tx) => {
    if ((await tx.notificationChannel.count({ where: { townId } })) >= MAX_CHANNELS_PER_TOWN)
      throw new DomainError("bad_request", `A town has at most ${MAX_CHANNELS_PER_TOWN} channels; delete one first.`);
    const created = await tx.notificationChannel.create({
      data: { townId, type: input.type, name: input.name, url: input.url, secret: input.secret ?? null, kinds: input.kinds, minSeverity: input.minSeverity, createdAt: now, updatedAt: now },
    });
    await writeAudit(tx, townId, actorUserId, { action: "notification_channel_created", targetType: "notification_channel", targetId: created.id, detail: { type: input.type, name: input.name, kinds: input.kinds, min_severity: input.minSeverity } }, now);
    return created;
  });
  forgetTownSecrets(townId); // the redactor learns the new URL and secret
  return maskChannel(channel);
}

async function getChannelOrThrow(tx: Tx, townId: string, channelId: string) {
  const channel = await tx.notificationChannel.findFirst({ where: { id: channelId, townId } });
  if (!channel) throw new DomainError("not_found", "No such channel in this town (it may have been deleted).");
  return channel;
}

export async function updateChannel(db: PrismaClient, townId: string, actorUserId: string, channelId: string, patch: ChannelUpdate, now = new Date()) {
  const channel = await inTransaction(db, async (tx) => {
    const current = await getChannelOrThrow(tx, townId, channelId);
    const data: Record<string, unknown> = { updatedAt: now };
    const changed: string[] = [];
    if (patch.name !== undefined && patch.name !== current.name) (data.name = patch.name), changed.push("name");
    if (patch.kinds !== undefined) (data.kinds = patch.kinds), changed.push("kinds");
    if (patch.minSeverity !== undefined) (data.minSeverity = patch.minSeverity), changed.push("min_severity");
    if (patch.url !== undefined && !isMaskedSecret(patch.url) && patch.url !== maskUrl(current.url)) {
      checkUrl(patch.url);
      data.url = patch.url;
      changed.push("url");
    }
    if (patch.secret !== undefined && !isMaskedSecret(patch.secret)) {
      if (current.type !== "webhook") throw new DomainError("bad_request", "A Slack incoming webhook has no signing secret.");
      if (patch.secret.length < SECRET_MIN) throw new DomainError("bad_request", `A signing secret has at least ${SECRET_MIN} characters.`);
      data.secret = patch.secret;
      changed.push("secret");
    }
    const updated = await tx.notificationChannel.update({ where: { id: current.id }, data });
    await writeAudit(tx, townId, actorUserId, { action: "notification_channel_updated", targetType: "notification_channel", targetId: current.id, detail: { changed } }, now);
    return updated;
  });
  forgetTownSecrets(townId);
  return maskChannel(channel);
}

export async function deleteChannel(db: PrismaClient, townId: string, actorUserId: string, channelId: string, now = new Date()) {
  await inTransaction(db, async (tx) => {
    const current = await getChannelOrThrow(tx, townId, channelId);
    // Its outbox rows go with it (cascade): nothing is left to send to a channel that no longer exists.
    await tx.notificationChannel.delete({ where: { id: current.id } });
    await writeAudit(tx, townId, actorUserId, { action: "notification_channel_deleted", targetType: "notification_channel", targetId: current.id, detail: { type: current.type, name: current.name } }, now);
  });
  forgetTownSecrets(townId);
  return { deleted: true as const };
}

/** The owner's test: an outbox row like any other (so it shows on the delivery log and is retried like
 *  any other), sent at once; the answer says what the receiver said. */
export async function sendTestMessage(db: PrismaClient, townId: string, channelId: string, now = new Date()): Promise<DeliveryOutcome> {
  const channel = await getChannelOrThrow(db as unknown as Tx, townId, channelId);
  const row = await db.notificationDelivery.create({
    data: {
      townId,
      channelId: channel.id,
      kind: "test",
      message: storedMessage({ title: "Test message from Gastown", text: `This channel ("${channel.name}") is set up: notifications of this town will arrive here.`, beadId: null, eventId: null }),
      nextAttemptAt: now,
      createdAt: now,
    },
  });
  const [outcome] = await deliverNotifications(prismaSqlClient(db as unknown as Tx), { now, deliveryIds: [row.id], appUrl: appUrl() });
  if (!outcome) throw new DomainError("conflict", "The test message is being sent by another process; see the delivery log.");
  return outcome;
}

function appUrl(): string | null {
  try {
    return publicApiUrl();
  } catch {
    return null;
  }
}

export const DELIVERY_STATES = ["pending", "delivered", "failed"] as const;

/** The town's delivery log: the latest outbox rows (one per message and channel) with their last attempt. */
export async function listDeliveries(db: Db, townId: string, input: { limit: number; channelId?: string }) {
  const rows = await db.notificationDelivery.findMany({
    where: { townId, ...(input.channelId ? { channelId: input.channelId } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit,
    include: { channel: { select: { name: true, type: true } } },
  });
  return {
    maxAttempts: MAX_DELIVERY_ATTEMPTS,
    items: rows.map((r) => ({
      id: r.id,
      channelId: r.channelId,
      channelName: r.channel.name,
      channelType: r.channel.type,
      kind: r.kind,
      severity: r.severity,
      title: storedTitle(r.message),
      status: r.status as (typeof DELIVERY_STATES)[number],
      attempts: r.attempts,
      nextAttemptAt: r.status === "pending" ? r.nextAttemptAt : null,
      lastAttemptAt: r.lastAttemptAt,
      lastStatusCode: r.lastStatusCode,
      lastError: r.lastError,
      deliveredAt: r.deliveredAt,
      createdAt: r.createdAt,
    })),
  };
}

function storedTitle(message: unknown): string {
  const m = message as { title?: unknown } | null;
  return typeof m?.title === "string" ? m.title : "";
}
