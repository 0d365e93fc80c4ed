import { describe, expect, it } from "vitest";
import { DomainError } from "./errors";
import { MemoryTownRepo } from "./memory-repo";
import { createEscalation, createTriageRequest } from "./operations";
import { resolveTriageRequest, triageChoices, type TriageResolution } from "./triage";
import { agent, bead, makeWorld, NOW, RIG_ID, type WorldParts } from "./testing";
import type { Bead } from "./types";

const repoOf = (parts: WorldParts) => new MemoryTownRepo(makeWorld(parts));
const requestsIn = (repo: MemoryTownRepo) => repo.beadsOfType("issue").filter((b) => b.labels.includes("gt:triage-request"));

/** A polecat working on `work`, with a GUPP triage request about it. */
async function stuckPolecat(extra: { attempts?: number } = {}) {
  const work = bead({ status: "in_progress", rigId: RIG_ID, dispatchAttempts: extra.attempts ?? 1 });
  const polecat = agent({ status: "stalled", currentHookBeadId: work.id, rigId: RIG_ID });
  const mayor = agent({ role: "mayor", rigId: null });
  work.assigneeAgentBeadId = polecat.id;
  const repo = repoOf({ beads: [work], agents: [polecat, mayor] });
  const request = (await createTriageRequest(repo, { agentId: polecat.id, triageType: "stuck_agent", reason: "GUPP force stop" }, NOW))!;
  return { repo, work, polecat, mayor, request };
}

const resolve = (repo: MemoryTownRepo, request: Bead, action: TriageResolution["action"], notes = "") =>
  resolveTriageRequest(repo, { requestId: request.id, action, notes, resolvedBy: "user:u1", maxDispatchAttempts: 5 }, NOW);

describe("triage requests from escalations", () => {
  it("every escalation gets its own request, options by severity, linked by escalation_bead_id", async () => {
    const repo = repoOf({ agents: [agent({ role: "mayor", rigId: null })] });
    const low = await createEscalation(repo, { title: "Flaky test", severity: "low", rigId: RIG_ID }, NOW);
    const high = await createEscalation(repo, { title: "Poll failed", severity: "high", rigId: RIG_ID, metadata: { source_bead_id: "mr-1" } }, NOW);
    const requests = requestsIn(repo);
    expect(requests).toHaveLength(2);
    const forLow = requests.find((r) => (r.metadata.context as { escalation_bead_id: string }).escalation_bead_id === low.id)!;
    const forHigh = requests.find((r) => (r.metadata.context as { escalation_bead_id: string }).escalation_bead_id === high.id)!;
    expect(forLow).toMatchObject({ title: "Triage: Flaky test", rigId: RIG_ID, metadata: { triage_type: "escalation", options: ["NUDGE", "CLOSE_BEAD", "PROVIDE_GUIDANCE"] } });
    expect(forHigh.metadata).toMatchObject({ options: ["ESCALATE_TO_MAYOR", "RESTART", "CLOSE_BEAD", "REASSIGN_BEAD"], context: { severity: "high", source_bead_id: "mr-1" } });
    expect(triageChoices(forLow)).toEqual(["NUDGE", "CLOSE_BEAD", "PROVIDE_GUIDANCE", "DISCARD"]);
  });
});

