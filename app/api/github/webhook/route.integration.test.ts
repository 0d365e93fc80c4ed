import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapters } from "@/server/adapters";
import { loadAdapterConfig } from "@/server/adapters/config";
import { signWebhookPayload } from "@/server/adapters/github/webhook";
import { getPool } from "@/server/db/pool";
import { callerFor, isDue, pushTickOut, testDb } from "@/server/testing/db";
import { startFakeGitHub, type FakeGitHub } from "@/server/testing/fake-github/server";
import { buildTickDeps } from "@/server/tick/deps";
import { runTick } from "@/server/tick/run-tick";
import { makeBead, makeRig, makeTown, makeUser } from "@/prisma/factories";
import { POST } from "./route";

// The webhook route on real Postgres: signed deliveries shaped like GitHub's become the events polling
// produces and make the town due; a bad signature is a 401 and queues nothing; an unknown repository is
// a 202; a redelivery is deduplicated. And end to end: the fake GitHub merges a PR and delivers the signed
// webhook, and a tick closes the MR without a single poll reaching GitHub.

const TOKEN = "ghp_webhookflowtoken0123456789";
let github: FakeGitHub;
let savedWebUrl: string | undefined;

beforeAll(async () => {
  github = await startFakeGitHub({ token: TOKEN });
  github.addRepo("acme", "widgets");
  // Rig and PR URLs live on the fake's web host; the route's service reads GITHUB_WEB_URL.
  savedWebUrl = process.env.GITHUB_WEB_URL;
  process.env.GITHUB_WEB_URL = github.webUrl;
});

afterAll(async () => {
  if (savedWebUrl === undefined) delete process.env.GITHUB_WEB_URL;
  else process.env.GITHUB_WEB_URL = savedWebUrl;
  await github?.close();
});

let deliveries = 0;
async function deliver(townId: string | null, event: string, payload: unknown, opts: { secret?: string; deliveryId?: string; signature?: string | null } = {}) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": event, "x-github-delivery": opts.deliveryId ?? `delivery-${++deliveries}` };
  const signature = opts.signature === undefined ? await signWebhookPayload(opts.secret ?? "", body) : opts.signature;
  if (signature) headers["x-hub-signature-256"] = signature;
  const url = `http://127.0.0.1/api/github/webhook${townId ? `?town=${townId}` : ""}`;
  const res = await POST(new Request(url, { method: "POST", headers, body }));
  return { status: res.status, body: (await res.json()) as { ok: boolean; message: string; duplicate?: boolean; eventsEnqueued?: number } };
}

/** A town with a webhook secret, a rig on acme/widgets and an MR in progress on a PR of the fake. */
async function setup(options: { lastPollMinutesAgo?: number } = {}) {
  const db = testDb();
  const user = await makeUser(db);
  const town = await makeTown(db, user.id);
  const { secret } = await callerFor(user).webhooks.rotateSecret({ townId: town.id });
  const rig = await makeRig(db, town.id, { gitUrl: `${github.webUrl}/acme/widgets` });
  const { prUrl, pr } = github.addPr({ owner: "acme", repo: "widgets", headRef: "gt/polecat/widget" });
  const source = await makeBead(db, town.id, { rigId: rig.id, status: "in_review", title: "Add the widget" });
  const lastPoll = new Date(Date.now() - (options.lastPollMinutesAgo ?? 2) * 60_000).toISOString();
  const mr = await makeBead(db, town.id, {
    rigId: rig.id,
    type: "merge_request",
    status: "in_progress",
    labels: ["gt:merge-request"],
    metadata: { source_bead_id: source.id, pr_url: prUrl, last_poll_at: lastPoll },
  });
  await db.reviewMetadata.create({ data: { beadId: mr.id, townId: town.id, branch: "gt/polecat/widget", prUrl } });
  await db.beadDependency.create({ data: { townId: town.id, beadId: mr.id, dependsOnBeadId: source.id, dependencyType: "tracks" } });
  await pushTickOut(town.id);
  return { db, user, town, rig, secret, prUrl, pr, mr, source };
}

const closedPayload = (number: number, merged: boolean) => ({
  action: "closed",
  number,
  repository: { full_name: "acme/widgets", name: "widgets", owner: { login: "acme" } },
  pull_request: { number, state: "closed", merged, html_url: github.prUrl("acme", "widgets", number) },
});

const eventsOf = async (townId: string) =>
  (await getPool().query(`SELECT event_type, bead_id, payload FROM town_events WHERE town_id = $1 ORDER BY seq`, [townId])).rows as Array<{ event_type: string; bead_id: string; payload: Record<string, unknown> }>;

