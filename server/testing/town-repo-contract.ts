import { describe, expect, it } from "vitest";
import type { NewNotification, NewNudge, TownRepo } from "../domain/repo";
import { agent, ago, bead, blocks, convoy, makeWorld, mr, nudge, NOW, RIG_ID } from "../domain/testing";
import type { BeadDependency, BeadEventRecord, World } from "../domain/types";

// One contract for the TownRepo port (server/domain/repo.ts), run against every implementation:
// MemoryTownRepo in a unit test, PgTownRepo and BatchTownRepo on Postgres in an integration test. Same world,
// same calls, same expected rows — so the memory repo can serve the fast pure tests without lying. Rows the
// port writes but never reads back (bead events, nudges, notifications, dependencies) are observed through
// `stored()`, which each implementation answers from its own storage.

export interface StoredRows {
  beadEvents: BeadEventRecord[];
  nudges: (NewNudge & { deliveredAt: Date | null })[];
  notifications: NewNotification[];
  dependencies: Omit<BeadDependency, "townId">[];
}

export interface RepoUnderTest {
  repo: TownRepo;
  /** everything written so far, as stored (an implementation that buffers flushes first) */
  stored(): Promise<StoredRows>;
}

/** Opens a repo over a town seeded with `world`; the caller cleans up (e.g. rolls its transaction back). */
export type MakeRepo = (world: World) => Promise<RepoUnderTest>;

const byJson = <T>(xs: T[]) => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

/** The shared town: one of every kind of row the port reads, with the relations between them. */
function contractWorld() {
  const label = "gt:contract";
  const open = bead({ title: "open", labels: [label], metadata: { a: 1 }, updatedAt: ago(30) });
  const working = bead({ title: "working", status: "in_progress", labels: [label, "other"] });
  const closed = bead({ title: "closed", status: "closed", labels: [label], closedAt: ago(10) });
  const blocker = bead({ title: "blocker" });
  const mayor = agent({ role: "mayor", status: "working" });
  const refinery = agent({ role: "refinery", status: "working", lastActivityAt: ago(1) });
  const hooked = agent({ status: "working", currentHookBeadId: working.id, lastActivityAt: ago(2) });
  const idleOld = agent({ status: "idle", lastActivityAt: ago(20) });
  const idleNew = agent({ status: "idle", lastActivityAt: ago(3) });
  const idleHooked = agent({ status: "idle", currentHookBeadId: open.id, lastActivityAt: NOW });
  working.assigneeAgentBeadId = hooked.id;
  const activeMr = mr({ sourceBeadId: working.id, status: "in_progress", assigneeAgentBeadId: refinery.id, updatedAt: ago(5), prUrl: "https://github.com/acme/widgets/pull/1" });
  const newerMr = mr({ sourceBeadId: working.id, status: "open", assigneeAgentBeadId: refinery.id, updatedAt: ago(4), branch: "gt/newer" });
  const doneMr = mr({ sourceBeadId: working.id, status: "closed", assigneeAgentBeadId: refinery.id, updatedAt: ago(1), branch: "gt/done" });
  const c = convoy({ tracks: [open.id, working.id], meta: { featureBranch: "feat/c", staged: true } });
  const world = makeWorld({
    townSettings: { refinery: { auto_merge_delay_minutes: 7 } },
    rigs: [{}, { id: "rig-contract-b", name: "rig-b", config: { refinery: { auto_merge_delay_minutes: 2 } } as never }],
    beads: [open, working, closed, blocker],
    agents: [mayor, refinery, hooked, idleOld, idleNew, idleHooked],
    mrs: [activeMr, newerMr, doneMr],
    convoys: [c],
    dependencies: [blocks(open.id, blocker.id)],
    nudges: [nudge({ agentBeadId: idleOld.id, message: "wake up" })],
  });
  return { world, label, open, working, closed, blocker, mayor, refinery, hooked, idleOld, idleNew, idleHooked, activeMr, newerMr, doneMr, convoy: c };
}

