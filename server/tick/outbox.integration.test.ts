import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeBead, makeTown, makeUser } from "../../prisma/factories";
import { SIGNATURE_HEADER, verifySignature } from "../adapters/notify/webhook";
import { getPool } from "../db/pool";
import { inTransaction } from "../db/tx";
import { DELIVERY_BACKOFF_MS, MAX_DELIVERY_ATTEMPTS } from "../domain/notify";
import { raiseEscalation } from "../domain/operations";
import { callerFor, testDb, truncateAll } from "../testing/db";
import { deadUrl, startReceiver, type Receiver } from "../testing/notify-receiver";
import { testTickDeps } from "../testing/tick-doubles";
import { deliverNotifications } from "./outbox";
import { prismaTownRepo } from "./pg-repo";
import { runTick } from "./run-tick";

// Notifications out (issue 16) on a real Postgres, with local HTTP receivers: the outbox row is written with
// the state change (a poisoning in a real tick, an escalation through the domain's one write path), the
// delivery pass sends it outside the tick — Slack-shaped and signed JSON —, retries with backoff as `now`
// advances, gives up after the last try without holding up another channel, and a tick never waits for it.

const SECRET = "whsec-test-signing-secret-0042";
const db = testDb();
const pool = getPool();
// The tests' clock starts a minute ahead of the real one (whole seconds): rows that people's writes stamp with
// the real time (a failed MR's message) are then due at T0 + 2 s. A fixed date here turned into a failure the
// moment the real clock passed it.
const T0 = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000);
const at = (ms: number) => new Date(T0.getTime() + ms);

type User = Awaited<ReturnType<typeof makeUser>>;
let owner: User;
let townId: string;
let slack: Receiver;
let hook: Receiver;

async function addChannel(type: "slack" | "webhook", url: string, kinds: string[], minSeverity = "high") {
  return callerFor(owner).channels.create({
    townId,
    channel: { type, name: `${type} ${url}`, url, kinds: kinds as never, minSeverity: minSeverity as never, ...(type === "webhook" ? { secret: SECRET } : {}) },
  });
}

