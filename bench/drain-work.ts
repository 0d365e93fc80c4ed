import type pg from "pg";
import type { PrismaClient } from "../server/db/generated/client";
import { applyEvent } from "../server/domain/apply-event";
import { drainEvents } from "../server/tick/drain";
import { enqueueEvents, type EventToEnqueue } from "../server/tick/enqueue";
import { TickTx } from "../server/tick/tx";
import { makeBeads, makeRig, makeTown } from "../prisma/factories";
import { OUT_OF_RANGE_TIMESTAMP } from "../server/testing/drain-scenario";
import { timed } from "./stats";

// The working drain (issue 15): a queue where every event changes state, with 1% of the events failing their
// apply every time, spread through the queue. Per 5 good events: agent_done of a working polecat (a new MR
// bead, its review row and dependency; the source goes in_review), pr_feedback_detected on an MR with a PR
// (a new feedback bead blocking it), bead_cancelled of an in_progress bead whose polecat works on it (the bead
// fails, the agent is unhooked, a stop_agent is returned), agent_completed of a working polecat (unhooked,
// idle), pr_status_changed `merged` on an MR (the review completes: MR and source closed). The bad event is a
// poll_feedback_checked whose timestamp Postgres cannot store (before 4713 BC): the real applyEvent fails on
// it every time, so it is retried and poisoned after 3 drains (SPEC.md §2).
//
// Every run gets a fresh town (each event consumes its entity). The clock runs from the first drain until
// the queue is empty: the drain that applies the good events and counts the bad ones' first failure, then
// the two that retry and poison them.

export const WORK_KINDS = ["agent_done", "pr_feedback_detected", "bead_cancelled", "agent_completed", "pr_status_changed"] as const;
export const WORK_MIX_TEXT =
  "equal parts agent_done (working polecat → new MR), pr_feedback_detected (new feedback bead), bead_cancelled (working agent → stop_agent), agent_completed (working polecat → idle), pr_status_changed merged (review completed); 1% poll_feedback_checked with a timestamp Postgres refuses (fails every apply, poisoned after 3 drains), spread evenly";

export interface WorkDrainResult {
  events: number;
  bad: number;
  ms: number;
  rate: number;
  drains: number;
  poisoned: number;
}

