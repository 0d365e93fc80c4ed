import type pg from "pg";
import { testDb } from "./db";
import { makeBead, makeRig, makeTown, makeUser } from "../../prisma/factories";

// A town whose queue holds every kind of event, touching the same rows again and again in an order where each
// depends on the ones before — the drain tests compare what the drain leaves with what applying the events one
// statement at a time leaves (batch-repo and drain-runs integration tests). `snapshot` reads every town-scoped
// row, with the ids of beads created during the run renamed canonically (they are random) and database-made
// ids of audit rows left out.

export interface ScenarioOptions {
  /** positions in the final queue where an event that fails its apply every time is put */
  badAt?: number[];
}

/** The failing event of the scenario: a feedback check whose timestamp Postgres cannot store (before 4713 BC),
 *  so applyEvent throws on every try (a retryable error, not entity_not_found): poisoned after 3 drains. */
export const OUT_OF_RANGE_TIMESTAMP = "-005000-01-01T00:00:00.000Z";

export const NOW = new Date("2030-01-01T12:00:00.000Z");
const EARLIER = new Date(NOW.getTime() - 10 * 60_000);

export async function seedScenario(options: ScenarioOptions = {}) {
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
  // the working mix (issue 15): a second MR on i3 (closed as superseded when m2 merges, after feedback made a
  // bead blocking it), a bead cancelled under a working polecat, a polecat done on a bead no convoy tracks
  // (its MR targets the rig's default branch)
  const m3 = await bead({ type: "merge_request", title: "m3", status: "in_progress" });
  await db.reviewMetadata.create({ data: { beadId: m3.id, townId: t, branch: "b-m3", prUrl: "https://github.com/example/repo/pull/3" } });
  const i6 = await bead({ title: "i6", status: "in_progress" });
  const i7 = await bead({ title: "i7", status: "in_progress" });
  await db.beadDependency.createMany({
    data: [
      { townId: t, beadId: i1.id, dependsOnBeadId: convoy.id, dependencyType: "tracks" },
      { townId: t, beadId: i4.id, dependsOnBeadId: convoy.id, dependencyType: "tracks" },
      { townId: t, beadId: m2.id, dependsOnBeadId: i3.id, dependencyType: "tracks" },
      { townId: t, beadId: m1.id, dependsOnBeadId: i2.id, dependencyType: "tracks" },
      { townId: t, beadId: m3.id, dependsOnBeadId: i3.id, dependencyType: "tracks" },
    ],
  });
  const p1 = await agent("Toast", "polecat", "working", i1.id);
  const p2 = await agent("Maple", "polecat", "working", i2.id);
  const p3 = await agent("Birch", "polecat", "idle", null);
  const p4 = await agent("Shadow", "polecat", "working", i5.id);
  const refinery = await agent("refinery", "refinery", "working", m1.id);
  const p5 = await agent("Cedar", "polecat", "working", i6.id);
  const p6 = await agent("Elm", "polecat", "working", i7.id);
  const ev = (eventType: string, fields: { beadId?: string; agentId?: string; payload: object }) => ({
    townId: t,
    eventType,
    beadId: fields.beadId ?? null,
    agentId: fields.agentId ?? null,
    payload: fields.payload,
    createdAt: NOW,
  });
  const prUrl = "https://github.com/example/repo/pull/2";
  const feedback = (mr: string, url: string, n: number, branch: string) =>
    ev("pr_feedback_detected", {
      beadId: mr,
      payload: { mr_bead_id: mr, pr_url: url, pr_number: n, repo: "example/repo", branch, has_unresolved_comments: true, has_failing_checks: false, has_unchecked_runs: false },
    });
  const bad = () => ev("poll_feedback_checked", { beadId: m2.id, payload: { mr_bead_id: m2.id, checked_at: OUT_OF_RANGE_TIMESTAMP } });
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
      // deduped: the feedback bead written just before (still buffered) already blocks m2
      feedback(m2.id, prUrl, 2, "b-m2"),
      feedback(m3.id, "https://github.com/example/repo/pull/3", 3, "b-m3"),
      ev("agent_done", { agentId: p1, payload: { branch: "gt/i1", pr_url: "https://github.com/example/repo/pull/7", summary: "done" } }),
      ev("bead_cancelled", { beadId: i6.id, payload: { cancel_status: "failed", reason: "not needed" } }),
      ev("agent_completed", { agentId: p5, payload: { status: "completed", reason: "exit code 0" } }),
      ev("agent_done", { agentId: p6, payload: { branch: "gt/i7", pr_url: "https://github.com/example/repo/pull/8", summary: "done" } }),
      ev("agent_completed", { agentId: p6, payload: { status: "completed", reason: "exit code 0" } }),
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
    ].reduce<ReturnType<typeof ev>[]>((queue, event) => {
      while ((options.badAt ?? []).includes(queue.length)) queue.push(bad());
      queue.push(event);
      return queue;
    }, []),
  });
  // bad events asked for at or past the end go last
  const total = await db.townEvent.count({ where: { townId: t } });
  const tail = (options.badAt ?? []).filter((p) => p >= total).length;
  if (tail) await db.townEvent.createMany({ data: Array.from({ length: tail }, bad) });
  return town.id;
}

export const TABLES: [table: string, order: string, drop: string[]][] = [
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

export async function snapshot(client: pg.PoolClient, townId: string, seeded: Set<string>) {
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

