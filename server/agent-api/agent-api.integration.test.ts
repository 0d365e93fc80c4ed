import { describe, expect, it } from "vitest";
import { isEmbeddedDb, REAL_PG_ONLY_REASON, testDb } from "../testing/db";
import { makeBead } from "../../prisma/factories";
import { handleAgentRequest, MAX_BODY_BYTES } from "./handler";
import { AGENT_TOOL_NAMES } from "./registry";
import { callAgentApi, makeAgent, seedPolecatTown, seedTown, statusEventsOf, tokenFor } from "./testing";

// Every tool of the agent API (SPEC.md §4.3) through the real route handler on a real Postgres: the
// happy path and the main refusal of each, plus the request pipeline (413, 400, 404, unknown keys).

const db = testDb();

const polecatTown = (over: Parameters<typeof seedPolecatTown>[1] = {}) => seedPolecatTown(db, over);
const statusEvents = (beadId: string) => statusEventsOf(db, beadId);

describe("request pipeline", () => {
  it("refuses a body over 1 MiB with 413, by content-length and by the bytes actually read", async () => {
    const { town, token } = await polecatTown();
    const big = JSON.stringify({ branch: "x".repeat(MAX_BODY_BYTES) });
    const declared = await callAgentApi("gt_done", token, big, { "content-length": String(big.length) });
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe("payload_too_large");

    // No (or a lying) content-length: the stream is cut off once it passes the limit.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const req = new Request("http://localhost/api/agent/gt_done", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-length": "10" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    const res = await handleAgentRequest(req, "gt_done", { db, now: new Date() });
    expect(res.status).toBe(413);
    expect(await db.townEvent.count({ where: { townId: town.id } })).toBe(0);
  });

  it("accepts a body of exactly 1 MiB", async () => {
    const { token } = await polecatTown();
    // A checkpoint is the one body without a field limit of its own: data is a JSON string literal.
    const prefix = '{"data":"\\"';
    const suffix = '\\""}';
    const body = prefix + "s".repeat(MAX_BODY_BYTES - prefix.length - suffix.length) + suffix;
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    expect((await callAgentApi("gt_checkpoint", token, body)).status).toBe(200);
  });

  it("answers 400 on a body that is not JSON", async () => {
    const { token } = await polecatTown();
    const res = await callAgentApi("gt_done", token, "{branch:");
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("invalid_json");
  });

  it("answers 404 with the list of tools for an unknown tool", async () => {
    const { token } = await polecatTown();
    const res = await callAgentApi("gt_fly", token, {});
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("unknown_tool");
    expect(res.json.error.tools).toEqual(AGENT_TOOL_NAMES);
    expect(res.json.error.tools).toEqual(expect.arrayContaining(["gt_prime", "gt_done", "gt_sling_batch", "agent_completed", "container_status"]));
  });

  it("answers 400 with the zod issues on a bad body", async () => {
    const { token } = await polecatTown();
    const res = await callAgentApi("gt_done", token, { pr_url: 5 });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("invalid_body");
    expect(res.json.error.issues.map((i: { path: string[] }) => i.path[0]).sort()).toEqual(["branch", "pr_url"]);
  });

  it("drops unknown keys instead of refusing them", async () => {
    const { town, token } = await polecatTown();
    const res = await callAgentApi("gt_done", token, { branch: "gt/a/1", summary: "ok", model: "x", nested: { a: 1 } });
    expect(res.status).toBe(202);
    const event = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "agent_done" } });
    expect(event.payload).toEqual({ branch: "gt/a/1", pr_url: null, summary: "ok" });
  });

  it("takes an empty body as {}", async () => {
    const { token } = await polecatTown();
    expect((await callAgentApi("gt_mail_check", token)).status).toBe(200);
  });
});

