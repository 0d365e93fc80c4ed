import { z } from "zod";
import { PRIORITIES, PrioritySchema, type Priority } from "./types";

// Notifications out (issue 16): what a town tells the outside world — a Slack incoming webhook or a signed
// JSON webhook — and how. Pure: the kinds, the message a state change produces, the bodies each channel type
// receives, the retry schedule, and the URL rule. Writing the outbox and POSTing live in server/tick/outbox.ts.

/** What a channel can choose to receive. `test` is the owner's "send a test" and is never chosen. */
export const OUTBOUND_KINDS = ["escalation", "poisoned_event", "breaker_opened", "breaker_closed", "mr_failed", "convoy_landed"] as const;
export const OutboundKindSchema = z.enum(OUTBOUND_KINDS);
export type OutboundKind = z.infer<typeof OutboundKindSchema>;
export type DeliveryKind = OutboundKind | "test";

export const OUTBOUND_KIND_LABELS: Record<DeliveryKind, string> = {
  escalation: "Escalations",
  poisoned_event: "Poisoned events",
  breaker_opened: "Circuit breaker opened",
  breaker_closed: "Circuit breaker closed",
  mr_failed: "Merge request failed",
  convoy_landed: "Convoy landed",
  test: "Test message",
};

export const CHANNEL_TYPES = ["slack", "webhook"] as const;
export const ChannelTypeSchema = z.enum(CHANNEL_TYPES);
export type ChannelType = z.infer<typeof ChannelTypeSchema>;

/** One message, as the state change that causes it writes it (one outbox row per matching channel). */
export interface OutboundMessage {
  kind: OutboundKind;
  /** escalations only: compared with each channel's minimum severity */
  severity: Priority | null;
  title: string;
  text: string;
  beadId: string | null;
  eventId: string | null;
  createdAt: Date;
}

/** The rank of a severity; an escalation goes to a channel when rank(severity) >= rank(min severity). */
export function severityRank(severity: Priority): number {
  return PRIORITIES.indexOf(severity);
}

export function channelWants(channel: { kinds: readonly string[]; minSeverity: Priority }, message: Pick<OutboundMessage, "kind" | "severity">): boolean {
  if (!channel.kinds.includes(message.kind)) return false;
  if (message.kind !== "escalation") return true;
  return severityRank(message.severity ?? "low") >= severityRank(channel.minSeverity);
}

// ------------------------------------------------------------------------------ messages by cause

const TITLE_MAX = 200;
const TEXT_MAX = 2_000;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function message(kind: OutboundKind, severity: Priority | null, title: string, text: string, refs: { beadId?: string | null; eventId?: string | null }, now: Date): OutboundMessage {
  return { kind, severity, title: clip(title, TITLE_MAX), text: clip(text, TEXT_MAX), beadId: refs.beadId ?? null, eventId: refs.eventId ?? null, createdAt: now };
}

export const outbound = {
  escalation: (bead: { id: string; title: string; body?: string | null }, severity: Priority, now: Date, note?: string) =>
    message("escalation", severity, `Escalation (${severity}): ${bead.title}`, note ?? bead.body ?? bead.title, { beadId: bead.id }, now),
  poisonedEvent: (event: { id: string; eventType: string; beadId: string | null }, text: string, now: Date) =>
    message("poisoned_event", null, `Event ${event.eventType} was poisoned`, text, { beadId: event.beadId, eventId: event.id }, now),
  breaker: (open: boolean, failures: number, windowMinutes: number, now: Date) =>
    open
      ? message("breaker_opened", null, "Dispatch circuit breaker opened", `${failures} dispatch failures in the last ${windowMinutes} minutes: no agents are dispatched until they drop below the threshold. Check the agent runtime.`, {}, now)
      : message("breaker_closed", null, "Dispatch circuit breaker closed", `Dispatch failures dropped below the threshold (${failures} in the last ${windowMinutes} minutes): agents are dispatched again.`, {}, now),
  mrFailed: (mr: { id: string; title: string }, reason: string, now: Date) =>
    message("mr_failed", null, `Merge request failed: ${mr.title}`, reason, { beadId: mr.id }, now),
  convoyLanded: (convoy: { id: string; title: string }, reason: string, now: Date) =>
    message("convoy_landed", null, `Convoy landed: ${convoy.title}`, reason, { beadId: convoy.id }, now),
};

// ------------------------------------------------------------------------------ what receivers get

/** The stored message of an outbox row (its `message` column). */
export const StoredMessageSchema = z.object({
  title: z.string(),
  text: z.string(),
  bead_id: z.string().nullable().default(null),
  event_id: z.string().nullable().default(null),
});
export type StoredMessage = z.infer<typeof StoredMessageSchema>;

export function storedMessage(m: Pick<OutboundMessage, "title" | "text" | "beadId" | "eventId">): StoredMessage {
  return { title: m.title, text: m.text, bead_id: m.beadId, event_id: m.eventId };
}

