import { describe, expect, it } from "vitest";
import { MemoryTownRepo } from "./memory-repo";
import { raiseEscalation, requestChanges } from "./operations";
import { agent, bead, makeWorld, mr, NOW, RIG_ID } from "./testing";

// The rework loop's write (DOMAIN.md §6.2) and an agent's escalation (§5.4) are domain operations: the agent
// API's gt_request_changes and gt_escalate call them; here they run on the memory repo.

describe("requestChanges (DOMAIN.md §6.2)", () => {
  it("writes the gt:rework issue under the MR, blocking it, with a rework_requested event and the bead_created fact", async () => {
    const source = bead({ title: "Add login", priority: "high", rigId: RIG_ID });
    const review = mr({ sourceBeadId: source.id, rigId: RIG_ID, status: "in_progress", branch: "gt/login" });
    const repo = new MemoryTownRepo(makeWorld({ beads: [source], mrs: [review] }));
    const { rework, event } = await requestChanges(repo, review.bead, { feedback: "x".repeat(600), files: ["a.ts"], agentId: "ref-1" }, NOW);

    expect(rework).toMatchObject({
      type: "issue", status: "open", title: "Rework: Add login", priority: "high", rigId: RIG_ID, parentBeadId: review.bead.id, labels: ["gt:rework"],
      metadata: { rework_for: source.id, mr_bead_id: review.bead.id, branch: "gt/login", target_branch: review.review.targetBranch, files: ["a.ts"] },
    });
    expect((await repo.listDependencies(review.bead.id, "blocks")).map((b) => b.id)).toEqual([rework.id]);
    const [ev] = repo.eventsOf(review.bead.id, "rework_requested");
    expect(ev.newValue).toBe(rework.id);
    expect((ev.metadata.feedback as string).length).toBe(500);
    expect(event).toEqual({ eventType: "bead_created", beadId: rework.id, agentId: "ref-1", payload: { bead_type: "issue", rig_id: RIG_ID, has_blockers: false } });
  });

  it("refuses a bead that is not an open MR", async () => {
    const done = mr({ status: "closed" });
    const repo = new MemoryTownRepo(makeWorld({ mrs: [done] }));
    await expect(requestChanges(repo, done.bead, { feedback: "f", agentId: "ref-1" }, NOW)).rejects.toMatchObject({ code: "invalid_transition" });
  });
});

describe("raiseEscalation by an agent (DOMAIN.md §5.4)", () => {
  it("mail to the mayor from the agent, a notification, and a triage request about the agent's hook", async () => {
    const work = bead({ status: "in_progress", rigId: RIG_ID });
    const polecat = agent({ status: "working", currentHookBeadId: work.id, rigId: RIG_ID });
    const mayor = agent({ role: "mayor", rigId: null });
    const repo = new MemoryTownRepo(makeWorld({ beads: [work], agents: [polecat, mayor] }));
    const raised = await raiseEscalation(
      repo,
      { title: "Stuck", body: "help", severity: "high", rigId: RIG_ID, metadata: { source_agent_id: polecat.id, source_bead_id: work.id }, raisedBy: { agentId: polecat.id, name: "Toast" } },
      NOW,
    );
    expect(raised.escalation).toMatchObject({ type: "escalation", priority: "high", createdBy: polecat.id, labels: ["gt:escalation", "severity:high"] });
    expect(raised.mayorMail).toMatchObject({ assigneeAgentBeadId: mayor.id, title: "Escalation (high) from Toast: Stuck", body: `help\n\nEscalation bead: ${raised.escalation.id}` });
    expect(raised.triageRequest?.metadata).toMatchObject({ triage_type: "escalation", agent_bead_id: polecat.id, hooked_bead_id: work.id });
    expect(repo.eventsOf(raised.escalation.id, "escalated")[0].agentId).toBe(polecat.id);
  });

  it("low severity: no mail; the mayor escalating does not mail itself", async () => {
    const mayor = agent({ role: "mayor", rigId: null });
    const repo = new MemoryTownRepo(makeWorld({ agents: [mayor] }));
    expect((await raiseEscalation(repo, { title: "t", severity: "low", rigId: null, raisedBy: { agentId: mayor.id, name: "Mayor" } }, NOW)).mayorMail).toBeNull();
    expect((await raiseEscalation(repo, { title: "t", severity: "critical", rigId: null, raisedBy: { agentId: mayor.id, name: "Mayor" } }, NOW)).mayorMail).toBeNull();
  });
});
