import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActionSchema, type Action, type ActionOf } from "./actions";
import { checkInvariants } from "./invariants";
import { MemoryTownRepo } from "./memory-repo";
import { reconcile, reconcileDetailed } from "./reconcile";
import { applyStateAction } from "./state-actions";
import { agent, bead, blocks, conflictingMoves, convoy, makeWorld, mr, NOW, type ConvoyFixture, type MrFixture } from "./testing";
import type { Agent, AgentStatus, Bead, BeadDependency, BeadStatus, World } from "./types";
import {
  attemptsExhausted,
  indexWorld,
  inCooldown,
  isBlocked,
  isHeld,
  polecatsHoldingWork,
  runningPolecats,
  settingsFor,
  stagedConvoyOf,
} from "./world";

// Property tests over random towns: whatever the state, one tick never contradicts itself and never
// dispatches what must wait.

const RIGS = ["rig-a", "rig-b"];
const minutesAgo = (m: number | null) => (m === null ? null : new Date(NOW.getTime() - m * 60_000));
const minutes = fc.option(fc.integer({ min: 0, max: 26 * 60 }), { nil: null, freq: 4 });
const shortMinutes = fc.option(fc.integer({ min: 0, max: 45 }), { nil: null, freq: 3 });

const beadSpec = fc.record({
  status: fc.constantFrom<BeadStatus>("open", "open", "in_progress", "in_review", "closed", "failed"),
  rig: fc.integer({ min: 0, max: RIGS.length - 1 }),
  labels: fc.oneof({ weight: 3, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.subarray(["gt:held", "gt:triage-request", "gt:rework"]) }),
  attempts: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 6 }) }),
  lastAttempt: shortMinutes,
  updated: fc.integer({ min: 0, max: 60 }),
  priority: fc.constantFrom("low", "medium", "high", "critical" as const),
  assigned: fc.constantFrom(false, false, false, true),
});

const agentSpec = fc.record({
  role: fc.constantFrom("polecat", "polecat", "polecat", "refinery", "mayor" as const),
  status: fc.constantFrom<AgentStatus>("idle", "idle", "working", "stalled", "dead"),
  rig: fc.integer({ min: 0, max: RIGS.length - 1 }),
  hook: fc.option(fc.nat(), { nil: null }),
  hookMr: fc.boolean(),
  activity: minutes,
  sdk: minutes,
  tools: fc.boolean(),
});

const mrSpec = fc.record({
  status: fc.constantFrom<BeadStatus>("open", "open", "in_progress", "in_progress", "closed", "failed"),
  source: fc.nat(),
  rig: fc.integer({ min: 0, max: RIGS.length - 1 }),
  pr: fc.boolean(),
  held: fc.boolean(),
  pending: fc.boolean(),
  lastPoll: shortMinutes,
  updated: fc.integer({ min: 0, max: 60 }),
  attempts: fc.integer({ min: 0, max: 6 }),
  lastAttempt: shortMinutes,
  system: fc.boolean(),
});

const worldSpec = fc.record({
  beads: fc.array(beadSpec, { maxLength: 14 }),
  agents: fc.array(agentSpec, { maxLength: 8 }),
  mrs: fc.array(mrSpec, { maxLength: 6 }),
  convoys: fc.array(fc.record({ tracks: fc.array(fc.nat(), { maxLength: 4 }), staged: fc.boolean(), rtl: fc.boolean(), ready: fc.boolean() }), { maxLength: 2 }),
  blockers: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 5 }),
  rigConfigs: fc.array(
    fc.record({
      cap: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      attempts: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      codeReview: fc.option(fc.boolean(), { nil: undefined }),
    }),
    { minLength: RIGS.length, maxLength: RIGS.length },
  ),
  townCap: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  // mostly healthy towns, with the breaker and the drain sometimes in play (and their boundaries)
  failures: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 18, max: 21 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }) }),
  draining: fc.constantFrom(false, false, false, false, false, false, true),
});

type WorldSpec = typeof worldSpec extends fc.Arbitrary<infer T> ? T : never;

