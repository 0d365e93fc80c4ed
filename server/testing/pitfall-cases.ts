import { expect } from "vitest";
import { isPermanentEventError, DomainError } from "../domain/errors";
import { makeEvent, parseTownEvent } from "../domain/events";
import { reconcile } from "../domain/reconcile";
import { applyStateAction } from "../domain/state-actions";
import { ago, agent, agoSeconds, bead, byRule, convoy, later, makeWorld, mr, NOW, simulateTick, type TickableRepo } from "../domain/testing";
import type { Bead, ReviewMetadata, Agent, World } from "../domain/types";

// DOMAIN.md §11, the behaviours most likely to be gotten wrong — the ones about state and actions — each
// shown across events, reconcile and state actions together (a tick without side effects). The cases are
// data: server/domain/pitfalls.test.ts runs them on MemoryTownRepo, server/tick/pitfalls.integration.test.ts
// on PgTownRepo over a real Postgres, so the memory repo cannot pass them alone.

/** A town under test: the port, the World the reconciler would read, and reads of single rows for asserts. */
export interface PitfallTown extends TickableRepo {
  bead(id: string): Bead | Promise<Bead>;
  agent(id: string): Agent | Promise<Agent>;
  review(id: string): ReviewMetadata | Promise<ReviewMetadata>;
  beadsOfType(type: Bead["type"]): Bead[] | Promise<Bead[]>;
}
export type OpenTown = (world: World) => Promise<PitfallTown>;

export interface PitfallCase {
  name: string;
  run: (open: OpenTown) => Promise<void>;
}

const PR = "https://github.com/acme/widgets/pull/3";

export const PITFALL_CASES: PitfallCase[] = [];
function pitfall(name: string, run: PitfallCase["run"]) {
  PITFALL_CASES.push({ name, run });
}

pitfall("§11 #1 side effects write no state: stop_agent and merge_pr have no state part", async (open) => {
  const b = bead({ status: "in_progress" }); // a hook must point at a real bead (Postgres holds it to that)
  const a = agent({ status: "working", currentHookBeadId: b.id });
  const repo = await open(makeWorld({ beads: [b], agents: [a] }));
  const before = await repo.snapshot(NOW);
  await applyStateAction(repo, { type: "stop_agent", rule: "R7", reason: "x", agentId: a.id }, NOW);
  await applyStateAction(repo, { type: "merge_pr", rule: "R1", reason: "x", beadId: "m", prUrl: PR }, NOW);
  expect(await repo.snapshot(NOW)).toEqual(before);
});

pitfall("§11 #2 a missing entity or a bad payload is a permanent failure (poisoned at once)", async (open) => {
  const repo = await open(makeWorld());
  const missing = await simulateTick(repo, [makeEvent("agent_done", { agentId: "ghost", payload: { branch: "b" } })], NOW).catch((e) => e);
  expect(isPermanentEventError(missing)).toBe(true);
  let bad: unknown;
  try {
    parseTownEvent({ eventType: "poll_null_result", agentId: null, beadId: null, payload: { pr_url: 1 } });
  } catch (err) {
    bad = err;
  }
  expect(isPermanentEventError(bad)).toBe(true);
  expect(isPermanentEventError(new DomainError("conflict", "x"))).toBe(false);
});

pitfall("§11 #3 a failed bead never reopens through a status update: B4, transitions and resets leave it failed", async (open) => {
  const failed = bead({ status: "failed", dispatchAttempts: 5 });
  const a = agent({ status: "idle", currentHookBeadId: failed.id, dispatchAttempts: 5 });
  const repo = await open(makeWorld({ beads: [failed], agents: [a] }));
  await applyStateAction(repo, { type: "reset_agent_dispatch_attempts", rule: "A3", reason: "x", agentId: a.id }, NOW);
  await applyStateAction(repo, { type: "transition_bead", rule: "x", reason: "x", beadId: failed.id, from: null, to: "open" }, NOW);
  await simulateTick(repo, [], later(10));
  expect((await repo.bead(failed.id)).status).toBe("failed");
});

pitfall("§11 #4 two rules firing on one agent in a tick: GUPP's stalled never overwrites A1's idle", async (open) => {
  const b = bead({ status: "in_progress" });
  const a = agent({ status: "working", currentHookBeadId: b.id, lastActivityAt: agoSeconds(100), lastEventAt: ago(130) });
  const repo = await open(makeWorld({ beads: [b], agents: [a] }));
  const { actions } = await simulateTick(repo, [], NOW);
  expect(actions.filter((x) => x.type === "transition_agent").map((x) => x.rule)).toEqual(["A1"]);
  expect((await repo.agent(a.id)).status).toBe("idle");
});

