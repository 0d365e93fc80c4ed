import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMembership, makeTown, makeUser } from "../../../prisma/factories";
import { verifySignature } from "../../adapters/notify/webhook";
import { callerFor, testDb } from "../../testing/db";
import { startReceiver, type Receiver } from "../../testing/notify-receiver";

// The channels router (issue 16): owners add, change, test and delete channels; members and viewers read
// them with the URL and the secret masked (every response is searched for both); http only to loopback
// (here, NODE_ENV=test); the test message goes through the outbox and shows on the delivery log.

const SECRET = "whsec-router-test-secret-7781";
const NEW_SECRET = "whsec-rotated-secret-value-9911";
type User = Awaited<ReturnType<typeof makeUser>>;

const responses: unknown[] = [];
async function keep<T>(p: Promise<T>): Promise<T> {
  const v = await p;
  responses.push(v);
  return v;
}
async function codeOf(p: Promise<unknown>) {
  try {
    await p;
    return "OK";
  } catch (e) {
    return e instanceof TRPCError ? e.code : String(e);
  }
}

describe("channels router", () => {
  const db = testDb();
  let owner: User, member: User, viewer: User, stranger: User;
  let townId: string;
  let receiver: Receiver;
  let hookUrl: string;
  let slackUrl: string;

  beforeAll(async () => {
    [owner, member, viewer, stranger] = [await makeUser(db), await makeUser(db), await makeUser(db), await makeUser(db)];
    townId = (await makeTown(db, owner.id)).id;
    await addMembership(db, townId, member.id, "member");
    await addMembership(db, townId, viewer.id, "viewer");
    receiver = await startReceiver();
    hookUrl = receiver.url("/hook/with-a-secret-path-1234");
    slackUrl = receiver.url("/services/T000/B000/slacksecretpart");
  });
  afterAll(() => receiver?.close());

  it("an owner adds channels; the answer masks the URL and the secret", async () => {
    const owners = callerFor(owner);
    const hook = await keep(owners.channels.create({ townId, channel: { type: "webhook", name: "ops", url: hookUrl, secret: SECRET, kinds: ["escalation", "mr_failed"], minSeverity: "medium" } }));
    expect(hook).toMatchObject({ type: "webhook", name: "ops", kinds: ["escalation", "mr_failed"], minSeverity: "medium" });
    expect(hook.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\*{4}/);
    expect(hook.secret).toMatch(/^\*{4}/);
    await keep(owners.channels.create({ townId, channel: { type: "slack", name: "#alerts", url: slackUrl, kinds: ["poisoned_event"] } }));
    const stored = await db.notificationChannel.findMany({ where: { townId } });
    expect(stored.map((c) => c.url).sort()).toEqual([hookUrl, slackUrl].sort());
  });

  it("refuses plain http to anything but loopback, a webhook without a secret, and no kinds — saying what to do", async () => {
    const owners = callerFor(owner);
    await expect(owners.channels.create({ townId, channel: { type: "slack", name: "x", url: "http://hooks.example.com/x", kinds: ["escalation"] } })).rejects.toThrow(/https:\/\//);
    await expect(owners.channels.create({ townId, channel: { type: "webhook", name: "x", url: "https://example.com/h", kinds: ["escalation"] } })).rejects.toThrow(/signing secret/);
    await expect(owners.channels.create({ townId, channel: { type: "webhook", name: "x", url: "https://example.com/h", secret: SECRET, kinds: [] } })).rejects.toThrow(/at least one/);
    await expect(owners.channels.create({ townId, channel: { type: "webhook", name: "x", url: "https://u:p@example.com/h", secret: SECRET, kinds: ["escalation"] } })).rejects.toThrow(/user name or password/);
    expect(await db.notificationChannel.count({ where: { townId } })).toBe(2);
  });

  it("members and viewers read the channels and the log masked; only owners write", async () => {
    const [hook] = (await callerFor(owner).channels.list({ townId })).channels.filter((c) => c.type === "webhook");
    for (const user of [member, viewer]) {
      const c = callerFor(user);
      const list = await keep(c.channels.list({ townId }));
      expect(list.channels).toHaveLength(2);
      await keep(c.channels.deliveries({ townId }));
      expect(await codeOf(c.channels.create({ townId, channel: { type: "slack", name: "m", url: slackUrl, kinds: ["escalation"] } }))).toBe("FORBIDDEN");
      expect(await codeOf(c.channels.update({ townId, channelId: hook.id, patch: { name: "mine" } }))).toBe("FORBIDDEN");
      expect(await codeOf(c.channels.sendTest({ townId, channelId: hook.id }))).toBe("FORBIDDEN");
      expect(await codeOf(c.channels.delete({ townId, channelId: hook.id }))).toBe("FORBIDDEN");
    }
    expect(await codeOf(callerFor(stranger).channels.list({ townId }))).toBe("NOT_FOUND");
    expect(await db.notificationChannel.count({ where: { townId } })).toBe(2);
  });

  it("a masked URL and secret sent back keep the stored ones; a new secret replaces it (audited without values)", async () => {
    const owners = callerFor(owner);
    const [hook] = (await owners.channels.list({ townId })).channels.filter((c) => c.type === "webhook");
    await keep(owners.channels.update({ townId, channelId: hook.id, patch: { url: hook.url, secret: hook.secret!, minSeverity: "high", name: "ops (high)" } }));
    let stored = await db.notificationChannel.findUniqueOrThrow({ where: { id: hook.id } });
    expect(stored).toMatchObject({ url: hookUrl, secret: SECRET, minSeverity: "high", name: "ops (high)" });
    await keep(owners.channels.update({ townId, channelId: hook.id, patch: { secret: NEW_SECRET } }));
    stored = await db.notificationChannel.findUniqueOrThrow({ where: { id: hook.id } });
    expect(stored.secret).toBe(NEW_SECRET);
    const audit = await db.auditLog.findMany({ where: { townId, targetType: "notification_channel" } });
    expect(audit.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(audit)).not.toContain(NEW_SECRET);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it("send test: a signed message to the receiver, shown delivered on the log", async () => {
    const owners = callerFor(owner);
    const [hook] = (await owners.channels.list({ townId })).channels.filter((c) => c.type === "webhook");
    const outcome = await keep(owners.channels.sendTest({ townId, channelId: hook.id }));
    expect(outcome).toMatchObject({ status: "delivered", statusCode: 200, attempt: 1 });
    const req = receiver.received.at(-1)!;
    expect(JSON.parse(req.rawBody)).toMatchObject({ kind: "test", title: "Test message from Gastown" });
    expect(verifySignature(NEW_SECRET, req.rawBody, req.headers["x-gastown-signature-256"] as string)).toBe(true);
    const log = await keep(callerFor(viewer).channels.deliveries({ townId }));
    expect(log.items[0]).toMatchObject({ kind: "test", status: "delivered", channelName: "ops (high)", attempts: 1, lastStatusCode: 200 });
  });

  it("never returns a URL or a secret in any answer", () => {
    const text = JSON.stringify(responses);
    for (const s of [SECRET, NEW_SECRET, hookUrl, slackUrl, "slacksecretpart", "with-a-secret-path"]) expect(text).not.toContain(s);
  });

  it("deleting a channel removes its log rows with it", async () => {
    const owners = callerFor(owner);
    const [hook] = (await owners.channels.list({ townId })).channels.filter((c) => c.type === "webhook");
    await owners.channels.delete({ townId, channelId: hook.id });
    expect(await db.notificationDelivery.count({ where: { channelId: hook.id } })).toBe(0);
    expect(await codeOf(owners.channels.delete({ townId, channelId: hook.id }))).toBe("NOT_FOUND");
  });
});
