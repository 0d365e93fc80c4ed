import { beforeEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import { parseTownEvent } from "../domain/events";
import { testDb, truncateAll } from "../testing/db";
import { makeBead, makeRig, makeTown, makeUser } from "../../prisma/factories";
import { BatchTownRepo } from "./batch-repo";
import { drainEvents } from "./drain";
import { PgTownRepo } from "./pg-repo";
import { TickTx } from "./tx";

// The drain's unit of work (BatchTownRepo) must leave exactly the state that applying the same events one
// statement at a time through PgTownRepo leaves. Both runs start from the same town, inside a transaction
// that is rolled back; every town-scoped row is compared, with the ids of beads created during the run
// renamed canonically (they are random) and database-generated ids of audit rows left out.

const NOW = new Date("2030-01-01T12:00:00.000Z");
const EARLIER = new Date(NOW.getTime() - 10 * 60_000);

async function seedScenario() {
  const db = testDb();
  const user = await makeUser(db);
  const town = await makeTown(db, user.id);
  const rig = await makeRig(db, town.id);
  const t = town.id;
  const bead = (over: Parameters<typeof makeBead>[2]) => makeBead(db, t, { rigId: rig.id, createdAt: EARLIER, ...over });
  const agent = async (name: string, role: string, status: string, hook: string | null) => {
    const b = await bead({ type: "agent", title: name });
    await db.agentMetadata.create({
      data: { beadId: b.id, townId: t, role, identity: `${name}-${t.slice(0, 8)}`, status, currentHookBeadId: hook, lastActivityAt: EARLIER, dispatchedAt: EARLIER },
    });
    if (hook) await db.bead.update({ where: { id: hook }, data: { assigneeAgentBeadId: b.id } });
    return b.id;
  };
  const convoy = await bead({ type: "convoy", title: "convoy" });
  await db.convoyMetadata.create({ data: { beadId: convoy.id, townId: t, totalBeads: 2, closedBeads: 0, staged: true, featureBranch: "feat/x" } });
  const i1 = await bead({ title: "i1", status: "in_progress" });
  const i2 = await bead({ title: "i2", status: "in_progress" });
  const i3 = await bead({ title: "i3", status: "in_review" });
  const i4 = await bead({ title: "i4", status: "open" });
  const i5 = await bead({ title: "i5", status: "open", labels: ["gt:rework"] });
  const m1 = await bead({ type: "merge_request", title: "m1", status: "in_progress" });
  const m2 = await bead({ type: "merge_request", title: "m2", status: "in_progress", metadata: { poll_null_count: 3 } });
  await db.reviewMetadata.create({ data: { beadId: m1.id, townId: t, branch: "b-m1" } });
  await db.reviewMetadata.create({ data: { beadId: m2.id, townId: t, branch: "b-m2", prUrl: "https://github.com/example/repo/pull/2" } });
  await db.beadDependency.createMany({
    data: [
      { townId: t, beadId: i1.id, dependsOnBeadId: convoy.id, dependencyType: "tracks" },
      { townId: t, beadId: i4.id, dependsOnBeadId: convoy.id, dependencyType: "tracks" },
      { townId: t, beadId: m2.id, dependsOnBeadId: i3.id, dependencyType: "tracks" },
      { townId: t, beadId: m1.id, dependsOnBeadId: i2.id, dependencyType: "tracks" },
    ],
  });
  const p1 = await agent("Toast", "polecat", "working", i1.id);
  const p2 = await agent("Maple", "polecat", "working", i2.id);
  const p3 = await agent("Birch", "polecat", "idle", null);
  const p4 = await agent("Shadow", "polecat", "working", i5.id);
  const refinery = await agent("refinery", "refinery", "working", m1.id);
  const ev = (eventType: string, fields: { beadId?: string; agentId?: string; payload: object }) => ({
    townId: t,
    eventType,
    beadId: fields.beadId ?? null,
    agentId: fields.agentId ?? null,
    payload: fields.payload,
    createdAt: NOW,
  });
  const prUrl = "https://github.com/example/repo/pull/2";
  // Events touching the same rows again and again, in an order where each depends on the ones before.
  await db.townEvent.createMany({
    data: [
      ev("poll_null_result", { beadId: m2.id, payload: { mr_bead_id: m2.id, pr_url: prUrl } }),
      ev("poll_null_result", { beadId: m2.id, payload: { mr_bead_id: m2.id, pr_url: prUrl } }),
      ev("poll_feedback_checked", { beadId: m2.id, payload: { mr_bead_id: m2.id, checked_at: NOW.toISOString() } }),
      ev("poll_auto_merge_update", { beadId: m2.id, payload: { mr_bead_id: m2.id, ready_since: EARLIER.toISOString() } }),
      ev("pr_auto_merge", { beadId: m2.id, payload: { mr_bead_id: m2.id, pr_url: prUrl } }),
      ev("auto_merge_cleared", { beadId: m2.id, payload: { mr_bead_id: m2.id, reason: "fresh_feedback" } }),
      ev("poll_nonnull_result", { beadId: m2.id, payload: { mr_bead_id: m2.id } }),
      ev("pr_feedback_detected", {
        beadId: m2.id,
        payload: { mr_bead_id: m2.id, pr_url: prUrl, pr_number: 2, repo: "example/repo", branch: "b-m2", has_unresolved_comments: true, has_failing_checks: false, has_unchecked_runs: false },
      }),
      ev("agent_done", { agentId: p1, payload: { branch: "gt/i1", pr_url: "https://github.com/example/repo/pull/7", summary: "done" } }),
      ev("bead_created", { beadId: i4.id, payload: { bead_type: "issue", rig_id: rig.id, has_blockers: false } }),
      ev("agent_completed", { agentId: p2, payload: { status: "failed", reason: "exit code 1" } }),
      ev("agent_completed", { agentId: p3, payload: { status: "completed" } }),
      ev("container_status", { agentId: refinery, payload: { status: "exited", exit_reason: "exit code 0" } }),
      ev("dispatch_failed", { agentId: p1, beadId: i1.id, payload: { agent_id: p1, bead_id: i1.id, reason: "no capacity" } }),
      ev("agent_done", { agentId: p4, payload: { branch: "gt/i5" } }),
      ev("convoy_started", { payload: { convoy_id: convoy.id } }),
      ev("pr_status_changed", { beadId: m2.id, payload: { pr_url: prUrl, pr_state: "merged" } }),
      ev("bead_cancelled", { beadId: i4.id, payload: { cancel_status: "failed", reason: "not needed" } }),
      ev("agent_done", { agentId: refinery, payload: { branch: "b-m1", pr_url: "https://github.com/example/repo/pull/9" } }),
      ev("poll_null_result", { beadId: m2.id, payload: { mr_bead_id: m2.id, pr_url: prUrl } }),
    ],
  });
  return town.id;
}

const TABLES: [table: string, order: string, drop: string[]][] = [
  ["beads", "bead_id", []],
  ["agent_metadata", "bead_id", []],
  ["review_metadata", "bead_id", []],
  ["convoy_metadata", "bead_id", []],
  ["escalation_metadata", "bead_id", []],
  ["bead_dependencies", "bead_id, depends_on_bead_id", []],
  ["bead_events", "bead_id, created_at, event_type, md5(metadata::text)", ["bead_event_id"]],
  ["notifications", "created_at, message", ["notification_id"]],
  ["agent_nudges", "created_at, message", ["nudge_id"]],
  ["town_events", "seq", []],
];

async function snapshot(client: pg.PoolClient, townId: string, seeded: Set<string>) {
  const { rows: created } = await client.query(
    `SELECT bead_id FROM beads WHERE town_id = $1 AND NOT (bead_id = ANY($2::text[])) ORDER BY type, title, body`,
    [townId, [...seeded]],
  );
  const rename = (text: string) => created.reduce((t, r, i) => t.replaceAll(r.bead_id as string, `created-${i}`), text);
  const out: Record<string, unknown[]> = {};
  for (const [table, order, drop] of TABLES) {
    const cols = drop.map((c) => ` - '${c}'`).join("");
    const { rows } = await client.query(`SELECT to_jsonb(t)${cols} AS row FROM ${table} t WHERE town_id = $1 ORDER BY ${order}`, [townId]);
    out[table] = rows.map((r) => rename(JSON.stringify(r.row))).sort().map((t) => JSON.parse(t));
  }
  return out;
}

describe("BatchTownRepo", () => {
  beforeEach(async () => truncateAll(testDb()));

  it("a batch drained through the unit of work leaves the same rows as applying each event with PgTownRepo", async () => {
    const townId = await seedScenario();
    const seeded = new Set((await testDb().bead.findMany({ where: { townId }, select: { id: true } })).map((b) => b.id));
    const client = await getPool().connect();
    try {
      // (a) the drain: one batch, BatchTownRepo
      await client.query("BEGIN");
      const drained = await drainEvents(new TickTx(client, true), townId, NOW, { apply: applyEvent });
      expect(drained.poisoned).toEqual([]);
      expect(drained.failed).toBe(0);
      const viaBatch = await snapshot(client, townId, seeded);
      await client.query("ROLLBACK");

      // (b) the reference: every event applied in order through PgTownRepo, one statement per operation
      await client.query("BEGIN");
      const repo = new PgTownRepo(client, townId);
      const { rows } = await client.query(`SELECT * FROM town_events WHERE town_id = $1 ORDER BY seq`, [townId]);
      for (const r of rows) {
        await applyEvent(repo, parseTownEvent({ id: r.event_id, eventType: r.event_type, agentId: r.agent_id, beadId: r.bead_id, payload: r.payload, createdAt: r.created_at }), NOW);
      }
      await client.query(`UPDATE town_events SET processed_at = $2 WHERE town_id = $1`, [townId, NOW]);
      const reference = await snapshot(client, townId, seeded);
      await client.query("ROLLBACK");

      expect(drained.drained).toBe(rows.length);
      expect(viaBatch).toEqual(reference);
      // the scenario really moved things (not two empty snapshots)
      expect(reference.beads.some((b) => (b as { status: string }).status === "closed")).toBe(true);
      expect(reference.bead_events.length).toBeGreaterThan(5);
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
    }
  });

  it("answers reads from its prefetch, sees its own buffered writes, and writes only the patched columns", async () => {
    const db = testDb();
    const user = await makeUser(db);
    const town = await makeTown(db, user.id);
    const rig = await makeRig(db, town.id);
    const bead = await makeBead(db, town.id, { rigId: rig.id, title: "before", metadata: { a: 1 } });
    const client = await getPool().connect();
    try {
      await client.query("BEGIN");
      const repo = new BatchTownRepo(client, town.id);
      await repo.prefetch([{ beadId: bead.id, agentId: null, payload: {} }]);
      const read = await repo.getBead(bead.id);
      read!.title = "mutated by the caller";
      await repo.updateBead(bead.id, { metadata: { a: 2, when: NOW } });
      const again = await repo.getBead(bead.id);
      expect(again!.title).toBe("before"); // a copy was handed out
      expect(again!.metadata).toEqual({ a: 2, when: NOW.toISOString() }); // as jsonb would return it
      // another writer changes the title meanwhile; the flush must not put the old one back
      await client.query(`UPDATE beads SET title = 'renamed' WHERE bead_id = $1`, [bead.id]);
      await repo.flush();
      const { rows } = await client.query(`SELECT title, metadata FROM beads WHERE bead_id = $1`, [bead.id]);
      expect(rows[0]).toEqual({ title: "renamed", metadata: { a: 2, when: NOW.toISOString() } });
      expect(await repo.getBead("no-such-bead")).toBeNull();
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
    }
  });
});
