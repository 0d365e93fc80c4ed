import { describe, expect, it } from "vitest";
import {
  channelUrlProblem,
  channelWants,
  DELIVERY_BACKOFF_MS,
  linkFor,
  maskUrl,
  MAX_DELIVERY_ATTEMPTS,
  nextAttemptAt,
  outbound,
  slackBody,
  slackEscape,
  storedMessage,
  webhookBody,
  type DeliveryContext,
} from "./notify";

const NOW = new Date("2026-12-04T12:00:00.000Z");
const plus = (ms: number) => new Date(NOW.getTime() + ms);

function ctx(over: Partial<DeliveryContext> = {}): DeliveryContext {
  return {
    deliveryId: "d1",
    townId: "town-1",
    townName: "Bay <&> Town",
    kind: "escalation",
    severity: "high",
    message: storedMessage(outbound.escalation({ id: "b1", title: "PR polling failed: add <thing>" }, "high", NOW)),
    occurredAt: NOW,
    sentAt: plus(5_000),
    attempt: 2,
    appUrl: "https://gastown.example.test/",
    ...over,
  };
}

describe("backoff", () => {
  it("waits 30 s, 2 min, 10 min, 1 h, 6 h between attempts and stops after the sixth", () => {
    expect(DELIVERY_BACKOFF_MS).toEqual([30_000, 120_000, 600_000, 3_600_000, 21_600_000]);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(6);
    expect([1, 2, 3, 4, 5].map((n) => nextAttemptAt(n, NOW)!.getTime() - NOW.getTime())).toEqual([...DELIVERY_BACKOFF_MS]);
    expect(nextAttemptAt(6, NOW)).toBeNull();
    expect(nextAttemptAt(0, NOW)).toBeNull();
  });
});

describe("which channels want a message", () => {
  const ch = { kinds: ["escalation", "mr_failed"], minSeverity: "high" as const };
  it("escalations at or above the minimum severity, other kinds when chosen", () => {
    expect(channelWants(ch, { kind: "escalation", severity: "critical" })).toBe(true);
    expect(channelWants(ch, { kind: "escalation", severity: "high" })).toBe(true);
    expect(channelWants(ch, { kind: "escalation", severity: "medium" })).toBe(false);
    expect(channelWants(ch, { kind: "mr_failed", severity: null })).toBe(true);
    expect(channelWants(ch, { kind: "poisoned_event", severity: null })).toBe(false);
  });
});

describe("message formatting", () => {
  it("the JSON webhook body names the town, kind, severity, attempt and a link to the page", () => {
    expect(webhookBody(ctx())).toEqual({
      id: "d1",
      kind: "escalation",
      severity: "high",
      town: { id: "town-1", name: "Bay <&> Town" },
      title: "Escalation (high): PR polling failed: add <thing>",
      text: "PR polling failed: add <thing>",
      bead_id: "b1",
      event_id: null,
      occurred_at: NOW.toISOString(),
      sent_at: plus(5_000).toISOString(),
      attempt: 2,
      url: "https://gastown.example.test/towns/town-1/escalations",
    });
  });

  it("the Slack body has a fallback text and blocks, with Slack's control characters escaped", () => {
    const body = slackBody(ctx());
    expect(body.text).toBe("Escalation (high): PR polling failed: add <thing> (Bay <&> Town)");
    const section = body.blocks[0] as { text: { text: string } };
    expect(section.text.text).toContain("*Escalation (high): PR polling failed: add &lt;thing&gt;*");
    const context = JSON.stringify(body.blocks[1]);
    expect(context).toContain("Bay &lt;&amp;&gt; Town");
    expect(context).toContain("<https://gastown.example.test/towns/town-1/escalations|Open in Gastown>");
    expect(slackEscape("a<b>&c")).toBe("a&lt;b&gt;&amp;c");
  });

  it("links point at the page that explains the message, and are left out without an app URL", () => {
    expect(linkFor(ctx({ kind: "poisoned_event" }))).toBe("https://gastown.example.test/towns/town-1/poison");
    expect(linkFor(ctx({ kind: "mr_failed" }))).toBe("https://gastown.example.test/towns/town-1/beads/b1");
    expect(linkFor(ctx({ kind: "convoy_landed" }))).toBe("https://gastown.example.test/towns/town-1/convoys/b1");
    expect(linkFor(ctx({ kind: "breaker_opened", message: storedMessage(outbound.breaker(true, 20, 30, NOW)) }))).toBe("https://gastown.example.test/towns/town-1");
    expect(linkFor(ctx({ appUrl: null }))).toBeNull();
    expect(JSON.stringify(slackBody(ctx({ appUrl: null })))).not.toContain("Open in Gastown");
  });

  it("messages by cause: the breaker both ways, an MR's failure reason, long texts clipped", () => {
    expect(outbound.breaker(true, 21, 30, NOW)).toMatchObject({ kind: "breaker_opened", title: "Dispatch circuit breaker opened" });
    expect(outbound.breaker(false, 3, 30, NOW)).toMatchObject({ kind: "breaker_closed" });
    expect(outbound.mrFailed({ id: "m", title: "Fix it" }, "10 null polls", NOW)).toMatchObject({ kind: "mr_failed", title: "Merge request failed: Fix it", text: "10 null polls", beadId: "m" });
    expect(outbound.convoyLanded({ id: "c", title: "Big one" }, "all merged", NOW).title).toBe("Convoy landed: Big one");
    const long = outbound.poisonedEvent({ id: "e", eventType: "agent_done", beadId: null }, "x".repeat(5_000), NOW);
    expect(long.text.length).toBe(2_000);
    expect(long.eventId).toBe("e");
  });
});

describe("channel URLs", () => {
  it("https always; plain http only to loopback, and only in development and tests", () => {
    expect(channelUrlProblem("https://hooks.slack.com/services/T/B/X", { allowLoopbackHttp: false })).toBeNull();
    expect(channelUrlProblem("http://127.0.0.1:9000/hook", { allowLoopbackHttp: true })).toBeNull();
    expect(channelUrlProblem("http://localhost:9000/hook", { allowLoopbackHttp: false })).toMatch(/only to a loopback host .* in development and tests/);
    expect(channelUrlProblem("http://example.com/hook", { allowLoopbackHttp: true })).toMatch(/https:\/\//);
    expect(channelUrlProblem("ftp://example.com/hook", { allowLoopbackHttp: true })).toMatch(/https:\/\//);
    expect(channelUrlProblem("not a url", { allowLoopbackHttp: true })).toMatch(/not a URL/);
    expect(channelUrlProblem("https://user:pw@example.com/", { allowLoopbackHttp: true })).toMatch(/user name or password/);
  });

  it("masks everything after the origin", () => {
    expect(maskUrl("https://hooks.slack.com/services/T000/B000/XXXXsecret")).toBe("https://hooks.slack.com/****cret");
    expect(maskUrl("https://example.com/short")).toBe("https://example.com/****");
    expect(maskUrl("https://example.com")).toBe("https://example.com/****");
    expect(maskUrl("garbage")).toBe("****");
  });
});