describe("POST /api/github/webhook", () => {
  it("a valid signature queues pr_status_changed for the matching MR and makes the town due", async () => {
    const { town, secret, pr, mr, prUrl } = await setup();
    const res = await deliver(town.id, "pull_request", closedPayload(pr.number, true), { secret });
    expect(res).toMatchObject({ status: 200, body: { ok: true, eventsEnqueued: 1 } });
    expect(await eventsOf(town.id)).toEqual([{ event_type: "pr_status_changed", bead_id: mr.id, payload: { pr_url: prUrl, pr_state: "merged", source: "webhook" } }]);
    expect(await isDue(town.id)).toBe(true);
    // The settings page's last delivery.
    const view = await callerFor((await testDb().user.findFirstOrThrow({ where: { ownedTowns: { some: { id: town.id } } } }))).webhooks.get({ townId: town.id });
    expect(view.lastDelivery).toMatchObject({ event: "pull_request.closed", result: "enqueued", eventsEnqueued: 1 });
    expect(view.secret?.masked).toMatch(/^\*\*\*\*/);
    expect(JSON.stringify(view)).not.toContain(secret);
  });

  it("a bad or missing signature is a 401 and queues nothing, records nothing", async () => {
    const { town, secret, pr } = await setup();
    const other = await setup();
    for (const attempt of [
      deliver(town.id, "pull_request", closedPayload(pr.number, true), { secret: "not-the-secret" }),
      deliver(town.id, "pull_request", closedPayload(pr.number, true), { signature: null }),
      deliver(town.id, "pull_request", closedPayload(pr.number, true), { signature: "sha256=deadbeef" }),
      // another town's secret does not open this town
      deliver(town.id, "pull_request", closedPayload(pr.number, true), { secret: other.secret }),
      // an unknown town looks exactly like a wrong secret
      deliver("no-such-town", "pull_request", closedPayload(pr.number, true), { secret }),
    ]) {
      expect((await attempt).status).toBe(401);
    }
    expect(await eventsOf(town.id)).toEqual([]);
    expect(await isDue(town.id)).toBe(false);
    expect(await testDb().githubWebhookDelivery.count({ where: { townId: town.id } })).toBe(0);
    // A body changed after signing is refused too.
    const body = JSON.stringify(closedPayload(pr.number, true));
    const sig = await signWebhookPayload(secret, body);
    const tampered = await POST(
      new Request(`http://127.0.0.1/api/github/webhook?town=${town.id}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "tampered", "x-hub-signature-256": sig },
        body: body.replace('"merged":true', '"merged":false'),
      }),
    );
    expect(tampered.status).toBe(401);
    expect(await eventsOf(town.id)).toEqual([]);
  });

  it("a URL without the town is a 400 that says how the URL looks", async () => {
    const res = await deliver(null, "ping", { zen: "hi" }, { secret: "x" });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("?town=");
  });

  it("an unknown repository or a PR with no MR is a 202 and queues nothing", async () => {
    const { town, secret, pr } = await setup();
    const elsewhere = { ...closedPayload(pr.number, true), repository: { full_name: "acme/other" } };
    expect(await deliver(town.id, "pull_request", elsewhere, { secret })).toMatchObject({ status: 202, body: { eventsEnqueued: 0 } });
    expect(await deliver(town.id, "pull_request", closedPayload(pr.number + 1000, true), { secret })).toMatchObject({ status: 202 });
    expect(await eventsOf(town.id)).toEqual([]);
    expect(await isDue(town.id)).toBe(false);
  });

  it("a redelivery (same X-GitHub-Delivery) is acknowledged and queues nothing again", async () => {
    const { town, secret, pr } = await setup();
    const first = await deliver(town.id, "pull_request", closedPayload(pr.number, true), { secret, deliveryId: "same-delivery" });
    const again = await deliver(town.id, "pull_request", closedPayload(pr.number, true), { secret, deliveryId: "same-delivery" });
    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, eventsEnqueued: 0 } });
    expect(await eventsOf(town.id)).toHaveLength(1);
  });

  it("ping answers 200; a form-encoded hook is told to use application/json", async () => {
    const { town, secret } = await setup();
    expect(await deliver(town.id, "ping", { zen: "Keep it logically awesome.", hook_id: 1 }, { secret })).toMatchObject({ status: 200, body: { ok: true } });
    const body = `payload=${encodeURIComponent("{}")}`;
    const res = await POST(
      new Request(`http://127.0.0.1/api/github/webhook?town=${town.id}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-github-event": "ping", "x-github-delivery": "form", "x-hub-signature-256": await signWebhookPayload(secret, body) },
        body,
      }),
    );
    expect(res.status).toBe(415);
  });

  it("a passing check asks R1 to poll that MR at the next tick (no event, town due)", async () => {
    const { town, secret, pr, mr } = await setup({ lastPollMinutesAgo: 0.1 });
    const payload = { action: "completed", repository: { full_name: "acme/widgets" }, check_suite: { conclusion: "success", pull_requests: [{ number: pr.number }] } };
    expect(await deliver(town.id, "check_suite", payload, { secret })).toMatchObject({ status: 200, body: { eventsEnqueued: 0 } });
    expect(await eventsOf(town.id)).toEqual([]);
    expect(await isDue(town.id)).toBe(true);
    const row = await testDb().githubWebhookDelivery.findFirstOrThrow({ where: { townId: town.id } });
    expect(row.pollMrIds).toEqual([mr.id]);
  });

  it("only owners rotate the secret; members see it masked", async () => {
    const { db, town } = await setup();
    const member = await makeUser(db);
    await db.townMember.create({ data: { townId: town.id, userId: member.id, role: "member" } });
    await expect(callerFor(member).webhooks.rotateSecret({ townId: town.id })).rejects.toThrow();
    const view = await callerFor(member).webhooks.get({ townId: town.id });
    expect(view.secret?.masked).toMatch(/^\*\*\*\*/);
    expect(view.path).toBe(`/api/github/webhook?town=${town.id}`);
    expect(view.events).toContain("pull_request");
  });
});

