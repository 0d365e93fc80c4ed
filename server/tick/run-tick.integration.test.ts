import { beforeEach, describe, expect, it } from "vitest";
import { testDb, truncateAll } from "../testing/db";
import { RecordingRuntime, testTickDeps } from "../testing/tick-doubles";
import { makeRig, makeTown, makeUser } from "../../prisma/factories";
import { createBead } from "../services/beads";
import { runTick } from "./run-tick";
import { runTicks } from "./run-ticks";
import { getPool } from "../db/pool";
import { reconcileDetailed } from "../domain/reconcile";

// The tick end to end on Postgres, with the runtime and GitHub as doubles.

const MIN = 60_000;

async function setup() {
  const db = testDb();
  const user = await makeUser(db);
  const town = await makeTown(db, user.id);
  const rig = await makeRig(db, town.id);
  return { db, user, town, rig };
}

async function tableChecksum(townId: string) {
  const { rows } = await getPool().query(
    `SELECT
       (SELECT md5(coalesce(string_agg(b::text, '|' ORDER BY bead_id), '')) FROM beads b WHERE town_id = $1) AS beads,
       (SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY bead_id), '')) FROM agent_metadata m WHERE town_id = $1) AS agents,
       (SELECT md5(coalesce(string_agg(e::text, '|' ORDER BY seq), '')) FROM town_events e WHERE town_id = $1) AS events,
       (SELECT count(*) FROM bead_events WHERE town_id = $1) AS bead_events,
       (SELECT count(*) FROM agent_tokens WHERE town_id = $1) AS tokens,
       (SELECT count(*) FROM ticks WHERE town_id = $1) AS ticks`,
    [townId],
  );
  return rows[0];
}