function rows() {
  return db.notificationDelivery.findMany({ where: { townId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

/** Poisons one event in a real tick (its payload fails its schema: poisoned at once). */
async function tickWithPoison(now: Date) {
  await db.townEvent.create({ data: { townId, eventType: "agent_done", payload: { pr_url: 42 }, createdAt: now } });
  return runTick(testTickDeps(), townId, { now });
}

beforeAll(async () => {
  await truncateAll(db);
});

beforeEach(async () => {
  owner = await makeUser(db);
  townId = (await makeTown(db, owner.id)).id;
  slack = await startReceiver();
  hook = await startReceiver();
});

afterAll(async () => {
  await slack?.close();
  await hook?.close();
});

describe("notifications out", () => {
  it("a poisoned event reaches a Slack channel and a signed JSON webhook once each", async () => {
    await addChannel("slack", slack.url("/services/T0/B0/xyz"), ["poisoned_event"]);
    await addChannel("webhook", hook.url("/gastown"), ["poisoned_event", "escalation"]);
    await addChannel("webhook", hook.url("/escalations-only"), ["escalation"]);

    const report = await tickWithPoison(T0);
    expect(report?.eventsPoisoned).toBe(1);
    // written with the poisoning, in the tick's transaction; nothing sent by the tick itself
    expect((await rows()).map((r) => [r.kind, r.status])).toEqual([
      ["poisoned_event", "pending"],
      ["poisoned_event", "pending"],
    ]);
    expect(slack.received.length + hook.received.length).toBe(0);

    const outcomes = await deliverNotifications(pool, { now: T0, appUrl: "https://gastown.example.test" });
    expect(outcomes.map((o) => o.status)).toEqual(["delivered", "delivered"]);
    expect(slack.received).toHaveLength(1);
    expect(hook.received).toHaveLength(1);

    const slackBody = JSON.parse(slack.received[0].rawBody);
    expect(slackBody.text).toMatch(/Event agent_done was poisoned/);
    expect(JSON.stringify(slackBody.blocks)).toContain(`https://gastown.example.test/towns/${townId}/poison`);

    const req = hook.received[0];
    expect(req.path).toBe("/gastown");
    expect(verifySignature(SECRET, req.rawBody, req.headers[SIGNATURE_HEADER.toLowerCase()] as string)).toBe(true);
    expect(verifySignature("another-secret-entirely", req.rawBody, req.headers[SIGNATURE_HEADER.toLowerCase()] as string)).toBe(false);
    const body = JSON.parse(req.rawBody);
    expect(body).toMatchObject({ kind: "poisoned_event", town: { id: townId }, attempt: 1, sent_at: T0.toISOString() });
    expect(req.headers["x-gastown-delivery"]).toBe(body.id);
    expect(req.headers["x-gastown-timestamp"]).toBe(String(T0.getTime() / 1000));

    // delivered rows are never sent again
    expect(await deliverNotifications(pool, { now: at(DELIVERY_BACKOFF_MS[4] * 2) })).toEqual([]);
    expect((await rows()).every((r) => r.status === "delivered" && r.attempts === 1)).toBe(true);
  });

  it("an escalation at or above a channel's minimum severity is sent; below it, nothing", async () => {
    await addChannel("slack", slack.url("/services/esc"), ["escalation"], "high");
    await addChannel("webhook", hook.url("/esc"), ["escalation"], "critical");
    const raise = (title: string, severity: "low" | "medium" | "high" | "critical") =>
      inTransaction(db, (tx) => raiseEscalation(prismaTownRepo(tx, townId), { title, severity, rigId: null }, T0));

    await raise("just a low one", "low");
    await raise("a medium one", "medium");
    expect(await rows()).toEqual([]);

    await raise("a high one", "high");
    await raise("the building is on fire", "critical");
    // high → the Slack channel only; critical → both
    expect((await rows()).map((r) => r.severity).sort()).toEqual(["critical", "critical", "high"]);
    await deliverNotifications(pool, { now: T0 });
    expect(slack.received.map((r) => JSON.parse(r.rawBody).text)).toEqual([
      expect.stringContaining("Escalation (high): a high one"),
      expect.stringContaining("Escalation (critical): the building is on fire"),
    ]);
    expect(hook.received.map((r) => JSON.parse(r.rawBody))).toEqual([expect.objectContaining({ kind: "escalation", severity: "critical" })]);
    expect(verifySignature(SECRET, hook.received[0].rawBody, hook.received[0].headers["x-gastown-signature-256"] as string)).toBe(true);
  });

  it("a receiver answering 500 is retried after 30 s and 2 min, then succeeds", async () => {
    hook.respond = (n) => (n < 2 ? 500 : 200);
    await addChannel("webhook", hook.url("/flaky"), ["poisoned_event"]);
    await tickWithPoison(T0);

    const [first] = await deliverNotifications(pool, { now: T0 });
    expect(first).toMatchObject({ status: "pending", statusCode: 500, attempt: 1, nextAttemptAt: at(30_000) });
    expect(first.error).toMatch(/HTTP 500/);
    // not due before its backoff
    expect(await deliverNotifications(pool, { now: at(29_000) })).toEqual([]);
    const [second] = await deliverNotifications(pool, { now: at(30_000) });
    expect(second).toMatchObject({ status: "pending", attempt: 2, nextAttemptAt: at(30_000 + 120_000) });
    expect(await deliverNotifications(pool, { now: at(100_000) })).toEqual([]);
    const [third] = await deliverNotifications(pool, { now: at(150_000) });
    expect(third).toMatchObject({ status: "delivered", statusCode: 200, attempt: 3 });

    expect(hook.received).toHaveLength(3);
    // one delivery id across the attempts, each attempt signed (its body carries the attempt and sent_at)
    expect(new Set(hook.received.map((r) => r.headers["x-gastown-delivery"])).size).toBe(1);
    for (const r of hook.received) expect(verifySignature(SECRET, r.rawBody, r.headers["x-gastown-signature-256"] as string)).toBe(true);
    expect(hook.received.map((r) => JSON.parse(r.rawBody).attempt)).toEqual([1, 2, 3]);
    const [row] = await rows();
    expect(row).toMatchObject({ status: "delivered", attempts: 3, lastStatusCode: 200, deliveredAt: at(150_000) });
  });

  it("a dead receiver ends failed after the last try while another channel still delivers", async () => {
    const dead = await deadUrl("/services/T0/B0/deadsecretpath");
    const deadChannel = await addChannel("slack", dead, ["poisoned_event"]);
    await addChannel("slack", slack.url("/services/alive"), ["poisoned_event"]);
    await tickWithPoison(T0);

    let now = T0;
    const first = await deliverNotifications(pool, { now });
    expect(first.find((o) => o.channelId !== deadChannel.id)?.status).toBe("delivered");
    expect(slack.received).toHaveLength(1);
    for (let attempt = 1; attempt < MAX_DELIVERY_ATTEMPTS; attempt++) {
      now = new Date(now.getTime() + DELIVERY_BACKOFF_MS[attempt - 1]);
      const [o] = await deliverNotifications(pool, { now });
      expect(o).toMatchObject({ channelId: deadChannel.id, attempt: attempt + 1, status: attempt + 1 === MAX_DELIVERY_ATTEMPTS ? "failed" : "pending" });
    }
    const deadRow = (await rows()).find((r) => r.channelId === deadChannel.id)!;
    expect(deadRow).toMatchObject({ status: "failed", attempts: MAX_DELIVERY_ATTEMPTS, lastStatusCode: null });
    expect(deadRow.lastError).toMatch(/could not connect/);
    // the error never quotes the hook URL (its path is the secret)
    expect(deadRow.lastError).not.toContain("deadsecretpath");
    // nothing more, however long we wait; the live channel got exactly one message
    expect(await deliverNotifications(pool, { now: at(7 * 24 * 3_600_000) })).toEqual([]);
    expect(slack.received).toHaveLength(1);
  });

  it("a tick whose receivers are down or hanging completes; delivery never runs inside it", async () => {
    hook.respond = () => "hang";
    await addChannel("webhook", hook.url("/hangs"), ["poisoned_event", "mr_failed"]);
    await addChannel("slack", await deadUrl(), ["poisoned_event"]);
    const mr = await makeBead(db, townId, { type: "merge_request", status: "open", title: "Add the thing" });

    const report = await tickWithPoison(T0);
    expect(report).toMatchObject({ eventsPoisoned: 1 });
    // A person fails the MR: its message is written with the status change.
    await callerFor(owner).review.fail({ townId, mrId: mr.id, reason: "not needed any more" });
    const second = await runTick(testTickDeps(), townId, { now: at(1_000) });
    expect(second === null || second.townId === townId).toBe(true);
    expect(hook.received).toHaveLength(0);
    expect((await rows()).map((r) => r.kind).sort()).toEqual(["mr_failed", "poisoned_event", "poisoned_event"]);

    // The pass times out on the hanging receiver and schedules a retry; the others are unaffected.
    const outcomes = await deliverNotifications(pool, { now: at(2_000), timeoutMs: 300 });
    expect(outcomes).toHaveLength(3);
    expect(outcomes.filter((o) => o.error?.includes("no answer within"))).toHaveLength(2);
    expect(outcomes.every((o) => o.status === "pending" && o.nextAttemptAt?.getTime() === at(2_000 + 30_000).getTime())).toBe(true);
  });

  it("the breaker opening and closing is told to the channels that want it", async () => {
    await addChannel("webhook", hook.url("/breaker"), ["breaker_opened", "breaker_closed"]);
    // 20 dispatch failures in the window open the breaker (SPEC.md §2)
    for (let i = 0; i < 20; i++)
      await db.townEvent.create({ data: { townId, eventType: "dispatch_failed", payload: { agent_id: "gone", bead_id: "gone", reason: "x" }, createdAt: T0, processedAt: T0 } });
    await runTick(testTickDeps(), townId, { now: at(1_000) });
    await runTick(testTickDeps(), townId, { now: at(2_000) }); // still open: no second message
    await runTick(testTickDeps(), townId, { now: at(31 * 60_000) }); // failures out of the window: closed
    await deliverNotifications(pool, { now: at(31 * 60_000) });
    expect(hook.received.map((r) => JSON.parse(r.rawBody).kind)).toEqual(["breaker_opened", "breaker_closed"]);
  });
});
