import { beforeEach, describe, expect, it } from "vitest";
import { createCaller } from "../root";
import { testDb, truncateAll } from "../../testing/db";
import { RecordingRuntime, testTickDeps } from "../../testing/tick-doubles";
import { getPool } from "../../db/pool";
import { runTick, type TickDeps } from "../../tick/run-tick";
import { addMembership, makeRig, makeTown, makeUser } from "../../../prisma/factories";

// Tick history (any member) and the debug tools (owners only): the dry run and the replay run inside a
// transaction that is always rolled back — row counts and a checksum of the tables are unchanged, and no
// side effect runs (the runtime double records nothing).

type User = Awaited<ReturnType<typeof makeUser>>;
const callerAs = (user: User, tickDeps: TickDeps = testTickDeps()) =>
  createCaller({ db: testDb(), user: { id: user.id, email: user.email, name: user.name }, tickDeps });

async function snapshot(townId: string) {
  const { rows } = await getPool().query(
    `SELECT
       (SELECT md5(coalesce(string_agg(b::text, '|' ORDER BY bead_id), '')) FROM beads b WHERE town_id = $1) AS beads,
       (SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY bead_id), '')) FROM agent_metadata m WHERE town_id = $1) AS agents,
       (SELECT md5(coalesce(string_agg(e::text, '|' ORDER BY seq), '')) FROM town_events e WHERE town_id = $1) AS events,
       (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM towns t WHERE id = $1) AS town,
       (SELECT count(*)::int FROM beads WHERE town_id = $1) AS bead_count,
       (SELECT count(*)::int FROM town_events WHERE town_id = $1) AS event_count,
       (SELECT count(*)::int FROM bead_events WHERE town_id = $1) AS bead_events,
       (SELECT count(*)::int FROM bead_dependencies WHERE town_id = $1) AS deps,
       (SELECT count(*)::int FROM agent_tokens WHERE town_id = $1) AS tokens,
       (SELECT count(*)::int FROM ticks WHERE town_id = $1) AS ticks,
       (SELECT count(*)::int FROM notifications WHERE town_id = $1) AS notifications,
       (SELECT count(*)::int FROM audit_log WHERE town_id = $1) AS audit,
       (SELECT count(*)::int FROM agent_nudges WHERE town_id = $1) AS nudges`,
    [townId],
  );
  return rows[0];
}

async function setup() {
  const db = testDb();
  const owner = await makeUser(db);
  const member = await makeUser(db);
  const viewer = await makeUser(db);
  const town = await makeTown(db, owner.id);
  await addMembership(db, town.id, member.id, "member");
  await addMembership(db, town.id, viewer.id, "viewer");
  const rig = await makeRig(db, town.id);
  return { db, owner, member, viewer, town, rig };
}