describe("end to end: the fake GitHub merges and delivers; the tick closes the MR without polling", () => {
  it("closes the MR and its source with no request to GitHub", async () => {
    const { town, secret, pr, prUrl, mr, source, db } = await setup({ lastPollMinutesAgo: 2 });
    const adapters = createAdapters({
      config: loadAdapterConfig({ GITHUB_API_URL: github.apiUrl, GITHUB_WEB_URL: github.webUrl, GITHUB_TOKEN: TOKEN, GASTOWN_SHARED_GITHUB_TOKEN: "all" }),
    });
    const deps = buildTickDeps({ adapters, pool: getPool(), apiUrl: "http://127.0.0.1:9", captureException: () => {} });

    // The PR is merged on GitHub, which delivers the signed pull_request.closed to the running handler.
    github.updatePr(prUrl, { state: "merged" });
    github.resetCalls();
    const body = closedPayload(pr.number, true);
    expect((await deliver(town.id, "pull_request", body, { secret })).status).toBe(200);
    expect(await isDue(town.id)).toBe(true);

    // The last poll was 2 min ago: without the webhook R1 would poll now. With a fresh delivery the fallback
    // cadence is 10 min, and the delivered event already says everything.
    await runTick(deps, town.id, { now: new Date() });
    expect((await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).status).toBe("closed");
    expect((await db.bead.findUniqueOrThrow({ where: { id: source.id } })).status).toBe("closed");
    expect(github.calls).toEqual([]);
    const completed = await db.beadEvent.findFirst({ where: { beadId: source.id, eventType: "review_completed" } });
    expect(JSON.stringify(completed?.metadata)).toContain("GitHub webhook");
  });

  it("while the repository delivers webhooks, an open PR polled 2 min ago is not polled; a passing check polls it at once", async () => {
    const { town, secret, pr, mr } = await setup({ lastPollMinutesAgo: 2 });
    const adapters = createAdapters({
      config: loadAdapterConfig({ GITHUB_API_URL: github.apiUrl, GITHUB_WEB_URL: github.webUrl, GITHUB_TOKEN: TOKEN, GASTOWN_SHARED_GITHUB_TOKEN: "all" }),
    });
    const deps = buildTickDeps({ adapters, pool: getPool(), apiUrl: "http://127.0.0.1:9", captureException: () => {} });
    const repository = { full_name: "acme/widgets" };
    // A delivery that changes nothing (a label) still shows the hook is live: the fallback cadence applies.
    const labeled = { action: "labeled", number: pr.number, repository, pull_request: { number: pr.number, state: "open", merged: false } };
    expect((await deliver(town.id, "pull_request", labeled, { secret })).status).toBe(202);
    github.resetCalls();
    await runTick(deps, town.id, { now: new Date() });
    expect(github.callsTo("pulls.get")).toEqual([]);

    // A passing check suite: only a poll can say whether everything is green, so R1 polls now.
    const suite = { action: "completed", repository, check_suite: { conclusion: "success", pull_requests: [{ number: pr.number }] } };
    expect((await deliver(town.id, "check_suite", suite, { secret })).status).toBe(200);
    await runTick(deps, town.id, { now: new Date() });
    expect(github.callsTo("pulls.get").length).toBeGreaterThan(0);
    const polled = await testDb().bead.findUniqueOrThrow({ where: { id: mr.id } });
    expect(Date.now() - new Date(String((polled.metadata as Record<string, unknown>).last_poll_at)).getTime()).toBeLessThan(60_000);
  });

  it("control: the same MR without a webhook is polled (the poll is what the webhook saves)", async () => {
    const { town, prUrl, mr, db } = await setup({ lastPollMinutesAgo: 2 });
    const adapters = createAdapters({
      config: loadAdapterConfig({ GITHUB_API_URL: github.apiUrl, GITHUB_WEB_URL: github.webUrl, GITHUB_TOKEN: TOKEN, GASTOWN_SHARED_GITHUB_TOKEN: "all" }),
    });
    const deps = buildTickDeps({ adapters, pool: getPool(), apiUrl: "http://127.0.0.1:9", captureException: () => {} });
    github.updatePr(prUrl, { state: "merged" });
    github.resetCalls();
    await runTick(deps, town.id, { now: new Date() });
    expect(github.callsTo("pulls.get").length).toBeGreaterThan(0);
    // the poll's events are applied at the next tick
    await runTick(deps, town.id, { now: new Date() });
    expect((await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).status).toBe("closed");
  });
});