describe("runTick", () => {
  beforeEach(async () => truncateAll(testDb()));

  it("dispatches a slung bead: polecat working on its hook, bead in_progress, counters, token, runtime started with the env contract", async () => {
    const { db, user, town, rig } = await setup();
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Fix login", priority: "medium", labels: [] });
    const runtime = new RecordingRuntime();
    const deps = testTickDeps({ runtime });
    const now = new Date();
    const report = await runTick(deps, town.id, { now });
    expect(report).not.toBeNull();
    expect(report!.eventsDrained).toBe(1);
    expect(report!.actions.map((a) => [a.type, a.rule])).toContainEqual(["dispatch_agent", "B1"]);
    expect(runtime.starts).toHaveLength(1);
    const spec = runtime.starts[0];
    expect(spec).toMatchObject({ role: "polecat", townId: town.id, rigId: rig.id, beadId: bead.id, gitUrl: rig.gitUrl, targetBranch: "main" });
    expect(spec.branch).toMatch(new RegExp(`^gt/fix-login/${bead.id.slice(0, 8)}$`));
    expect(spec.agentToken.split(".")).toHaveLength(3);

    const after = await db.bead.findUniqueOrThrow({ where: { id: bead.id } });
    expect(after).toMatchObject({ status: "in_progress", dispatchAttempts: 1 });
    expect(after.lastDispatchAttemptAt?.getTime()).toBe(now.getTime());
    const agent = await db.agentMetadata.findUniqueOrThrow({ where: { beadId: spec.agentId } });
    expect(agent).toMatchObject({ role: "polecat", status: "working", currentHookBeadId: bead.id, pid: 4242, logPath: "/tmp/agent.log" });
    expect(await db.agentToken.count({ where: { agentId: spec.agentId, revokedAt: null } })).toBe(1);
    const tick = await db.tick.findFirstOrThrow({ where: { townId: town.id } });
    expect(tick.eventsDrained).toBe(1);
    expect(tick.sideEffectsSucceeded).toBe(1);
    const townRow = await db.town.findUniqueOrThrow({ where: { id: town.id } });
    expect(townRow.lastTickAt?.getTime()).toBe(now.getTime());
    expect(townRow.hasActiveWork).toBe(true);
    expect(townRow.tickLeaseOwner).toBeNull();
  });

  it("a runtime refusal becomes dispatch_failed; the next tick rolls the agent back to idle with its hook, counters kept", async () => {
    const { db, user, town, rig } = await setup();
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Refused", priority: "medium", labels: [] });
    const runtime = new RecordingRuntime();
    runtime.onStart = () => ({ started: false, reason: "no capacity" });
    const deps = testTickDeps({ runtime });
    const t0 = new Date();
    const first = await runTick(deps, town.id, { now: t0 });
    expect(first!.sideEffectsFailed).toBe(1);
    const failed = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "dispatch_failed" } });
    expect(failed.payload).toMatchObject({ bead_id: bead.id, reason: "no capacity" });
    // the enqueued event made the town due at once
    expect((await db.town.findUniqueOrThrow({ where: { id: town.id } })).nextTickAt.getTime()).toBeLessThanOrEqual(t0.getTime());

    await runTick(deps, town.id, { now: new Date(t0.getTime() + 1000) });
    const agent = await db.agentMetadata.findUniqueOrThrow({ where: { beadId: runtime.starts[0].agentId } });
    expect(agent).toMatchObject({ status: "idle", currentHookBeadId: bead.id });
    const b = await db.bead.findUniqueOrThrow({ where: { id: bead.id } });
    expect(b.dispatchAttempts).toBe(1);
    // The bead stays in_progress after a single failed start (DOMAIN.md §11 #6: never reopen on one failure);
    // rule B3 recovers it once it has been in_progress for 5 min with no live agent, then B1 redispatches.
    await runTick(deps, town.id, { now: new Date(t0.getTime() + 4 * MIN) });
    expect(runtime.starts).toHaveLength(1);
    await runTick(deps, town.id, { now: new Date(t0.getTime() + 5 * MIN + 1000) });
    expect((await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).status).toBe("open");
    await runTick(deps, town.id, { now: new Date(t0.getTime() + 5 * MIN + 2000) });
    expect(runtime.starts).toHaveLength(2);
    expect((await db.bead.findUniqueOrThrow({ where: { id: bead.id } })).dispatchAttempts).toBe(2);
  });

  it("without any runtime, dispatch fails cleanly with 'no agent runtime configured'", async () => {
    const { db, user, town, rig } = await setup();
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Nobody home", priority: "medium", labels: [] });
    const deps = testTickDeps({ runtime: null });
    await runTick(deps, town.id, { now: new Date() });
    const failed = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "dispatch_failed" } });
    expect(failed.payload).toMatchObject({ reason: "no agent runtime configured" });
  });

  it("one action that cannot be applied is skipped and reported; the actions around it still apply and dispatch", async () => {
    // The state phase applies a tick's actions through one unit of work; a failure there falls back to one
    // savepoint per action, so the outcome is the same as applying them one by one. The failure is a real one
    // from Postgres: a trigger refuses to put the bead titled "Refused" in progress.
    const { db, user, town, rig } = await setup();
    const first = await createBead(db, town.id, user.id, { rigId: rig.id, title: "First", priority: "medium", labels: [] });
    const refused = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Refused", priority: "medium", labels: [] });
    const second = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Second", priority: "medium", labels: [] });
    const pool = getPool();
    await pool.query(`CREATE OR REPLACE FUNCTION gt_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.title = 'Refused' AND NEW.status = 'in_progress' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$`);
    await pool.query(`CREATE TRIGGER gt_test_refuse BEFORE UPDATE ON beads FOR EACH ROW EXECUTE FUNCTION gt_test_refuse()`);
    try {
      const runtime = new RecordingRuntime();
      const deps = testTickDeps({ runtime });
      const report = await runTick(deps, town.id, { now: new Date() });
      const dispatches = report!.actions.filter((a) => a.type === "dispatch_agent");
      expect(dispatches.filter((a) => a.state === "failed")).toEqual([
        expect.objectContaining({ target: { kind: "bead", id: refused.id }, note: expect.stringContaining("refused by the test trigger") }),
      ]);
      expect(dispatches.filter((a) => a.state === "applied")).toHaveLength(2);
      expect(runtime.starts.map((s) => s.beadId).sort()).toEqual([first.id, second.id].sort());
      for (const id of [first.id, second.id]) expect((await db.bead.findUniqueOrThrow({ where: { id } })).status).toBe("in_progress");
      expect((await db.bead.findUniqueOrThrow({ where: { id: refused.id } })).status).toBe("open");
      expect(deps.captured.filter((c) => c.tags.action_type === "dispatch_agent")).toHaveLength(1);
      // the unit of work's rolled-back mints left nothing behind: one live token per started agent
      expect(await db.agentToken.count({ where: { townId: town.id, revokedAt: null } })).toBe(2);
    } finally {
      await pool.query(`DROP TRIGGER IF EXISTS gt_test_refuse ON beads`);
      await pool.query(`DROP FUNCTION IF EXISTS gt_test_refuse()`);
    }
  });

  it("cancelling a bead whose agent is working stops the agent in the same tick; dry run shows it and changes nothing", async () => {
    const { db, user, town, rig } = await setup();
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "To cancel", priority: "medium", labels: [] });
    const runtime = new RecordingRuntime();
    const deps = testTickDeps({ runtime });
    const t0 = new Date();
    await runTick(deps, town.id, { now: t0 });
    const agentId = runtime.starts[0].agentId;
    // a person cancels: bead_cancelled is recorded before the synchronous status write (DOMAIN.md §3)
    await db.townEvent.create({ data: { townId: town.id, eventType: "bead_cancelled", beadId: bead.id, payload: { cancel_status: "failed" } } });
    await db.bead.update({ where: { id: bead.id }, data: { status: "failed" } });

    const before = await tableChecksum(town.id);
    const dry = await runTick(deps, town.id, { now: new Date(t0.getTime() + 1000), dryRun: true });
    expect(dry!.dryRun).toBe(true);
    expect(dry!.actions[0]).toMatchObject({ type: "stop_agent", target: { kind: "agent", id: agentId } });
    expect(dry!.actions[0].eventId).toBeDefined();
    expect(await tableChecksum(town.id)).toEqual(before);
    expect(runtime.stops).toHaveLength(0); // no side effect ever runs in a dry run

    const report = await runTick(deps, town.id, { now: new Date(t0.getTime() + 2000) });
    expect(report!.actions[0]).toMatchObject({ type: "stop_agent", rule: expect.stringContaining("bead_cancelled") });
    expect(runtime.stops.map((s) => s.agentId)).toEqual([agentId]);
    const agent = await db.agentMetadata.findUniqueOrThrow({ where: { beadId: agentId } });
    expect(agent.currentHookBeadId).toBeNull();
  });

  it("a held lease skips the town; an expired one (crashed tick) is taken over", async () => {
    const { db, town } = await setup();
    const deps = testTickDeps();
    const now = new Date();
    await db.town.update({ where: { id: town.id }, data: { tickLeaseOwner: "crashed", tickLeaseUntil: new Date(now.getTime() + 30_000) } });
    expect(await runTick(deps, town.id, { now })).toBeNull();
    expect(await runTicks(deps, { now })).toEqual([]);
    const later = new Date(now.getTime() + 31_000);
    expect(await runTick(deps, town.id, { now: later })).not.toBeNull();
  });

  it("an idle town gets a quiet tick: no tick row, last_tick_at kept, next due in 60 s", async () => {
    const { db, town } = await setup();
    const now = new Date();
    const report = await runTick(testTickDeps(), town.id, { now });
    expect(report!.actionsEmitted).toBe(0);
    expect(await db.tick.count({ where: { townId: town.id } })).toBe(0);
    const row = await db.town.findUniqueOrThrow({ where: { id: town.id } });
    expect(row.lastTickAt?.getTime()).toBe(now.getTime());
    expect(row.nextTickAt.getTime()).toBe(now.getTime() + 60_000);
    expect(row.hasActiveWork).toBe(false);
  });

  it("20 dispatch failures in 30 min open the breaker: dispatch stops, the mayor is told once, nothing else is blocked", async () => {
    const { db, user, town, rig } = await setup();
    const now = new Date();
    const rows = Array.from({ length: 20 }, (_, i) => ({
      townId: town.id,
      eventType: "dispatch_failed",
      payload: { agent_id: "gone", bead_id: "gone", reason: "x" },
      createdAt: new Date(now.getTime() - i * 60_000),
      processedAt: new Date(now.getTime() - i * 60_000),
    }));
    await db.townEvent.createMany({ data: rows });
    await createBead(db, town.id, user.id, { rigId: rig.id, title: "Waits for the breaker", priority: "medium", labels: [] });
    const runtime = new RecordingRuntime();
    const deps = testTickDeps({ runtime });
    const report = await runTick(deps, town.id, { now });
    expect(report!.breakerOpen).toBe(true);
    expect(runtime.starts).toHaveLength(0);
    expect(report!.actions.filter((a) => a.type === "notify_mayor")).toHaveLength(1);
    const second = await runTick(deps, town.id, { now: new Date(now.getTime() + 5000) });
    expect(second!.actions.filter((a) => a.type === "notify_mayor")).toHaveLength(0);
    // 19 in the window (one aged out): closed again, dispatch resumes
    const third = await runTick(deps, town.id, { now: new Date(now.getTime() + 11 * 60_000 + 1000) });
    expect(third!.breakerOpen).toBe(false);
    // Dispatch resumes; the mayor, whose breaker notice waited as mail, is started now too (M1).
    expect(runtime.starts.map((s) => s.role).sort()).toEqual(["mayor", "polecat"]);
    expect((await db.town.findUniqueOrThrow({ where: { id: town.id } })).breakerOpen).toBe(false);
  });

  it("when the state phase fails after the drain committed, the cancelled bead's agent is still stopped", async () => {
    // (the drain committed the cancel; the stop it asked for needs no state, so it runs anyway)
    const { db, user, town, rig } = await setup();
    const bead = await createBead(db, town.id, user.id, { rigId: rig.id, title: "Cancel under a broken config", priority: "medium", labels: [] });
    const runtime = new RecordingRuntime();
    let failReconcile = false;
    const deps = testTickDeps({
      runtime,
      reconcile: (world, now, options) => {
        if (failReconcile) throw new Error("reconciler bug");
        return reconcileDetailed(world, now, options);
      },
    });
    const t0 = new Date();
    await runTick(deps, town.id, { now: t0 });
    const agentId = runtime.starts[0].agentId;
    await db.townEvent.create({ data: { townId: town.id, eventType: "bead_cancelled", beadId: bead.id, payload: { cancel_status: "failed" } } });
    failReconcile = true;
    const report = await runTick(deps, town.id, { now: new Date(t0.getTime() + 1000) });
    expect(report!.eventsDrained).toBe(1);
    expect(runtime.stops.map((s) => s.agentId)).toEqual([agentId]);
    expect(deps.captured.some((c) => c.tags.phase === "state")).toBe(true);
    expect(report!.actions[0]).toMatchObject({ type: "stop_agent", note: expect.stringContaining("state phase failed") });
  });

  it("re-escalates an unacknowledged escalation every 4 h, at most 3 times, telling the mayor each time", async () => {
    const { db, town } = await setup();
    const created = new Date(Date.now() - 20 * 60 * MIN); // 20 h old
    const esc = await db.bead.create({
      data: { townId: town.id, type: "escalation", title: "Stuck deploy", priority: "medium", createdAt: created, updatedAt: created, labels: ["gt:escalation"] },
    });
    await db.escalationMetadata.create({ data: { beadId: esc.id, townId: town.id, severity: "low" } });
    const deps = testTickDeps();
    const t0 = new Date();
    for (let i = 0; i < 5; i++) await runTick(deps, town.id, { now: new Date(t0.getTime() + i * 1000) });
    const meta = await db.escalationMetadata.findUniqueOrThrow({ where: { beadId: esc.id } });
    expect(meta).toMatchObject({ severity: "critical", reEscalationCount: 3 });
    expect(await db.notification.count({ where: { townId: town.id, kind: "escalation", beadId: esc.id } })).toBe(3);
    // acknowledged escalations are left alone
    const fresh = await db.bead.create({ data: { townId: town.id, type: "escalation", title: "Acked", createdAt: created, updatedAt: created } });
    await db.escalationMetadata.create({ data: { beadId: fresh.id, townId: town.id, severity: "low", acknowledged: true } });
    await runTick(deps, town.id, { now: new Date(t0.getTime() + 10_000) });
    expect((await db.escalationMetadata.findUniqueOrThrow({ where: { beadId: fresh.id } })).reEscalationCount).toBe(0);
  });
});