export interface DeliveryContext {
  deliveryId: string;
  townId: string;
  townName: string;
  kind: DeliveryKind;
  severity: Priority | null;
  message: StoredMessage;
  /** when the state change happened */
  occurredAt: Date;
  /** this attempt's time (also the X-Gastown-Timestamp header) */
  sentAt: Date;
  attempt: number;
  /** the app's public URL, for a link back; null when unknown */
  appUrl: string | null;
}

/** A link to the page that explains the message, when the app's URL is known. */
export function linkFor(ctx: Pick<DeliveryContext, "appUrl" | "townId" | "kind" | "message">): string | null {
  if (!ctx.appUrl) return null;
  const town = `${ctx.appUrl.replace(/\/+$/, "")}/towns/${encodeURIComponent(ctx.townId)}`;
  if (ctx.kind === "poisoned_event") return `${town}/poison`;
  if (ctx.kind === "escalation") return `${town}/escalations`;
  if (ctx.kind === "convoy_landed" && ctx.message.bead_id) return `${town}/convoys/${encodeURIComponent(ctx.message.bead_id)}`;
  if (ctx.message.bead_id) return `${town}/beads/${encodeURIComponent(ctx.message.bead_id)}`;
  return town;
}

/** The generic webhook's JSON body (README "Notifications"). Field names are snake_case, as on every wire. */
export function webhookBody(ctx: DeliveryContext) {
  return {
    id: ctx.deliveryId,
    kind: ctx.kind,
    severity: ctx.severity,
    town: { id: ctx.townId, name: ctx.townName },
    title: ctx.message.title,
    text: ctx.message.text,
    bead_id: ctx.message.bead_id,
    event_id: ctx.message.event_id,
    occurred_at: ctx.occurredAt.toISOString(),
    sent_at: ctx.sentAt.toISOString(),
    attempt: ctx.attempt,
    url: linkFor(ctx),
  };
}

/** Slack's mrkdwn treats &, < and > as control characters. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const SLACK_ICON: Record<DeliveryKind, string> = {
  escalation: ":rotating_light:",
  poisoned_event: ":skull_and_crossbones:",
  breaker_opened: ":no_entry:",
  breaker_closed: ":white_check_mark:",
  mr_failed: ":x:",
  convoy_landed: ":ship:",
  test: ":wave:",
};

/** A Slack incoming-webhook body: `text` (the notification's fallback) and `blocks` (what people see). */
export function slackBody(ctx: DeliveryContext) {
  const link = linkFor(ctx);
  const headline = `${SLACK_ICON[ctx.kind]} *${slackEscape(ctx.message.title)}*`;
  const context = [`Town *${slackEscape(ctx.townName)}*`, OUTBOUND_KIND_LABELS[ctx.kind], ...(ctx.severity ? [`severity ${ctx.severity}`] : [])].join(" · ");
  return {
    text: `${ctx.message.title} (${ctx.townName})`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `${headline}\n${slackEscape(ctx.message.text)}` } },
      { type: "context", elements: [{ type: "mrkdwn", text: link ? `${context} · <${link}|Open in Gastown>` : context }] },
    ],
  };
}

// ------------------------------------------------------------------------------ retries

/** Waits after failed attempt 1, 2, … : 30 s, 2 min, 10 min, 1 h, 6 h; the attempt after the last wait is
 *  the last (6 attempts in all over about 7 h 12 min). */
export const DELIVERY_BACKOFF_MS = [30_000, 120_000, 600_000, 3_600_000, 21_600_000] as const;
export const MAX_DELIVERY_ATTEMPTS = DELIVERY_BACKOFF_MS.length + 1;

/** When to try again after `attempts` failed attempts, or null when that was the last. */
export function nextAttemptAt(attempts: number, now: Date): Date | null {
  if (attempts < 1 || attempts >= MAX_DELIVERY_ATTEMPTS) return null;
  return new Date(now.getTime() + DELIVERY_BACKOFF_MS[attempts - 1]);
}

// ------------------------------------------------------------------------------ channel URLs

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Why a channel URL is refused, or null. HTTPS always; plain http only to a loopback host and only when
 *  `allowLoopbackHttp` (development and tests, where receivers are local servers). No credentials in the
 *  URL: a webhook's secret is its signing secret. */
export function channelUrlProblem(raw: string, opts: { allowLoopbackHttp: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "That is not a URL. Paste the full address, starting with https://.";
  }
  if (url.username || url.password) return "Put no user name or password in the URL; a webhook is authenticated by its signing secret.";
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) {
    return opts.allowLoopbackHttp ? null : "Plain http is allowed only to a loopback host (localhost, 127.0.0.1, [::1]) in development and tests; use an https:// URL.";
  }
  if (url.protocol !== "https:") return "Use an https:// URL (plain http is allowed only to localhost, 127.0.0.1 or [::1] in development and tests).";
  return null;
}

/** A URL for display: its origin and `/****` + the last 4 characters of the rest (the path of a Slack hook
 *  is its secret). */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const rest = raw.slice(url.origin.length);
    return `${url.origin}/****${rest.length >= 12 ? rest.slice(-4) : ""}`;
  } catch {
    return "****";
  }
}

export const MinSeveritySchema = PrioritySchema;