function buildWorld(spec: WorldSpec): World {
  const beads: Bead[] = spec.beads.map((s, i) =>
    bead({
      id: `b${i}`,
      status: s.status,
      rigId: RIGS[s.rig],
      labels: s.labels,
      dispatchAttempts: s.attempts,
      lastDispatchAttemptAt: minutesAgo(s.lastAttempt),
      updatedAt: minutesAgo(s.updated)!,
      createdAt: minutesAgo(60 + i)!,
      priority: s.priority,
    }),
  );
  const mrs: MrFixture[] = spec.mrs.map((s, i) =>
    mr({
      id: `m${i}`,
      status: s.status,
      rigId: RIGS[s.rig],
      sourceBeadId: beads.length ? beads[s.source % beads.length].id : null,
      prUrl: s.pr ? `https://github.com/acme/widgets/pull/${i + 1}` : null,
      labels: s.held ? ["gt:merge-request", "gt:held"] : ["gt:merge-request"],
      metadata: { ...(s.pending ? { auto_merge_pending: true } : {}), ...(s.lastPoll !== null ? { last_poll_at: minutesAgo(s.lastPoll)!.toISOString() } : {}) },
      updatedAt: minutesAgo(s.updated)!,
      createdAt: minutesAgo(120 + i)!,
      dispatchAttempts: s.attempts,
      lastDispatchAttemptAt: minutesAgo(s.lastAttempt),
      createdBy: s.system ? "system" : "p",
    }),
  );
  const hookable = [...beads.map((b) => b.id)];
  const agents: Agent[] = spec.agents.map((s, i) => {
    const targets = s.hookMr && mrs.length ? mrs.map((m) => m.bead.id) : hookable;
    const hook = s.role === "mayor" || s.hook === null || targets.length === 0 ? null : targets[s.hook % targets.length];
    return agent({
      id: `a${i}`,
      role: s.role,
      status: s.role === "mayor" && s.status === "stalled" ? "working" : s.status,
      rigId: s.role === "mayor" ? null : RIGS[s.rig],
      currentHookBeadId: hook,
      lastActivityAt: minutesAgo(s.activity),
      lastEventAt: minutesAgo(s.sdk),
      activeTools: s.tools ? ["bash"] : [],
    });
  });
  // Assignees follow hooks (and some stale assignees exist), as in a real town.
  for (const b of beads) {
    const hooked = agents.find((a) => a.currentHookBeadId === b.id);
    const s = spec.beads[Number(b.id.slice(1))];
    if (hooked) b.assigneeAgentBeadId = hooked.id;
    else if (s.assigned && agents.length) b.assigneeAgentBeadId = agents[0].id;
  }
  const convoys: ConvoyFixture[] = spec.convoys.map((s, i) =>
    convoy({
      id: `c${i}`,
      tracks: beads.length ? [...new Set(s.tracks.map((t) => beads[t % beads.length].id))] : [],
      meta: { staged: s.staged, mergeMode: s.rtl ? "review-then-land" : "review-and-merge", featureBranch: s.rtl ? `convoy/c${i}/head` : null, readyToLand: s.ready },
    }),
  );
  const dependencies: BeadDependency[] = [];
  const seen = new Set<string>();
  for (const [x, y, onMr] of spec.blockers) {
    const from = onMr && mrs.length ? mrs[x % mrs.length].bead.id : beads.length ? beads[x % beads.length].id : null;
    const to = beads.length ? beads[y % beads.length].id : null;
    if (!from || !to || from === to || seen.has(`${from}>${to}`)) continue;
    seen.add(`${from}>${to}`);
    dependencies.push(blocks(from, to));
  }
  return makeWorld({
    rigs: RIGS.map((id, i) => ({
      id,
      config: {
        ...(spec.rigConfigs[i].cap !== undefined ? { max_concurrent_polecats: spec.rigConfigs[i].cap } : {}),
        ...(spec.rigConfigs[i].attempts !== undefined ? { max_dispatch_attempts: spec.rigConfigs[i].attempts } : {}),
        ...(spec.rigConfigs[i].codeReview !== undefined ? { code_review: spec.rigConfigs[i].codeReview } : {}),
      },
    })),
    townSettings: spec.townCap !== undefined ? { max_polecats_per_rig: spec.townCap } : {},
    beads,
    agents,
    mrs,
    convoys,
    dependencies,
    recentDispatchFailures: spec.failures,
    draining: spec.draining,
  });
}

const worlds = worldSpec.map(buildWorld);
const RUNS = { numRuns: 500 };