describe("event-only tools", () => {
  it("gt_done enqueues agent_done for the agent and makes the town due, touching nothing else", async () => {
    const { town, rig } = await seedTown(db);
    const bead = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress" });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: bead.id });
    const token = await tokenFor(db, town.id, polecat);
    await db.town.update({ where: { id: town.id }, data: { nextTickAt: new Date(Date.now() + 60_000) } });
    const before = new Date();

    const res = await callAgentApi("gt_done", token, { branch: "gt/fix/1", pr_url: "https://github.com/o/r/pull/7", summary: "fixed" });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ accepted: true, event_id: expect.any(String) });
    const event = await db.townEvent.findUniqueOrThrow({ where: { id: res.json.event_id } });
    expect(event).toMatchObject({ townId: town.id, eventType: "agent_done", agentId: polecat.id, processedAt: null, payload: { branch: "gt/fix/1", pr_url: "https://github.com/o/r/pull/7", summary: "fixed" } });
    expect((await db.town.findUniqueOrThrow({ where: { id: town.id } })).nextTickAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await db.town.findUniqueOrThrow({ where: { id: town.id } })).nextTickAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    // Only the event: the hook, the agent and the bead are the tick's business.
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: polecat.id } })).toMatchObject({ status: "working", currentHookBeadId: bead.id });
    expect((await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).status).toBe("in_progress");
  });

  it("gt_done refuses a PR URL that is not a pull request on GITHUB_WEB_URL's host with a clear 400, enqueuing nothing", async () => {
    const { town, token } = await polecatTown();
    for (const pr_url of ["https://gitlab.com/o/r/-/merge_requests/7", "https://evil.example.com/o/r/pull/7", "https://github.com/o/r/pull/new/gt-x", "not a url"]) {
      const res = await callAgentApi("gt_done", token, { branch: "gt/fix/1", pr_url });
      expect(res.status, pr_url).toBe(400);
      expect(res.json.error.message).toContain("pr_url must be a pull request on https://github.com: https://github.com/<owner>/<repo>/pull/<number>");
      expect(res.json.error.issues).toEqual([expect.objectContaining({ path: ["pr_url"] })]);
    }
    expect(await db.townEvent.count({ where: { townId: town.id, eventType: "agent_done" } })).toBe(0);
    // a blank pr_url means "no PR"
    const blank = await callAgentApi("gt_done", token, { branch: "gt/fix/1", pr_url: "  " });
    expect(blank.status).toBe(202);
    expect((await db.townEvent.findUniqueOrThrow({ where: { id: blank.json.event_id } })).payload).toMatchObject({ pr_url: null });
  });

  it("agent_completed and container_status enqueue their events with snake_case payloads", async () => {
    const { town, polecat, token } = await polecatTown();
    const completed = await callAgentApi("agent_completed", token, { status: "failed", reason: "exit code 1" });
    expect(completed.status).toBe(202);
    const status = await callAgentApi("container_status", token, { status: "exited", exit_reason: "OOM" });
    expect(status.status).toBe(202);
    const events = await db.townEvent.findMany({ where: { townId: town.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.eventType, e.agentId, e.payload])).toEqual([
      ["agent_completed", polecat.id, { status: "failed", reason: "exit code 1" }],
      ["container_status", polecat.id, { status: "exited", exit_reason: "OOM" }],
    ]);
    expect((await callAgentApi("agent_completed", token, {})).status).toBe(400);
    expect((await callAgentApi("container_status", token, { exit_reason: "x" })).status).toBe(400);
  });
});