describe("tick router", () => {
  beforeEach(async () => truncateAll(testDb()));

  it("history and latest show tick rows with metrics and actions (rule, target, reason), newest first, paged", async () => {
    const { db, owner, viewer, town, rig } = await setup();
    const empty = await callerAs(viewer).tick.latest({ townId: town.id });
    expect(empty.tick).toBeNull();
    await callerAs(owner).bead.create({ townId: town.id, rigId: rig.id, title: "Work" });
    const deps = testTickDeps();
    const t0 = new Date();
    await runTick(deps, town.id, { now: t0 });
    for (let i = 1; i <= 4; i++) {
      await db.tick.create({ data: { townId: town.id, startedAt: new Date(t0.getTime() - i * 60_000), finishedAt: new Date(t0.getTime() - i * 60_000), wallClockMs: 1 } });
    }
    const caller = callerAs(viewer);
    const latest = await caller.tick.latest({ townId: town.id });
    expect(latest.tick).toMatchObject({ eventsDrained: 1 });
    expect(latest.town.lastTickAt?.getTime()).toBe(t0.getTime());
    const actions = latest.tick!.actions as { type: string; rule: string; reason: string; target: { id: string } }[];
    expect(actions.find((a) => a.type === "dispatch_agent")).toMatchObject({ rule: "B1", reason: expect.any(String) });

    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof caller.tick.history>> = await caller.tick.history({ townId: town.id, limit: 2, cursor });
      ids.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(ids[0]).toBe(latest.tick!.id);
    await expect(caller.tick.history({ townId: town.id, cursor: "junk" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("chart: the points the chart draws, newest first, the same ticks as the history", async () => {
    const { db, viewer, town } = await setup();
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      await db.tick.create({ data: { townId: town.id, startedAt: new Date(t0 - i * 60_000), finishedAt: new Date(t0 - i * 60_000 + 5), wallClockMs: 10 + i, eventsDrained: i, actions: [{ type: "x" }] } });
    }
    const caller = callerAs(viewer);
    const chart = await caller.tick.chart({ townId: town.id, limit: 3 });
    const history = await caller.tick.history({ townId: town.id, limit: 3 });
    expect(chart.items).toEqual(history.items.map((t) => ({ startedAt: t.startedAt, wallClockMs: t.wallClockMs, eventsDrained: t.eventsDrained })));
    expect(chart.items.map((p) => p.eventsDrained)).toEqual([0, 1, 2]);
    expect((await callerAs(viewer).tick.chart({ townId: (await makeTown(db, viewer.id)).id })).items).toEqual([]);
  });

  it("dry run is owner-only, shows what the next tick will do, and changes nothing (counts and checksums equal, no side effect)", async () => {
    const { owner, member, viewer, town, rig } = await setup();
    await callerAs(owner).bead.create({ townId: town.id, rigId: rig.id, title: "Dispatch me" });
    const runtime = new RecordingRuntime();
    const deps = testTickDeps({ runtime });
    await expect(callerAs(member, deps).tick.dryRun({ townId: town.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerAs(viewer, deps).tick.dryRun({ townId: town.id })).rejects.toMatchObject({ code: "FORBIDDEN" });

    const before = await snapshot(town.id);
    const report = await callerAs(owner, deps).tick.dryRun({ townId: town.id });
    expect(report.dryRun).toBe(true);
    expect(report.eventsDrained).toBe(1);
    expect(report.actions.map((a) => [a.type, a.rule])).toContainEqual(["dispatch_agent", "B1"]);
    expect(report.sideEffectsAttempted).toBe(0);
    expect(runtime.starts).toHaveLength(0);
    expect(await snapshot(town.id)).toEqual(before);
  });

  it("a cancelled bead with a working agent: the dry run and the replay list the event's stop_agent first, and change nothing", async () => {
    const { db, owner, town, rig } = await setup();
    const bead = await callerAs(owner).bead.create({ townId: town.id, rigId: rig.id, title: "To cancel" });
    const runtime = new RecordingRuntime();
    const deps = testTickDeps({ runtime });
    const t0 = new Date(Date.now() - 60_000);
    await runTick(deps, town.id, { now: t0 });
    const agentId = runtime.starts[0].agentId;
    await callerAs(owner, deps).bead.cancel({ townId: town.id, beadId: bead.id });
    const cancelEvent = await db.townEvent.findFirstOrThrow({ where: { townId: town.id, eventType: "bead_cancelled" } });

    const before = await snapshot(town.id);
    const dry = await callerAs(owner, deps).tick.dryRun({ townId: town.id });
    expect(dry.actions[0]).toMatchObject({ type: "stop_agent", target: { id: agentId }, eventId: cancelEvent.id });
    expect(runtime.stops).toHaveLength(0);
    expect(await snapshot(town.id)).toEqual(before);

    const replay = await callerAs(owner, deps).tick.replay({
      townId: town.id,
      from: new Date(t0.getTime() - 1000).toISOString(),
      to: new Date(Date.now() + 1000).toISOString(),
    });
    expect(replay.caveat).toMatch(/live state/);
    expect(replay.eventsReplayed).toBeGreaterThanOrEqual(2);
    expect(replay.actions.find((a) => a.type === "stop_agent")).toMatchObject({ target: { id: agentId }, eventId: cancelEvent.id });
    // event-emitted actions come first
    const flags = replay.actions.map((a) => !!a.eventId);
    expect(flags).toEqual([...flags].sort((a, b) => Number(b) - Number(a)));
    expect(runtime.stops).toHaveLength(0);
    expect(await snapshot(town.id)).toEqual(before);

    // the real tick then does stop it
    await runTick(deps, town.id, { now: new Date() });
    expect(runtime.stops.map((s) => s.agentId)).toEqual([agentId]);
  });

  it("replay is owner-only and answers a missing, unreadable or reversed window with a 400 that says why", async () => {
    const { owner, member, town } = await setup();
    const caller = callerAs(owner);
    await expect(callerAs(member).tick.replay({ townId: town.id, from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.tick.replay({ townId: town.id, to: "2026-01-02T00:00:00Z" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining('"from"') });
    await expect(caller.tick.replay({ townId: town.id, from: "yesterday", to: "2026-01-02T00:00:00Z" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("not a time"),
    });
    await expect(caller.tick.replay({ townId: town.id, from: "2026-01-03T00:00:00Z", to: "2026-01-02T00:00:00Z" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("after"),
    });
    const ok = await caller.tick.replay({ townId: town.id, from: "2020-01-01T00:00:00Z", to: "2020-01-02T00:00:00Z" });
    expect(ok).toMatchObject({ eventsReplayed: 0, actions: expect.any(Array) });
  });
});