describe("reconcile properties", () => {
  it("the generator makes towns where things happen (the properties below are not vacuous)", () => {
    const sample = fc.sample(worlds, { numRuns: 300, seed: 42 });
    const withDispatch = sample.filter((w) => reconcile(w, NOW).some((a) => a.type === "dispatch_agent")).length;
    const withDroppedOrMoves = sample.filter((w) => reconcile(w, NOW).length >= 3).length;
    const withB2 = sample.filter((w) => reconcile(w, NOW).some((a) => a.type === "dispatch_agent" && a.rule === "B2")).length;
    const withR5 = sample.filter((w) => reconcile(w, NOW).some((a) => a.type === "dispatch_agent" && a.rule === "R5")).length;
    const withDropped = sample.filter((w) => reconcileDetailed(w, NOW).dropped.length > 0).length;
    expect(withB2).toBeGreaterThan(5);
    expect(withR5).toBeGreaterThan(3);
    expect(withDropped).toBeGreaterThan(3);
    expect(withDispatch).toBeGreaterThan(60);
    expect(withDroppedOrMoves).toBeGreaterThan(100);
  });

  it("never emits two actions that move the same bead or agent to different states in one tick", () => {
    fc.assert(
      fc.property(worlds, (world) => {
        expect(conflictingMoves(world, reconcile(world, NOW))).toEqual([]);
      }),
      RUNS,
    );
  });

  it("never dispatches a bead that is blocked, staged, held, capped or in cooldown — nor while draining or with the breaker open", () => {
    fc.assert(
      fc.property(worlds, (world) => {
        const index = indexWorld(world);
        const dispatches = reconcile(world, NOW).filter((a): a is ActionOf<"dispatch_agent"> => a.type === "dispatch_agent");
        if (world.draining || world.recentDispatchFailures >= 20) expect(dispatches).toEqual([]);
        const perRig = new Map<string, { running: number; newHolders: number }>();
        const beadIds = new Set<string>();
        const agentIds = new Set<string>();
        for (const d of dispatches) {
          const b = index.beads.get(d.beadId)!;
          expect(b, `dispatched bead ${d.beadId} exists`).toBeDefined();
          expect(isBlocked(world, b.id).blocked, `${b.id} blocked`).toBe(false);
          expect(stagedConvoyOf(index, b.id), `${b.id} staged`).toBeNull();
          expect(isHeld(b), `${b.id} held`).toBe(false);
          expect(inCooldown(b, NOW), `${b.id} in cooldown`).toBe(false);
          expect(attemptsExhausted(b, settingsFor(index, b.rigId)), `${b.id} out of attempts`).toBe(false);
          expect(beadIds.has(b.id), `${b.id} dispatched twice`).toBe(false);
          beadIds.add(b.id);
          if (d.agentId) {
            expect(agentIds.has(d.agentId), `${d.agentId} dispatched twice`).toBe(false);
            agentIds.add(d.agentId);
          }
          if (b.type !== "merge_request") {
            const rigId = d.rigId ?? b.rigId!;
            const count = perRig.get(rigId) ?? { running: 0, newHolders: 0 };
            count.running += 1;
            const a = d.agentId ? index.agents.get(d.agentId) : undefined;
            if (!a?.currentHookBeadId) count.newHolders += 1;
            perRig.set(rigId, count);
          }
        }
        for (const [rigId, count] of perRig) {
          const cap = settingsFor(index, rigId).maxConcurrentPolecats;
          expect(runningPolecats(index, rigId).length + count.running, `running polecats in ${rigId}`).toBeLessThanOrEqual(Math.max(cap, runningPolecats(index, rigId).length));
          if (count.newHolders > 0) expect(polecatsHoldingWork(index, rigId).length + count.newHolders, `polecats holding work in ${rigId}`).toBeLessThanOrEqual(cap);
        }
      }),
      RUNS,
    );
  });

  it("every emitted action is valid for the action schema and names its rule and reason", () => {
    fc.assert(
      fc.property(worlds, (world) => {
        for (const action of reconcile(world, NOW)) {
          expect(ActionSchema.safeParse(action).success).toBe(true);
          expect(action.rule.length).toBeGreaterThan(0);
          expect(action.reason.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it("applying a tick's actions never throws and never hooks two agents to one bead", async () => {
    await fc.assert(
      fc.asyncProperty(worlds, async (world) => {
        const hadDoubleHook = checkInvariants(world).some((v) => v.invariant === 6);
        const repo = new MemoryTownRepo(world);
        const actions: Action[] = reconcile(world, NOW);
        for (const action of actions) await applyStateAction(repo, action, NOW);
        if (!hadDoubleHook) expect(checkInvariants(repo.snapshot()).filter((v) => v.invariant === 6)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