describe("gt_heartbeat", () => {
  it("touches the agent per DOMAIN.md §5.8: activity now, idle → working, counter 0, watermark coalesced", async () => {
    const { polecat, token } = await polecatTown({ status: "idle" });
    await db.agentMetadata.update({ where: { beadId: polecat.id }, data: { dispatchAttempts: 3 } });
    const res = await callAgentApi("gt_heartbeat", token, { last_event_type: "tool_use", last_event_at: "2030-01-01T00:00:00.000Z", active_tools: ["bash"] });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, status: "working", nudges: [], mail: [] });
    const after = await db.agentMetadata.findUniqueOrThrow({ where: { beadId: polecat.id } });
    expect(after).toMatchObject({ status: "working", dispatchAttempts: 0, lastEventType: "tool_use", activeTools: ["bash"] });
    expect(after.lastEventAt?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(Date.now() - after.lastActivityAt!.getTime()).toBeLessThan(10_000);

    // A bare heartbeat keeps the watermark; a stalled agent stays stalled.
    await db.agentMetadata.update({ where: { beadId: polecat.id }, data: { status: "stalled" } });
    expect((await callAgentApi("gt_heartbeat", token, {})).json.status).toBe("stalled");
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: polecat.id } })).toMatchObject({ lastEventType: "tool_use", activeTools: ["bash"] });
  });

  it("returns pending nudges (urgent first, then FIFO, not expired) and unread mail exactly once", async () => {
    const { town, polecat, token, mayor } = await polecatTown({ status: "working" });
    const t = (s: number) => new Date(Date.now() - s * 1000);
    await db.agentNudge.createMany({
      data: [
        { townId: town.id, agentBeadId: polecat.id, message: "old normal", createdAt: t(300) },
        { townId: town.id, agentBeadId: polecat.id, message: "new urgent", priority: "urgent", source: "reconciler:escalate", createdAt: t(10) },
        { townId: town.id, agentBeadId: polecat.id, message: "new normal", createdAt: t(20) },
        { townId: town.id, agentBeadId: polecat.id, message: "expired", mode: "queue", createdAt: t(400), expiresAt: t(5) },
        { townId: town.id, agentBeadId: polecat.id, message: "delivered", createdAt: t(500), deliveredAt: t(100) },
      ],
    });
    const mayorToken = await tokenFor(db, town.id, mayor);
    expect((await callAgentApi("gt_mail_send", mayorToken, { to_agent_id: polecat.id, subject: "first", body: "one" })).status).toBe(201);
    expect((await callAgentApi("gt_mail_send", mayorToken, { to_agent_id: polecat.id, subject: "second", body: "two" })).status).toBe(201);

    const first = await callAgentApi("gt_heartbeat", token, {});
    expect(first.status).toBe(200);
    expect(first.json.nudges.map((n: { message: string }) => n.message)).toEqual(["new urgent", "old normal", "new normal"]);
    expect(first.json.nudges[0]).toMatchObject({ priority: "urgent", source: "reconciler:escalate", mode: "wait-idle" });
    expect(first.json.mail).toEqual([
      expect.objectContaining({ subject: "first", body: "one", from_agent_id: mayor.id }),
      expect.objectContaining({ subject: "second", body: "two", from_agent_id: mayor.id }),
    ]);

    const second = await callAgentApi("gt_heartbeat", token, {});
    expect(second.json).toMatchObject({ nudges: [], mail: [] });

    expect(await db.agentNudge.count({ where: { agentBeadId: polecat.id, deliveredAt: null } })).toBe(1); // the expired one: the tick's housekeeping
    const mails = await db.bead.findMany({ where: { townId: town.id, type: "message", assigneeAgentBeadId: polecat.id } });
    expect(mails.every((m) => m.status === "closed" && m.closedAt)).toBe(true);
    for (const m of mails) expect((await statusEvents(m.id)).map((e) => [e.oldValue, e.newValue])).toEqual([["open", "closed"]]);
  });

  // Concurrent transactions: on the embedded database they queue behind each other and can time out.
  it.skipIf(isEmbeddedDb)(`never hands out a nudge or a mail twice to concurrent heartbeats (${REAL_PG_ONLY_REASON})`, async () => {
    const { town, polecat, token, mayor } = await polecatTown({ status: "working" });
    await db.agentNudge.createMany({ data: Array.from({ length: 10 }, (_, i) => ({ townId: town.id, agentBeadId: polecat.id, message: `n${i}` })) });
    for (let i = 0; i < 5; i++) {
      await db.bead.create({ data: { townId: town.id, type: "message", title: `m${i}`, assigneeAgentBeadId: polecat.id, metadata: { from_agent_id: mayor.id } } });
    }
    const answers = await Promise.all([1, 2, 3].map(() => callAgentApi("gt_heartbeat", token, {})));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const nudges = answers.flatMap((a) => a.json.nudges.map((n: { message: string }) => n.message));
    const mail = answers.flatMap((a) => a.json.mail.map((m: { subject: string }) => m.subject));
    expect(nudges.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `n${i}`).sort());
    expect(mail.sort()).toEqual(["m0", "m1", "m2", "m3", "m4"]);
  });
});