async function seedWorkTown(db: PrismaClient, pool: pg.Pool, ownerUserId: string, perKind: number, label: string) {
  const t0 = Date.now();
  const town = await makeTown(db, ownerUserId, { name: `bench work ${label}` });
  const rig = await makeRig(db, town.id, { name: "rig-0" });
  // working polecats of three kinds of events, each hooked to its own in_progress issue
  const hookedKinds = ["done", "completed", "cancelled"];
  await makeBeads(db, town.id, perKind * 3, (i) => ({ status: "in_progress", title: `${hookedKinds[i % 3]}-${Math.floor(i / 3)}`, rigId: rig.id, createdAt: new Date(t0 - 60_000), dispatchAttempts: 1 }));
  await makeBeads(db, town.id, perKind, (i) => ({ status: "in_review", title: `review-${i}`, rigId: rig.id, createdAt: new Date(t0 - 60_000) }));
  await makeBeads(db, town.id, perKind * 2, (i) => ({
    type: "merge_request",
    status: "in_progress",
    title: `${i % 2 ? "merged" : "feedback"}-mr-${Math.floor(i / 2)}`,
    rigId: rig.id,
    createdAt: new Date(t0 - 60_000),
    metadata: { last_poll_at: new Date(t0).toISOString() },
  }));
  await makeBeads(db, town.id, perKind * 3, (i) => ({ type: "agent", status: "open", title: `Polecat-${i + 1}`, rigId: rig.id, createdAt: new Date(t0 - 120_000) }));
  const ids = new Map<string, string>();
  for (const b of await db.bead.findMany({ where: { townId: town.id }, select: { id: true, title: true } })) ids.set(b.title, b.id);
  const id = (title: string) => ids.get(title)!;
  const short = town.id.slice(0, 8);
  const agents: { agent: string; hook: string }[] = [];
  for (let k = 0; k < perKind; k++) for (let h = 0; h < 3; h++) agents.push({ agent: id(`Polecat-${agents.length + 1}`), hook: id(`${hookedKinds[h]}-${k}`) });
  await db.agentMetadata.createMany({
    data: agents.map((a, i) => ({
      beadId: a.agent,
      townId: town.id,
      role: "polecat",
      identity: `polecat-${short}-${i}`,
      status: "working",
      currentHookBeadId: a.hook,
      lastActivityAt: new Date(t0),
      dispatchedAt: new Date(t0 - 60_000),
      dispatchAttempts: 1,
    })),
  });
  await pool.query(`UPDATE beads b SET assignee_agent_bead_id = m.bead_id FROM agent_metadata m WHERE m.town_id = $1 AND b.bead_id = m.current_hook_bead_id`, [town.id]);
  const mrs = Array.from({ length: perKind }, (_, k) => ({ feedback: id(`feedback-mr-${k}`), merged: id(`merged-mr-${k}`), source: id(`review-${k}`) }));
  await db.reviewMetadata.createMany({
    data: mrs.flatMap((m, k) => [
      { beadId: m.feedback, townId: town.id, branch: `gt/fb-${k}`, prUrl: `https://github.com/example/bench/pull/${2 * k + 1}` },
      { beadId: m.merged, townId: town.id, branch: `gt/mg-${k}`, prUrl: `https://github.com/example/bench/pull/${2 * k + 2}` },
    ]),
  });
  await db.beadDependency.createMany({ data: mrs.map((m) => ({ townId: town.id, beadId: m.merged, dependsOnBeadId: m.source, dependencyType: "tracks", createdAt: new Date(t0 - 60_000) })) });

  // the queue: the five kinds round-robin, one bad event after every 99 good ones
  const events: EventToEnqueue[] = [];
  let bad = 0;
  const agentOf = (k: number, h: number) => agents[k * 3 + h].agent;
  for (let k = 0; k < perKind; k++) {
    const unit: EventToEnqueue[] = [
      { eventType: "agent_done", agentId: agentOf(k, 0), payload: { branch: `gt/done-${k}`, pr_url: `https://github.com/example/bench/pull/${10_000 + k}`, summary: "done" } },
      {
        eventType: "pr_feedback_detected",
        beadId: mrs[k].feedback,
        payload: { mr_bead_id: mrs[k].feedback, pr_url: `https://github.com/example/bench/pull/${2 * k + 1}`, pr_number: 2 * k + 1, repo: "example/bench", branch: `gt/fb-${k}`, has_unresolved_comments: true, has_failing_checks: false, has_unchecked_runs: false },
      },
      { eventType: "bead_cancelled", beadId: id(`cancelled-${k}`), payload: { cancel_status: "failed", reason: "not needed" } },
      { eventType: "agent_completed", agentId: agentOf(k, 1), payload: { status: "completed", reason: "exit code 0" } },
      { eventType: "pr_status_changed", beadId: mrs[k].merged, payload: { pr_url: `https://github.com/example/bench/pull/${2 * k + 2}`, pr_state: "merged" } },
    ];
    for (const e of unit) {
      events.push(e);
      if ((events.length - bad) % 99 === 0) {
        bad += 1;
        events.push({ eventType: "poll_feedback_checked", beadId: mrs[k].feedback, payload: { mr_bead_id: mrs[k].feedback, checked_at: OUT_OF_RANGE_TIMESTAMP } });
      }
    }
  }
  await enqueueEvents(pool, town.id, events, new Date(t0));
  await pool.query(`ANALYZE beads, agent_metadata, review_metadata, bead_dependencies, town_events`);
  return { townId: town.id, events: events.length, bad };
}

/** Seeds a fresh work town and drains it until nothing is pending (not timed: the seed). */
export async function workDrainRun(db: PrismaClient, pool: pg.Pool, ownerUserId: string, events: number, label: string): Promise<WorkDrainResult> {
  const perKind = Math.round((events * 0.99) / WORK_KINDS.length);
  const town = await seedWorkTown(db, pool, ownerUserId, perKind, label);
  const client = await pool.connect();
  let drains = 0;
  let poisoned = 0;
  let drained = 0;
  let clock = Date.now();
  try {
    const { ms } = await timed(async () => {
      for (;;) {
        const r = await drainEvents(new TickTx(client, false), town.townId, new Date((clock += 1000)), { apply: applyEvent });
        drains += 1;
        poisoned += r.poisoned.length;
        drained += r.drained;
        if (r.drained + r.failed + r.poisoned.length === 0) break;
      }
    });
    if (drained !== town.events - town.bad || poisoned !== town.bad) {
      throw new Error(`working drain: ${drained} applied (expected ${town.events - town.bad}), ${poisoned} poisoned (expected ${town.bad})`);
    }
    return { events: town.events, bad: town.bad, ms, rate: (town.events / ms) * 1000, drains, poisoned };
  } finally {
    client.release();
  }
}