export function defineTownRepoContract(name: string, makeRepo: MakeRepo) {
  describe(`TownRepo contract: ${name}`, () => {
    // ---- reads

    it("getBead/getAgent/getReview/getConvoy return the seeded rows, and null for an unknown id", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.getBead(w.open.id)).toEqual(w.open);
      expect(await repo.getBead(w.activeMr.bead.id)).toEqual(w.activeMr.bead);
      expect(await repo.getAgent(w.hooked.id)).toEqual(w.hooked);
      expect(await repo.getReview(w.activeMr.bead.id)).toEqual(w.activeMr.review);
      expect(await repo.getConvoy(w.convoy.bead.id)).toEqual(w.convoy.convoy);
      expect(await repo.getBead("no-such-bead")).toBeNull();
      expect(await repo.getAgent("no-such-agent")).toBeNull();
      expect(await repo.getAgent(w.open.id)).toBeNull();
      expect(await repo.getReview(w.open.id)).toBeNull();
      expect(await repo.getConvoy(w.open.id)).toBeNull();
    });

    it("reads hand out copies: mutating what was read changes nothing stored", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      const read = (await repo.getBead(w.open.id))!;
      read.title = "mutated";
      read.labels.push("mutated");
      (read.metadata as Record<string, unknown>).a = 2;
      const a = (await repo.getAgent(w.hooked.id))!;
      a.status = "dead" as never;
      expect(await repo.getBead(w.open.id)).toEqual(w.open);
      expect((await repo.getAgent(w.hooked.id))!.status).toBe("working");
    });

    it("getRig resolves the effective settings through the town's settings and the rig's overrides", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.getRig(RIG_ID)).toEqual(w.world.rigs[0]);
      const b = await repo.getRig("rig-contract-b");
      expect(b).toEqual(w.world.rigs[1]);
      expect(await repo.getRig("no-such-rig")).toBeNull();
    });

    it("findMayor, findRefinery: the town's mayor and the rig's refinery, or null", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.findMayor()).toEqual(w.mayor);
      expect(await repo.findRefinery(RIG_ID)).toEqual(w.refinery);
      expect(await repo.findRefinery("rig-contract-b")).toBeNull();
      await repo.deleteAgent(w.mayor.id);
      expect(await repo.findMayor()).toBeNull();
    });

    it("findIdlePolecat: the most recently active idle, unhooked polecat of the rig", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.findIdlePolecat(RIG_ID)).toEqual(w.idleNew);
      expect(await repo.findIdlePolecat("rig-contract-b")).toBeNull();
      // reads see earlier writes
      await repo.updateAgent(w.idleNew.id, { status: "working" });
      expect((await repo.findIdlePolecat(RIG_ID))!.id).toBe(w.idleOld.id);
    });

    it("listAgentsHookedTo and listAgentNames", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.listAgentsHookedTo(w.working.id)).toEqual([w.hooked]);
      expect(await repo.listAgentsHookedTo(w.blocker.id)).toEqual([]);
      expect((await repo.listAgentNames()).sort()).toEqual(w.world.agents.map((a) => a.name).sort());
    });

    it("listDependencies and listDependents by dependency type", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.listDependencies(w.open.id, "blocks")).toEqual([w.blocker]);
      expect(await repo.listDependencies(w.open.id, "tracks")).toEqual([w.convoy.bead]);
      expect(await repo.listDependents(w.blocker.id, "blocks")).toEqual([w.open]);
      expect(await repo.listDependents(w.blocker.id, "tracks")).toEqual([]);
      expect(ids(await repo.listDependents(w.convoy.bead.id, "tracks"))).toEqual(ids([w.open, w.working]));
      expect(ids(await repo.listDependents(w.working.id, "tracks"))).toEqual(ids([w.activeMr.bead, w.newerMr.bead, w.doneMr.bead]));
    });

    it("listMrsTracking: the merge_request beads tracking the bead, with their reviews (not the convoy)", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      const mrs = await repo.listMrsTracking(w.working.id);
      expect(byJson(mrs)).toEqual(byJson([w.activeMr, w.newerMr, w.doneMr].map((m) => ({ bead: m.bead, review: m.review }))));
      expect(await repo.listMrsTracking(w.open.id)).toEqual([]);
    });

    it("findLatestActiveMrAssignedTo: the most recently updated non-terminal MR of the agent", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.findLatestActiveMrAssignedTo(w.refinery.id)).toEqual({ bead: w.newerMr.bead, review: w.newerMr.review });
      expect(await repo.findLatestActiveMrAssignedTo(w.hooked.id)).toBeNull();
    });

    it("listBeadsAssignedTo and listActiveBeadsWithLabel", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      expect(await repo.listBeadsAssignedTo(w.hooked.id)).toEqual([w.working]);
      expect(ids(await repo.listBeadsAssignedTo(w.refinery.id))).toEqual(ids([w.activeMr.bead, w.newerMr.bead, w.doneMr.bead]));
      expect(ids(await repo.listActiveBeadsWithLabel(w.label))).toEqual(ids([w.open, w.working]));
      expect(await repo.listActiveBeadsWithLabel("other")).toEqual([w.working]);
      expect(await repo.listActiveBeadsWithLabel("gt:none")).toEqual([]);
      // reads see earlier writes
      await repo.updateBead(w.open.id, { status: "closed" });
      expect(await repo.listActiveBeadsWithLabel(w.label)).toEqual([w.working]);
    });

    // ---- updates: patch semantics

    it("updateBead writes only the named keys; undefined is ignored and null clears", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      await repo.updateBead(w.working.id, {
        status: "in_review",
        title: undefined,
        assigneeAgentBeadId: null,
        labels: ["x"],
        metadata: { b: [1, 2], nested: { c: null } },
        dispatchAttempts: 3,
        lastDispatchAttemptAt: ago(1),
        updatedAt: NOW,
      });
      expect(await repo.getBead(w.working.id)).toEqual({
        ...w.working,
        status: "in_review",
        assigneeAgentBeadId: null,
        labels: ["x"],
        metadata: { b: [1, 2], nested: { c: null } },
        dispatchAttempts: 3,
        lastDispatchAttemptAt: ago(1),
        updatedAt: NOW,
      });
      await repo.updateBead(w.closed.id, { closedAt: null, body: "now with a body" });
      expect(await repo.getBead(w.closed.id)).toEqual({ ...w.closed, closedAt: null, body: "now with a body" });
      await repo.updateBead(w.open.id, {});
      expect(await repo.getBead(w.open.id)).toEqual(w.open);
    });

    it("json columns read back as JSON: a Date inside metadata comes back as its ISO string", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      await repo.updateBead(w.open.id, { metadata: { when: NOW, gone: undefined } });
      expect((await repo.getBead(w.open.id))!.metadata).toEqual({ when: NOW.toISOString() });
      await repo.updateAgent(w.hooked.id, { checkpoint: { at: NOW } });
      expect((await repo.getAgent(w.hooked.id))!.checkpoint).toEqual({ at: NOW.toISOString() });
    });

    it("updateAgent writes only the named keys, null clears", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      await repo.updateAgent(w.hooked.id, {
        status: "idle",
        currentHookBeadId: null,
        checkpoint: { step: 2 },
        activeTools: ["bash"],
        lastActivityAt: null,
        agentStatusMessage: "thinking",
        pid: 42,
        runtimeName: undefined,
      });
      expect(await repo.getAgent(w.hooked.id)).toEqual({
        ...w.hooked,
        status: "idle",
        currentHookBeadId: null,
        checkpoint: { step: 2 },
        activeTools: ["bash"],
        lastActivityAt: null,
        agentStatusMessage: "thinking",
        pid: 42,
      });
      await repo.updateAgent(w.hooked.id, { checkpoint: null, pid: null });
      expect(await repo.getAgent(w.hooked.id)).toMatchObject({ checkpoint: null, pid: null, agentStatusMessage: "thinking" });
      expect(await repo.listAgentsHookedTo(w.working.id)).toEqual([]);
    });

    it("updateReview and updateConvoy write only the named keys, null clears", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      await repo.updateReview(w.activeMr.bead.id, { prUrl: null, retryCount: 2, autoMergeReadySince: ago(3) });
      expect(await repo.getReview(w.activeMr.bead.id)).toEqual({ ...w.activeMr.review, prUrl: null, retryCount: 2, autoMergeReadySince: ago(3) });
      await repo.updateReview(w.activeMr.bead.id, { autoMergeReadySince: null });
      expect((await repo.getReview(w.activeMr.bead.id))!.autoMergeReadySince).toBeNull();
      await repo.updateConvoy(w.convoy.bead.id, { closedBeads: 1, featureBranch: null, staged: false, landedAt: NOW });
      expect(await repo.getConvoy(w.convoy.bead.id)).toEqual({ ...w.convoy.convoy, closedBeads: 1, featureBranch: null, staged: false, landedAt: NOW });
      const mrs = await repo.listMrsTracking(w.working.id);
      expect(mrs.find((m) => m.bead.id === w.activeMr.bead.id)!.review.retryCount).toBe(2);
    });

    // ---- inserts

    it("insertBead fills the defaults, returns what getBead reads, and inserts its satellites", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      const plain = await repo.insertBead({ type: "issue", title: "new", createdAt: ago(1) });
      expect(plain).toEqual({
        id: plain.id, townId: w.world.townId, type: "issue", status: "open", title: "new", body: null, rigId: null, parentBeadId: null,
        assigneeAgentBeadId: null, priority: "medium", labels: [], metadata: {}, dispatchAttempts: 0, lastDispatchAttemptAt: null,
        createdBy: null, createdAt: ago(1), updatedAt: ago(1), closedAt: null,
      });
      expect(await repo.getBead(plain.id)).toEqual(plain);
      const review = { branch: "gt/x", targetBranch: "main", mergeCommit: null, prUrl: null, retryCount: 0, autoMergeReadySince: null, lastFeedbackCheckAt: null };
      const m = await repo.insertBead({
        type: "merge_request", title: "Review: gt/x", status: "in_progress", rigId: RIG_ID, parentBeadId: w.working.id, assigneeAgentBeadId: w.refinery.id,
        priority: "high", labels: ["gt:merge-request"], metadata: { source_bead_id: w.working.id }, createdBy: "system", createdAt: NOW, review,
      });
      expect(await repo.getBead(m.id)).toEqual(m);
      expect(m).toMatchObject({ status: "in_progress", parentBeadId: w.working.id, priority: "high", createdBy: "system" });
      expect(await repo.getReview(m.id)).toEqual({ ...review, beadId: m.id, townId: w.world.townId });
      const convoyMeta = { totalBeads: 2, closedBeads: 0, landedAt: null, featureBranch: null, mergeMode: "review-then-land" as const, staged: false, readyToLand: false };
      const c = await repo.insertBead({ type: "convoy", title: "c", createdAt: NOW, convoy: convoyMeta });
      expect(await repo.getConvoy(c.id)).toEqual({ ...convoyMeta, beadId: c.id, townId: w.world.townId });
      const e = await repo.insertBead({
        type: "escalation", title: "help", createdAt: NOW,
        escalation: { severity: "high", category: null, acknowledged: false, reEscalationCount: 0, acknowledgedAt: null },
      });
      expect(await repo.getBead(e.id)).toEqual(e);
    });

    it("insertAgent returns what getAgent reads; the new name is listed and the idle polecat found", async () => {
      const w = contractWorld();
      const { repo } = await makeRepo(w.world);
      const a = await repo.insertAgent({ name: "Fresh", role: "polecat", rigId: "rig-contract-b", identity: "Fresh-polecat-contract", status: "idle", lastActivityAt: NOW, createdAt: NOW });
      expect(a).toEqual({
        id: a.id, townId: w.world.townId, name: "Fresh", rigId: "rig-contract-b", role: "polecat", identity: "Fresh-polecat-contract",
        containerProcessId: null, status: "idle", currentHookBeadId: null, dispatchAttempts: 0, checkpoint: null, lastActivityAt: NOW,
        agentStatusMessage: null, agentStatusUpdatedAt: null, lastEventType: null, lastEventAt: null, activeTools: [], stalledAt: null,
        dispatchedAt: null, runtimeName: null, pid: null, logPath: null, createdAt: NOW,
      });
      expect(await repo.getAgent(a.id)).toEqual(a);
      expect(await repo.listAgentNames()).toContain("Fresh");
      expect(await repo.findIdlePolecat("rig-contract-b")).toEqual(a);
    });

    it("insertDependency is insert-or-ignore: one row per ordered pair, the first type wins", async () => {
      const w = contractWorld();
      const r = await makeRepo(w.world);
      await r.repo.insertDependency({ beadId: w.working.id, dependsOnBeadId: w.blocker.id, dependencyType: "blocks", createdAt: NOW });
      await r.repo.insertDependency({ beadId: w.working.id, dependsOnBeadId: w.blocker.id, dependencyType: "tracks", createdAt: later1() });
      await r.repo.insertDependency({ beadId: w.open.id, dependsOnBeadId: w.blocker.id, dependencyType: "blocks", createdAt: NOW });
      expect(await r.repo.listDependencies(w.working.id, "blocks")).toEqual([w.blocker]);
      expect(await r.repo.listDependencies(w.working.id, "tracks")).toEqual([w.convoy.bead]);
      const deps = (await r.stored()).dependencies;
      expect(byJson(deps)).toEqual(
        byJson([
          ...w.world.dependencies.map(({ townId: _t, ...d }) => d),
          { beadId: w.working.id, dependsOnBeadId: w.blocker.id, dependencyType: "blocks", createdAt: NOW },
        ]),
      );
    });

    it("insertBeadEvent, insertNudge, insertNotification store exactly the rows given", async () => {
      const w = contractWorld();
      const r = await makeRepo(w.world);
      const events: BeadEventRecord[] = [
        { beadId: w.open.id, agentId: null, eventType: "status_changed", oldValue: "open", newValue: "in_progress", metadata: { rule: "B2" }, createdAt: NOW },
        { beadId: w.working.id, agentId: w.hooked.id, eventType: "note", oldValue: null, newValue: null, metadata: {}, createdAt: ago(1) },
      ];
      for (const e of events) await r.repo.insertBeadEvent(e);
      const n: NewNudge = { agentBeadId: w.hooked.id, message: "hurry", mode: "immediate", priority: "urgent", source: "reconciler:warn", createdAt: NOW, expiresAt: later1() };
      await r.repo.insertNudge(n);
      const notes: NewNotification[] = [
        { kind: "mayor_notice", message: "hello mayor", beadId: w.open.id, eventId: "event-1", createdAt: NOW },
        { kind: "breaker_open", message: "breaker", beadId: null, eventId: null, createdAt: NOW },
      ];
      for (const x of notes) await r.repo.insertNotification(x);
      const stored = await r.stored();
      expect(byJson(stored.beadEvents)).toEqual(byJson(events));
      expect(byJson(stored.nudges)).toEqual(
        byJson([
          { ...n, deliveredAt: null },
          ...w.world.nudges.map(({ id: _i, townId: _t, ...x }) => x),
        ]),
      );
      expect(byJson(stored.notifications)).toEqual(byJson(notes));
    });

    it("deleteAgent removes the agent with its nudges and dependencies; its hooked bead and other agents stay", async () => {
      const w = contractWorld();
      const r = await makeRepo(w.world);
      await r.repo.insertDependency({ beadId: w.blocker.id, dependsOnBeadId: w.idleOld.id, dependencyType: "blocks", createdAt: NOW });
      await r.repo.insertNudge({ agentBeadId: w.idleOld.id, message: "second", mode: "queue", priority: "normal", source: "test", createdAt: NOW, expiresAt: null });
      await r.repo.deleteAgent(w.idleOld.id);
      await r.repo.deleteAgent(w.hooked.id);
      expect(await r.repo.getAgent(w.idleOld.id)).toBeNull();
      expect(await r.repo.getAgent(w.hooked.id)).toBeNull();
      expect(await r.repo.getAgent(w.idleNew.id)).toEqual(w.idleNew);
      expect(await r.repo.getBead(w.working.id)).toEqual(w.working);
      expect(await r.repo.listAgentsHookedTo(w.working.id)).toEqual([]);
      expect((await r.repo.listAgentNames()).sort()).toEqual([w.mayor, w.refinery, w.idleNew, w.idleHooked].map((a) => a.name).sort());
      const stored = await r.stored();
      expect(stored.nudges).toEqual([]);
      expect(stored.dependencies.some((d) => d.beadId === w.idleOld.id || d.dependsOnBeadId === w.idleOld.id)).toBe(false);
      expect(stored.dependencies).toHaveLength(w.world.dependencies.length);
      await r.repo.deleteAgent("no-such-agent");
    });
  });
}

function later1() {
  return new Date(NOW.getTime() + 60_000);
}