pitfall("§11 #5 cancelling a bead stops its running agent, and the same tick does not hand that agent new work", async (open) => {
  const b = bead({ status: "in_progress" });
  const a = agent({ status: "working", currentHookBeadId: b.id });
  const next = bead({ title: "next" });
  const repo = await open(makeWorld({ beads: [b, next], agents: [a] }));
  const { actions } = await simulateTick(repo, [makeEvent("bead_cancelled", { beadId: b.id, payload: {} })], NOW);
  expect(actions[0]).toMatchObject({ type: "stop_agent", agentId: a.id });
  const dispatch = actions.find((x) => x.type === "dispatch_agent");
  expect(dispatch).toMatchObject({ beadId: next.id });
  expect((dispatch as { agentId: string | null }).agentId).not.toBe(a.id);
  expect(await repo.agent(a.id)).toMatchObject({ status: "idle", currentHookBeadId: null });
});

pitfall("§11 #6 a failed start rolls the agent back but never unhooks or reopens; a heartbeat would have kept it alive", async (open) => {
  const b = bead();
  const repo = await open(makeWorld({ beads: [b] }));
  const { results } = await simulateTick(repo, [], NOW);
  const agentId = results.flatMap((r) => (r.status === "applied" && r.dispatch ? [r.dispatch.agentId] : []))[0];
  const t1 = later(0.2);
  await simulateTick(repo, [makeEvent("dispatch_failed", { agentId, beadId: b.id, payload: { agent_id: agentId, bead_id: b.id, reason: "timeout" } })], t1);
  expect(await repo.agent(agentId)).toMatchObject({ status: "idle", currentHookBeadId: b.id });
  expect(await repo.bead(b.id)).toMatchObject({ status: "in_progress", dispatchAttempts: 1 });
});

pitfall("§11 #7 caps and backoff use the bead's counters, which survive hooking and agent churn", async (open) => {
  const b = bead({ dispatchAttempts: 4, lastDispatchAttemptAt: ago(11) });
  const old = agent({ status: "idle", dispatchAttempts: 0 });
  const repo = await open(makeWorld({ beads: [b], agents: [old] }));
  await applyStateAction(repo, { type: "hook_agent", rule: "t", reason: "t", agentId: old.id, beadId: b.id }, NOW);
  expect(await repo.bead(b.id)).toMatchObject({ dispatchAttempts: 4, lastDispatchAttemptAt: ago(11) });
  await applyStateAction(repo, { type: "dispatch_agent", rule: "B2", reason: "t", agentId: old.id, beadId: b.id, rigId: b.rigId }, NOW);
  expect((await repo.bead(b.id)).dispatchAttempts).toBe(5);
  // the agent is deleted and the bead reopened: the next decision still sees attempt 5 and fails it
  await applyStateAction(repo, { type: "clear_bead_assignee", rule: "t", reason: "t", beadId: b.id }, NOW);
  await applyStateAction(repo, { type: "transition_bead", rule: "t", reason: "t", beadId: b.id, from: "in_progress", to: "open" }, NOW);
  expect(byRule(reconcile(await repo.snapshot(later(60)), later(60)), "B1")).toEqual([expect.objectContaining({ type: "transition_bead", to: "failed" })]);
});

pitfall("§11 #8 a busy town never trips its own breaker: only dispatch failures count", async () => {
  const busy = Array.from({ length: 25 }, () => bead({ status: "in_progress", dispatchAttempts: 2, lastDispatchAttemptAt: ago(5) }));
  const actions = reconcile(makeWorld({ beads: [...busy, bead()] }), NOW);
  expect(actions.filter((a) => a.type === "notify_mayor")).toEqual([]);
  expect(actions.some((a) => a.type === "dispatch_agent")).toBe(true);
});

