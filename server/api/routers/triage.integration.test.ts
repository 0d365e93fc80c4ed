import { describe, expect, it } from "vitest";
import { callerFor, isDue, pushTickOut, testDb } from "../../testing/db";
import { RecordingRuntime, testTickDeps } from "../../testing/tick-doubles";
import { addMembership, makeBead, makeUser } from "../../../prisma/factories";
import { callAgentApi, makeAgent, seedTown, tokenFor } from "../../agent-api/testing";

// Triage requests end to end on real parts: an agent escalates through the agent API, the escalation's
// triage request shows on the escalations page's list, a member decides it, and the decision is carried out
// (agent stopped through the runtime, bead reopened, escalation closed), once.

describe("triage requests (escalation router)", () => {
  const db = testDb();

  it("an agent's escalation becomes a triage request a member decides; a viewer only reads it", async () => {
    const { town, rig, user: owner } = await seedTown(db);
    const member = await makeUser(db);
    const viewer = await makeUser(db);
    await addMembership(db, town.id, member.id, "member");
    await addMembership(db, town.id, viewer.id, "viewer");
    const work = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress", title: "Add OAuth" });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: work.id });
    await db.bead.update({ where: { id: work.id }, data: { assigneeAgentBeadId: polecat.id } });
    const esc = await callAgentApi("gt_escalate", await tokenFor(db, town.id, polecat), { title: "Cannot reach the identity provider", priority: "high" });
    expect(esc.status).toBe(201);

    expect((await callerFor(viewer).town.get({ townId: town.id })).triageCount).toBe(1); // the overview says so
    const runtime = new RecordingRuntime();
    const tickDeps = testTickDeps({ runtime });
    const [request] = await callerFor(viewer).escalation.triage({ townId: town.id });
    expect(request).toMatchObject({
      title: "Triage: Cannot reach the identity provider",
      triageType: "escalation",
      severity: "high",
      escalationId: esc.json.escalation_id,
      agent: { id: polecat.id, name: polecat.name },
      bead: { id: work.id, title: "Add OAuth", status: "in_progress" },
      choices: ["ESCALATE_TO_MAYOR", "RESTART", "CLOSE_BEAD", "REASSIGN_BEAD", "DISCARD"],
    });
    await expect(
      callerFor(viewer, { tickDeps }).escalation.resolveTriage({ townId: town.id, requestId: request.id, action: "DISCARD" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      callerFor(member, { tickDeps }).escalation.resolveTriage({ townId: town.id, requestId: request.id, action: "NUDGE" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("not an option") });

    await pushTickOut(town.id);
    const res = await callerFor(member, { tickDeps }).escalation.resolveTriage({
      townId: town.id,
      requestId: request.id,
      action: "REASSIGN_BEAD",
      notes: "the IdP is back; another polecat can pick it up",
    });
    expect(res).toEqual({ requestId: request.id, action: "REASSIGN_BEAD", agentsStopped: 1 });
    expect(runtime.stops).toEqual([{ agentId: polecat.id, reason: expect.stringContaining("triage REASSIGN_BEAD") }]);
    expect(await db.bead.findUniqueOrThrow({ where: { id: work.id } })).toMatchObject({ status: "open", assigneeAgentBeadId: null });
    expect(await db.agentMetadata.findUniqueOrThrow({ where: { beadId: polecat.id } })).toMatchObject({ currentHookBeadId: null, status: "idle" });
    expect(await db.bead.findUniqueOrThrow({ where: { id: esc.json.escalation_id } })).toMatchObject({ status: "closed" });
    const closed = await db.bead.findUniqueOrThrow({ where: { id: request.id } });
    expect(closed).toMatchObject({ status: "closed", metadata: expect.objectContaining({ resolution_action: "REASSIGN_BEAD", resolved_by: `user:${member.id}` }) });
    // audited: who closed the request, and the decision on the bead it was about
    const audit = await db.beadEvent.findMany({ where: { townId: town.id, beadId: { in: [request.id, work.id] } }, orderBy: { createdAt: "asc" } });
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ beadId: request.id, eventType: "status_changed", newValue: "closed", metadata: expect.objectContaining({ actor: `user:${member.id}` }) }),
        expect.objectContaining({ beadId: work.id, eventType: "triage_resolved", newValue: "REASSIGN_BEAD" }),
      ]),
    );
    expect(await isDue(town.id)).toBe(true);
    // decided once: the list is empty and a second decision is refused
    expect(await callerFor(owner).escalation.triage({ townId: town.id })).toEqual([]);
    expect((await callerFor(owner).town.get({ townId: town.id })).triageCount).toBe(0);
    await expect(
      callerFor(owner, { tickDeps }).escalation.resolveTriage({ townId: town.id, requestId: request.id, action: "DISCARD" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect(runtime.stops).toHaveLength(1);
  });

  it("two people deciding the same request at once: one wins, the other is told it is closed", async () => {
    const { town, rig, user: owner } = await seedTown(db);
    const work = await makeBead(db, town.id, { rigId: rig.id, status: "in_progress" });
    const polecat = await makeAgent(db, town.id, { rigId: rig.id, status: "working", hookBeadId: work.id });
    await callAgentApi("gt_escalate", await tokenFor(db, town.id, polecat), { title: "Unsure", priority: "low" });
    const [request] = await callerFor(owner).escalation.triage({ townId: town.id });
    const tickDeps = testTickDeps();
    const results = await Promise.allSettled(
      (["CLOSE_BEAD", "NUDGE"] as const).map((action) => callerFor(owner, { tickDeps }).escalation.resolveTriage({ townId: town.id, requestId: request.id, action })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "CONFLICT" } });
  });
});