describe("gt_prime", () => {
  it("returns the agent, its hooked bead, rework context, open beads of its rig or town-level, and consumes mail", async () => {
    const { town, rig, mayor } = await seedTown(db);
    const otherRig = await db.rig.create({ data: { townId: town.id, name: "other" } });
    const source = await makeBead(db, town.id, { rigId: rig.id, status: "in_review", title: "Add login" });
    const mr = await makeBead(db, town.id, { rigId: rig.id, type: "merge_request", status: "in_progress" });
    const rework = await db.bead.create({
      data: {
        townId: town.id, type: "issue", status: "in_progress", title: "Rework: Add login", body: "Fix the tests", rigId: rig.id, parentBeadId: mr.id,
        labels: ["gt:rework"], metadata: { rework_for: source.id, mr_bead_id: mr.id, branch: "gt/login/1", target_branch: "main", files: ["a.ts"] },
      },
    });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: rework.id });
    await db.agentMetadata.update({ where: { beadId: polecat.id }, data: { checkpoint: { step: 2 } } });
    const inRig = await makeBead(db, town.id, { rigId: rig.id, title: "in rig" });
    const townLevel = await makeBead(db, town.id, { rigId: null, type: "escalation", title: "town level" });
    const otherRigBead = await makeBead(db, town.id, { rigId: otherRig.id, title: "other rig" });
    const closed = await makeBead(db, town.id, { rigId: rig.id, status: "closed", title: "closed" });
    const mayorToken = await tokenFor(db, town.id, mayor);
    await callAgentApi("gt_mail_send", mayorToken, { to_agent_id: polecat.id, subject: "context", body: "see issue 4" });
    const token = await tokenFor(db, town.id, polecat);

    const res = await callAgentApi("gt_prime", token, {});
    expect(res.status).toBe(200);
    expect(res.json.agent).toMatchObject({ id: polecat.id, role: "polecat", rig_id: rig.id, current_hook_bead_id: rework.id, checkpoint: { step: 2 } });
    expect(res.json.hooked_bead).toMatchObject({ id: rework.id, title: "Rework: Add login", labels: ["gt:rework"], status: "in_progress" });
    expect(res.json.rework_context).toEqual({
      feedback: "Fix the tests", branch: "gt/login/1", target_branch: "main", files: ["a.ts"], original_bead_title: "Add login", mr_bead_id: mr.id,
    });
    expect(res.json.pr_fixup_context).toBeNull();
    expect(res.json.undelivered_mail).toEqual([expect.objectContaining({ subject: "context", body: "see issue 4" })]);
    const openIds = res.json.open_beads.map((b: { id: string }) => b.id);
    expect(openIds).toEqual(expect.arrayContaining([inRig.id, townLevel.id, mr.id, rework.id]));
    expect(openIds).not.toContain(otherRigBead.id);
    expect(openIds).not.toContain(closed.id);
    expect(openIds).not.toContain(source.id); // in_review
    expect(res.json.open_beads.every((b: { type: string }) => b.type !== "agent" && b.type !== "message")).toBe(true);

    expect((await callAgentApi("gt_prime", token, {})).json.undelivered_mail).toEqual([]);
  });

  it("carries pr_fixup_context for a gt:pr-fixup bead and caps open beads at 20", async () => {
    const { town, rig } = await seedTown(db);
    const fixup = await makeBead(db, town.id, {
      rigId: rig.id, status: "in_progress", labels: ["gt:pr-fixup"], metadata: { pr_url: "https://github.com/o/r/pull/3", branch: "feat", target_branch: "main" },
    });
    for (let i = 0; i < 25; i++) await makeBead(db, town.id, { rigId: rig.id });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: fixup.id });
    const res = await callAgentApi("gt_prime", await tokenFor(db, town.id, polecat), {});
    expect(res.json.pr_fixup_context).toEqual({ pr_url: "https://github.com/o/r/pull/3", branch: "feat", target_branch: "main" });
    expect(res.json.rework_context).toBeNull();
    expect(res.json.open_beads).toHaveLength(20);
  });

  it("answers an unhooked agent with hooked_bead null", async () => {
    const { token } = await polecatTown();
    const res = await callAgentApi("gt_prime", token);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ hooked_bead: null, rework_context: null, pr_fixup_context: null });
  });
});