pitfall("§11 #11 auto-merge sequence: timer → pr_auto_merge → merge_pr → merged → the still-running refinery is stopped (R7)", async (open) => {
  const src = bead({ status: "in_review" });
  const m = mr({ sourceBeadId: src.id, status: "in_progress", prUrl: PR, metadata: { last_poll_at: NOW.toISOString() } });
  const r = agent({ role: "refinery", status: "working", currentHookBeadId: m.bead.id, lastActivityAt: NOW });
  const repo = await open(makeWorld({ beads: [src], mrs: [m], agents: [r], townSettings: { refinery: { auto_merge_delay_minutes: 0 } } }));
  const id = m.bead.id;
  await simulateTick(repo, [makeEvent("poll_auto_merge_update", { beadId: id, payload: { mr_bead_id: id, ready_since: NOW.toISOString() } })], NOW);
  const t2 = later(0.1);
  const { actions } = await simulateTick(repo, [makeEvent("pr_auto_merge", { beadId: id, payload: { mr_bead_id: id, pr_url: PR } })], t2);
  expect(actions).toContainEqual(expect.objectContaining({ type: "merge_pr", beadId: id }));
  const t3 = later(0.2);
  const merged = await simulateTick(repo, [makeEvent("pr_status_changed", { beadId: id, payload: { pr_url: PR, pr_state: "merged" } })], t3);
  expect((await repo.bead(id)).status).toBe("closed");
  expect((await repo.bead(src.id)).status).toBe("closed");
  expect(byRule(merged.actions, "R7").map((a) => a.type)).toEqual(["stop_agent", "unhook_agent", "transition_agent"]);
  expect(await repo.agent(r.id)).toMatchObject({ status: "idle", currentHookBeadId: null });
  expect(merged.actions.some((a) => a.type === "merge_pr")).toBe(false);
});

pitfall("§11 #11 a failed merge clears pending and the timer, so the next green poll starts a fresh grace period", async (open) => {
  const m = mr({ status: "in_progress", prUrl: PR, metadata: { auto_merge_pending: true, last_poll_at: NOW.toISOString() }, review: { autoMergeReadySince: ago(20) } });
  const repo = await open(makeWorld({ mrs: [m] }));
  const { actions } = await simulateTick(repo, [makeEvent("auto_merge_cleared", { beadId: m.bead.id, payload: { mr_bead_id: m.bead.id, reason: "merge_failed" } })], NOW);
  expect(actions.some((a) => a.type === "merge_pr")).toBe(false);
  expect((await repo.review(m.bead.id)).autoMergeReadySince).toBeNull();
});

pitfall("§11 #13 polling keeps R4 quiet: the poll pre-write refreshes updated_at", async (open) => {
  const m = mr({ status: "in_progress", prUrl: PR, updatedAt: ago(29) });
  const repo = await open(makeWorld({ mrs: [m] }));
  const first = await simulateTick(repo, [], NOW);
  expect(first.actions.map((a) => a.rule)).toEqual(["R1"]);
  const later31 = later(2);
  const second = await simulateTick(repo, [], later31);
  expect(byRule(second.actions, "R4")).toEqual([]);
});

pitfall("§11 #16 a staged convoy's beads wait; convoy_started releases them in the same tick", async (open) => {
  const b = bead();
  const c = convoy({ tracks: [b.id], meta: { staged: true } });
  const repo = await open(makeWorld({ beads: [b], convoys: [c] }));
  expect((await simulateTick(repo, [], NOW)).actions.some((a) => a.type === "dispatch_agent")).toBe(false);
  const { actions } = await simulateTick(repo, [makeEvent("convoy_started", { payload: { convoy_id: c.bead.id } })], NOW);
  expect(actions).toContainEqual(expect.objectContaining({ type: "dispatch_agent", beadId: b.id }));
});

pitfall("§11 #17 downstream work starts only after the blocker's MR merged (the stricter rule)", async (open) => {
  const up = bead({ status: "in_progress" });
  const down = bead();
  const a = agent({ status: "working", currentHookBeadId: up.id, lastActivityAt: NOW });
  const repo = await open(makeWorld({ beads: [up, down], agents: [a], dependencies: [{ townId: up.townId, beadId: down.id, dependsOnBeadId: up.id, dependencyType: "blocks", createdAt: NOW }] }));
  await simulateTick(repo, [makeEvent("agent_done", { agentId: a.id, payload: { branch: "gt/up", pr_url: PR } })], NOW);
  expect((await repo.bead(up.id)).status).toBe("in_review");
  const [m] = await repo.beadsOfType("merge_request");
  // even if someone closes the upstream bead by hand, its MR is still open: down waits
  await repo.updateBead(up.id, { status: "closed" });
  expect((await simulateTick(repo, [], later(1))).actions.some((x) => x.type === "dispatch_agent" && x.beadId === down.id)).toBe(false);
  const { actions } = await simulateTick(repo, [makeEvent("pr_status_changed", { beadId: m.id, payload: { pr_url: PR, pr_state: "merged" } })], later(2));
  expect(actions).toContainEqual(expect.objectContaining({ type: "dispatch_agent", beadId: down.id }));
});