describe("resolveTriageRequest", () => {
  it("RESTART stops the stuck agent and leaves it idle on its hook, so the reconciler dispatches it again", async () => {
    const { repo, work, polecat, request } = await stuckPolecat();
    const actions = await resolve(repo, request, "RESTART", "try again");
    expect(actions).toEqual([expect.objectContaining({ type: "stop_agent", agentId: polecat.id, rule: "triage" })]);
    expect(repo.agent(polecat.id)).toMatchObject({ status: "idle", currentHookBeadId: work.id, lastActivityAt: null, stalledAt: null });
    expect(repo.bead(work.id).status).toBe("in_progress");
    expect(repo.bead(request.id)).toMatchObject({
      status: "closed",
      metadata: { resolution_action: "RESTART", resolution_notes: "try again", resolved_by: "user:u1" },
    });
    expect(repo.eventsOf(work.id, "triage_resolved")).toEqual([expect.objectContaining({ newValue: "RESTART", metadata: expect.objectContaining({ triage_request_id: request.id }) })]);
  });

  it("RESTART of a bead out of dispatch attempts fails the bead instead", async () => {
    const { repo, work, polecat, request } = await stuckPolecat({ attempts: 5 });
    await resolve(repo, request, "RESTART");
    expect(repo.bead(work.id)).toMatchObject({ status: "failed", metadata: { failureReason: "max_dispatch_attempts" } });
    expect(repo.agent(polecat.id).currentHookBeadId).toBeNull();
  });

  it("RESTART_WITH_BACKOFF stamps activity and the bead's last dispatch attempt; an action not offered is refused", async () => {
    const { repo, work, polecat, request } = await stuckPolecat();
    // a GUPP request offers RESTART, CLOSE, ESCALATE (and DISCARD): the refusal lists them
    await expect(resolve(repo, request, "RESTART_WITH_BACKOFF")).rejects.toThrow(/not an option.*RESTART, CLOSE_BEAD, ESCALATE_TO_MAYOR, DISCARD/);
    await resolve(repo, request, "DISCARD");
    const offered = (await createTriageRequest(repo, { agentId: polecat.id, triageType: "crash_loop", reason: "crash loop", options: ["RESTART_WITH_BACKOFF"] }, NOW))!;
    await resolve(repo, offered, "RESTART_WITH_BACKOFF");
    expect(repo.agent(polecat.id)).toMatchObject({ status: "idle", currentHookBeadId: work.id, lastActivityAt: NOW });
    expect(repo.bead(work.id).lastDispatchAttemptAt).toEqual(NOW);
  });

  it("CLOSE (alias of CLOSE_BEAD) fails the bead with triage_close and unhooks the agent still on it", async () => {
    const { repo, work, polecat, request } = await stuckPolecat();
    const actions = await resolve(repo, request, "CLOSE");
    expect(actions.map((a) => a.type)).toEqual(["stop_agent"]);
    expect(repo.bead(work.id)).toMatchObject({ status: "failed", metadata: { failureReason: "triage_close" } });
    expect(repo.agent(polecat.id)).toMatchObject({ status: "idle", currentHookBeadId: null });
    expect(repo.bead(request.id).metadata.resolution_action).toBe("CLOSE_BEAD");
  });

  it("does not stop an agent that has moved on to other work", async () => {
    const { repo, polecat, request } = await stuckPolecat();
    const other = bead({ status: "in_progress" });
    await repo.insertBead(other);
    await repo.updateAgent(polecat.id, { currentHookBeadId: "something-else", status: "working" });
    expect(await resolve(repo, request, "CLOSE")).toEqual([]);
    expect(repo.agent(polecat.id).currentHookBeadId).toBe("something-else");
  });

  it("ESCALATE mails the mayor; DISCARD does nothing but close the request", async () => {
    const first = await stuckPolecat();
    await resolve(first.repo, first.request, "ESCALATE", "needs a human decision");
    expect(first.repo.mailTo(first.mayor.id)).toEqual([expect.objectContaining({ body: expect.stringContaining("needs a human decision") })]);
    const second = await stuckPolecat();
    expect(await resolve(second.repo, second.request, "DISCARD", "false alarm")).toEqual([]);
    expect(second.repo.agent(second.polecat.id).status).toBe("stalled");
    expect(second.repo.bead(second.request.id).status).toBe("closed");
  });

  it("resolving an escalation's request closes the escalation; NUDGE leaves an urgent nudge", async () => {
    const work = bead({ status: "in_progress", rigId: RIG_ID });
    const polecat = agent({ status: "working", currentHookBeadId: work.id, rigId: RIG_ID });
    const repo = repoOf({ beads: [work], agents: [polecat] });
    const esc = await createEscalation(repo, { title: "Unsure about the API", severity: "low", rigId: RIG_ID, metadata: { source_agent_id: polecat.id, source_bead_id: work.id } }, NOW);
    const [request] = requestsIn(repo);
    expect(request.metadata).toMatchObject({ agent_bead_id: polecat.id, hooked_bead_id: work.id });
    await resolve(repo, request, "NUDGE", "Use the v2 endpoint.");
    expect(repo.snapshot().nudges).toEqual([expect.objectContaining({ agentBeadId: polecat.id, message: "Use the v2 endpoint.", priority: "urgent", source: "triage" })]);
    expect(repo.bead(esc.id).status).toBe("closed");
  });

  it("REASSIGN_BEAD stops and unhooks the agent and reopens the bead for anyone", async () => {
    const work = bead({ status: "in_progress", rigId: RIG_ID });
    const polecat = agent({ status: "working", currentHookBeadId: work.id, rigId: RIG_ID });
    work.assigneeAgentBeadId = polecat.id;
    const repo = repoOf({ beads: [work], agents: [polecat] });
    await createEscalation(repo, { title: "Stuck on auth", severity: "high", rigId: RIG_ID, metadata: { source_agent_id: polecat.id, source_bead_id: work.id } }, NOW);
    const [request] = requestsIn(repo);
    expect((await resolve(repo, request, "REASSIGN_BEAD")).map((a) => a.type)).toEqual(["stop_agent"]);
    expect(repo.bead(work.id)).toMatchObject({ status: "open", assigneeAgentBeadId: null });
    expect(repo.agent(polecat.id).currentHookBeadId).toBeNull();
  });

  it("refuses what is not an open triage request", async () => {
    const { repo, work, request } = await stuckPolecat();
    await expect(resolve(repo, work, "DISCARD")).rejects.toBeInstanceOf(DomainError);
    await resolve(repo, request, "DISCARD");
    await expect(resolve(repo, request, "DISCARD")).rejects.toThrow(/already closed/);
  });
});