describe("gt_request_changes", () => {
  async function reviewing() {
    const { town, rig } = await seedTown(db);
    const source = await makeBead(db, town.id, { rigId: rig.id, status: "in_review", title: "Add search", priority: "high" });
    const mr = await db.bead.create({
      data: {
        townId: town.id, type: "merge_request", status: "in_progress", title: "Review: gt/search/1", rigId: rig.id,
        labels: ["gt:merge-request"], metadata: { source_bead_id: source.id },
        review: { create: { townId: town.id, branch: "gt/search/1", targetBranch: "main" } },
      },
    });
    await db.beadDependency.create({ data: { townId: town.id, beadId: mr.id, dependsOnBeadId: source.id, dependencyType: "tracks" } });
    const refinery = await makeAgent(db, town.id, { role: "refinery", rigId: rig.id, status: "working", hookBeadId: mr.id });
    return { town, rig, source, mr, refinery, token: await tokenFor(db, town.id, refinery) };
  }

  it("creates a gt:rework bead under the MR that blocks it, with bead_created and rework_requested", async () => {
    const { town, rig, source, mr, refinery, token } = await reviewing();
    const feedback = "Please add tests. ".repeat(50);
    const res = await callAgentApi("gt_request_changes", token, { feedback, files: ["src/search.ts"] });
    expect(res.status).toBe(201);
    const rework = await db.bead.findUniqueOrThrow({ where: { id: res.json.rework_bead_id } });
    expect(rework).toMatchObject({
      type: "issue", status: "open", title: "Rework: Add search", body: feedback.trim(), priority: "high", rigId: rig.id, parentBeadId: mr.id,
      labels: ["gt:rework"], createdBy: refinery.id, assigneeAgentBeadId: null,
      metadata: { rework_for: source.id, mr_bead_id: mr.id, branch: "gt/search/1", target_branch: "main", files: ["src/search.ts"] },
    });
    expect(await db.beadDependency.findUnique({ where: { beadId_dependsOnBeadId: { beadId: mr.id, dependsOnBeadId: rework.id } } })).toMatchObject({ dependencyType: "blocks" });
    const created = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "bead_created", beadId: rework.id } });
    expect(created.payload).toMatchObject({ bead_type: "issue", rig_id: rig.id, has_blockers: false });
    const requested = await db.beadEvent.findFirstOrThrow({ where: { beadId: mr.id, eventType: "rework_requested" } });
    expect((requested.metadata as { feedback: string }).feedback).toHaveLength(500);
    expect((await db.bead.findUniqueOrThrow({ where: { id: mr.id } })).status).toBe("in_progress");
  });

  it("refuses a refinery that is not hooked to a live MR (409)", async () => {
    const { mr, refinery, token } = await reviewing();
    await db.bead.update({ where: { id: mr.id }, data: { status: "closed" } });
    expect((await callAgentApi("gt_request_changes", token, { feedback: "x" })).status).toBe(409);
    await db.agentMetadata.update({ where: { beadId: refinery.id }, data: { currentHookBeadId: null } });
    const res = await callAgentApi("gt_request_changes", token, { feedback: "x" });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("conflict");
    expect((await callAgentApi("gt_request_changes", token, { feedback: "" })).status).toBe(400);
  });
});

describe("gt_escalate", () => {
  it("creates an escalation with severity; above low it mails the mayor and notifies the town", async () => {
    const { town, rig, mayor } = await seedTown(db);
    const bead = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress" });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: bead.id });
    const token = await tokenFor(db, town.id, polecat);

    const res = await callAgentApi("gt_escalate", token, { title: "Tests need a database", body: "No DATABASE_URL", priority: "high", metadata: { area: "ci" } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ severity: "high", mayor_notified: true });
    const esc = await db.bead.findUniqueOrThrow({ where: { id: res.json.escalation_id }, include: { escalation: true } });
    expect(esc).toMatchObject({
      type: "escalation", status: "open", priority: "high", rigId: rig.id, labels: ["gt:escalation", "severity:high"],
      metadata: { area: "ci", source_agent_id: polecat.id, source_bead_id: bead.id },
      escalation: { severity: "high", acknowledged: false, reEscalationCount: 0 },
    });
    const mail = await db.bead.findFirstOrThrow({ where: { townId: town.id, type: "message", assigneeAgentBeadId: mayor.id } });
    expect(mail.title).toContain("Tests need a database");
    expect(await db.notification.findFirst({ where: { townId: town.id, kind: "escalation", beadId: esc.id } })).not.toBeNull();
    // and its triage request, about this agent and the bead it is on, with the options of a high escalation
    const request = await db.bead.findFirstOrThrow({ where: { townId: town.id, type: "issue", labels: { array_contains: ["gt:triage-request"] } } });
    expect(request).toMatchObject({
      status: "open",
      title: "Triage: Tests need a database",
      rigId: rig.id,
      createdBy: "patrol",
      metadata: {
        triage_type: "escalation",
        agent_bead_id: polecat.id,
        hooked_bead_id: bead.id,
        options: ["ESCALATE_TO_MAYOR", "RESTART", "CLOSE_BEAD", "REASSIGN_BEAD"],
        context: { escalation_bead_id: esc.id, severity: "high" },
      },
    });
  });

  it("a low escalation neither mails the mayor nor notifies; a bad severity is a 400", async () => {
    const { town, token } = await polecatTown();
    const res = await callAgentApi("gt_escalate", token, { title: "minor", priority: "low" });
    expect(res.status).toBe(201);
    expect(await db.bead.findUniqueOrThrow({ where: { id: res.json.escalation_id } })).toMatchObject({ priority: "medium", labels: ["gt:escalation", "severity:low"] });
    expect(await db.bead.count({ where: { townId: town.id, type: "message" } })).toBe(0);
    expect(await db.notification.count({ where: { townId: town.id } })).toBe(0);
    const bad = await callAgentApi("gt_escalate", token, { title: "x", priority: "urgent" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.issues[0].path).toEqual(["priority"]);
  });
});

describe("gt_checkpoint, gt_mail_send, gt_mail_check, gt_bead_status", () => {
  it("gt_checkpoint stores the parsed JSON; a non-JSON string is a 400", async () => {
    const { polecat, token } = await polecatTown();
    expect((await callAgentApi("gt_checkpoint", token, { data: JSON.stringify({ step: 3, files: ["a"] }) })).status).toBe(200);
    expect((await db.agentMetadata.findUniqueOrThrow({ where: { beadId: polecat.id } })).checkpoint).toEqual({ step: 3, files: ["a"] });
    const bad = await callAgentApi("gt_checkpoint", token, { data: "{not json" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.issues[0].path).toEqual(["data"]);
  });

  it("gt_mail_send writes a message bead to an agent of the town; gt_mail_check reads it once", async () => {
    const { town, rig, polecat, token } = await polecatTown();
    const other = await makeAgent(db, town.id, { rigId: rig.id });
    const sent = await callAgentApi("gt_mail_send", token, { to_agent_id: other.id, subject: "Heads up", body: "I touched utils.ts" });
    expect(sent.status).toBe(201);
    const mail = await db.bead.findUniqueOrThrow({ where: { id: sent.json.mail_id } });
    expect(mail).toMatchObject({
      type: "message", status: "open", title: "Heads up", body: "I touched utils.ts", assigneeAgentBeadId: other.id, createdBy: polecat.id,
      labels: ["gt:message", `from:${polecat.id}`], metadata: { from_agent_id: polecat.id, to_agent_id: other.id },
    });
    expect(await db.beadEvent.count({ where: { beadId: mail.id, eventType: "mail_sent" } })).toBe(1);

    const otherToken = await tokenFor(db, town.id, other);
    const check = await callAgentApi("gt_mail_check", otherToken, {});
    expect(check.json.mail).toEqual([expect.objectContaining({ id: mail.id, subject: "Heads up", from_agent_id: polecat.id })]);
    expect((await callAgentApi("gt_mail_check", otherToken, {})).json.mail).toEqual([]);
    expect((await callAgentApi("gt_mail_send", token, { to_agent_id: "no-such-agent", subject: "x", body: "y" })).status).toBe(404);
  });

  it("gt_bead_status returns a bead of the town with its satellites; unknown → 404; others' mail → 404", async () => {
    const { town, rig, token, mayor } = await polecatTown();
    const bead = await makeBead(db, town.id, { rigId: rig.id, title: "Read me", labels: ["x"] });
    const res = await callAgentApi("gt_bead_status", token, { bead_id: bead.id });
    expect(res.status).toBe(200);
    expect(res.json.bead).toMatchObject({ id: bead.id, title: "Read me", status: "open", labels: ["x"], rig_id: rig.id, review: null, hooked_by: [] });
    const missing = await callAgentApi("gt_bead_status", token, { bead_id: "nope" });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("not_found");
    const someoneElsesMail = await makeBead(db, town.id, { type: "message" });
    await db.bead.update({ where: { id: someoneElsesMail.id }, data: { assigneeAgentBeadId: mayor.id } });
    expect((await callAgentApi("gt_bead_status", token, { bead_id: someoneElsesMail.id })).status).toBe(404);
  });
});
