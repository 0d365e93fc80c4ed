import type { PrismaClient } from "../server/db/generated/client";
import { POLECAT_NAME_POOL } from "../server/domain/constants";
import type { EventToEnqueue } from "../server/tick/enqueue";
import { makeBeads, makeRig, makeTown, type BeadSeed } from "../prisma/factories";

// Bench towns, seeded through the shared factories (user, town with its mayor, rigs, bulk beads) plus bulk
// rows for the satellites the factories have no bulk helper for (agents, review metadata, dependencies).
//
// Every town is a *steady state*: ticked at `now` a few seconds after its seed time `t0`, no rule fires
// (heartbeats fresh, PRs polled recently, nothing stale, every rig at its polecat cap), so repeated ticks do
// the same work and the numbers compare. Work beads are split by the shape's mix:
//   closed, failed — terminal; open (some blocked by an in_progress issue) — unassigned, waiting for a slot;
//   in_progress — 5 per rig hooked by a working polecat, the others recently touched;
//   in_review — each tracked by one in_progress MR that has a PR (merge_request beads, polled recently).
// Agents: the mayor, one idle refinery per rig, polecats (5 working per rig, the rest idle and unhooked).

export interface TownShape {
  label: string;
  /** work beads (issues + merge requests); agent beads come on top */
  beads: number;
  open: number;
  blocked: number;
  inProgress: number;
  inReview: number;
  failed: number;
  /** merge requests, one per in_review issue (DOMAIN.md §5.5 invariant 4) */
  mrs: number;
  /** all agents including the mayor */
  agents: number;
  rigs: number;
}

export const WORKING_PER_RIG = 5; // DEFAULT_MAX_CONCURRENT_POLECATS: every rig is at its cap

/** The mix: 70% closed, 10% open (half blocked), 5% in_progress, 5% in_review, 5% failed, 5% MRs. */
export function mixShape(label: string, beads: number, agents: number, rigs: number): TownShape {
  const pct = (p: number) => Math.round((beads * p) / 100);
  const open = pct(10);
  return { label, beads, open, blocked: Math.round(open / 2), inProgress: pct(5), inReview: pct(5), failed: pct(5), mrs: pct(5), agents, rigs };
}

/** The same live (non-terminal) beads and agents as `base`, padded with closed beads up to `beads`. */
export function paddedShape(base: TownShape, label: string, beads: number): TownShape {
  return { ...base, label, beads };
}

export function closedCount(s: TownShape): number {
  return s.beads - s.open - s.inProgress - s.inReview - s.failed - s.mrs;
}

export function describeShape(s: TownShape): string {
  const working = WORKING_PER_RIG * s.rigs;
  return (
    `${s.beads.toLocaleString("en-US")} beads: ${closedCount(s)} closed, ${s.open} open (${s.blocked} blocked), ${s.inProgress} in_progress, ` +
    `${s.inReview} in_review, ${s.failed} failed, ${s.mrs} merge requests (in_progress, with PR); ${s.agents} agents ` +
    `(${working} working, ${s.rigs} refineries, 1 mayor), ${s.rigs} rig${s.rigs === 1 ? "" : "s"}`
  );
}

export interface SeededTown {
  shape: TownShape;
  townId: string;
  ownerUserId: string;
  /** seed time: every timestamp is at or just before it */
  t0: number;
  rigIds: string[];
  mrIds: string[];
  openIds: string[];
  workingAgentIds: string[];
  idlePolecatIds: string[];
  /** a monotonic tick clock a few seconds after t0 (heartbeats stay fresh for 90 s) */
  nextNow(): Date;
}

export async function seedTown(db: PrismaClient, ownerUserId: string, shape: TownShape): Promise<SeededTown> {
  const t0 = Date.now();
  const town = await makeTown(db, ownerUserId, { name: `bench ${shape.label}` });
  const rigIds: string[] = [];
  for (let r = 0; r < shape.rigs; r++) rigIds.push((await makeRig(db, town.id, { name: `rig-${r}` })).id);
  const rigOf = (i: number) => rigIds[i % rigIds.length];

  // Work beads, titled by kind so their ids can be read back. created_at steps back 5 ms per bead, so the
  // newest is t0 and even 10,000 beads stay well inside every 5-minute staleness window.
  const kinds: [kind: string, n: number, seed: Omit<BeadSeed, "title" | "createdAt">][] = [
    ["open", shape.open - shape.blocked, { status: "open" }],
    ["blocked", shape.blocked, { status: "open" }],
    ["inprog", shape.inProgress, { status: "in_progress" }],
    ["review", shape.inReview, { status: "in_review" }],
    ["failed", shape.failed, { status: "failed" }],
    ["mr", shape.mrs, { type: "merge_request", status: "in_progress", metadata: { last_poll_at: new Date(t0).toISOString() } }],
    ["closed", closedCount(shape), { status: "closed" }],
  ];
  const plan: { kind: string; k: number; seed: Omit<BeadSeed, "title" | "createdAt"> }[] = [];
  for (const [kind, n, seed] of kinds) for (let k = 0; k < n; k++) plan.push({ kind, k, seed });
  await makeBeads(db, town.id, plan.length, (i) => {
    const { kind, k, seed } = plan[i];
    return { ...seed, title: `${kind}-${k}`, rigId: rigOf(k), createdAt: new Date(t0 - i * 5), dispatchAttempts: kind === "inprog" ? 1 : 0 };
  });
  const ids = new Map<string, string>();
  for (const b of await db.bead.findMany({ where: { townId: town.id, type: { not: "agent" } }, select: { id: true, title: true } })) ids.set(b.title, b.id);
  const idsOf = (kind: string, n: number) => Array.from({ length: n }, (_, k) => ids.get(`${kind}-${k}`)!);
  const inProgressIds = idsOf("inprog", shape.inProgress);
  const reviewIds = idsOf("review", shape.inReview);
  const mrIds = idsOf("mr", shape.mrs);
  const openIds = [...idsOf("open", shape.open - shape.blocked), ...idsOf("blocked", shape.blocked)];

  // Agents: refineries (idle), polecats (WORKING_PER_RIG working per rig, hooked to an in_progress issue of
  // their rig; the others idle, unhooked, active an hour ago so GC leaves them alone).
  const short = town.id.slice(0, 8);
  const agentRows: { name: string; role: string; rigId: string; working: boolean }[] = [];
  for (let r = 0; r < shape.rigs; r++) agentRows.push({ name: `refinery-${r}`, role: "refinery", rigId: rigIds[r], working: false });
  const polecats = shape.agents - 1 - shape.rigs;
  for (let p = 0; p < polecats; p++) {
    agentRows.push({
      name: POLECAT_NAME_POOL[p] ?? `Polecat-${p + 1}`,
      role: "polecat",
      rigId: rigOf(p),
      working: p < WORKING_PER_RIG * shape.rigs,
    });
  }
  await makeBeads(db, town.id, agentRows.length, (i) => ({ type: "agent", status: "open", title: agentRows[i].name, rigId: agentRows[i].rigId, createdAt: new Date(t0 - 60_000) }));
  const agentBeads = await db.bead.findMany({ where: { townId: town.id, type: "agent", title: { not: "mayor" } }, select: { id: true, title: true } });
  const agentIdByName = new Map(agentBeads.map((b) => [b.title, b.id]));

  // Hooks: the p-th working polecat (rig p % rigs) takes the next in_progress issue of the same rig.
  const inProgressByRig = new Map<string, string[]>();
  inProgressIds.forEach((id, k) => inProgressByRig.set(rigOf(k), [...(inProgressByRig.get(rigOf(k)) ?? []), id]));
  const hooks = new Map<string, string>();
  const workingAgentIds: string[] = [];
  const idlePolecatIds: string[] = [];
  for (const a of agentRows) {
    const id = agentIdByName.get(a.name)!;
    if (a.working) {
      const beadId = inProgressByRig.get(a.rigId)!.shift()!;
      hooks.set(id, beadId);
      workingAgentIds.push(id);
    } else if (a.role === "polecat") idlePolecatIds.push(id);
  }
  const t0d = new Date(t0);
  await db.agentMetadata.createMany({
    data: agentRows.map((a) => {
      const id = agentIdByName.get(a.name)!;
      return {
        beadId: id,
        townId: town.id,
        role: a.role,
        identity: `${a.role}-${short}-${a.name.toLowerCase()}`,
        status: a.working ? "working" : "idle",
        currentHookBeadId: hooks.get(id) ?? null,
        lastActivityAt: a.working ? t0d : new Date(t0 - 60 * 60_000),
        dispatchedAt: a.working ? new Date(t0 - 60_000) : null,
        dispatchAttempts: a.working ? 1 : 0,
      };
    }),
  });
  for (const [agentId, beadId] of hooks) await db.bead.update({ where: { id: beadId }, data: { assigneeAgentBeadId: agentId } });

  // MR i tracks in_review issue i and has a PR; blocked issue i waits on in_progress issue i.
  await db.reviewMetadata.createMany({
    data: mrIds.map((id, i) => ({ beadId: id, townId: town.id, branch: `gt/bench-${i}`, prUrl: `https://github.com/example/bench/pull/${i + 1}` })),
  });
  const blockedIds = idsOf("blocked", shape.blocked);
  await db.beadDependency.createMany({
    data: [
      ...mrIds.map((id, i) => ({ townId: town.id, beadId: id, dependsOnBeadId: reviewIds[i % reviewIds.length], dependencyType: "tracks", createdAt: t0d })),
      ...blockedIds.map((id, i) => ({ townId: town.id, beadId: id, dependsOnBeadId: inProgressIds[i % inProgressIds.length], dependencyType: "blocks", createdAt: t0d })),
    ],
  });

  let clock = t0 + 2_000;
  return {
    shape,
    townId: town.id,
    ownerUserId,
    t0,
    rigIds,
    mrIds,
    openIds,
    workingAgentIds,
    idlePolecatIds,
    nextNow: () => new Date((clock += 10)),
  };
}

/**
 * `count` events of the kinds agents, the runtime and poll_pr really produce, each doing real apply work
 * that leaves the town as it was (so every tick of the bench sees the same state):
 * per 10 events — poll_null_result + poll_nonnull_result for two MRs (the null count goes 1 and back to 0),
 * poll_feedback_checked (review row update), 2 × bead_created (open beads), 2 × agent_completed and
 * 1 × container_status `exited` (idle polecats: a late exit, read and re-idled).
 */
export function eventMix(town: SeededTown, count: number, now: Date): EventToEnqueue[] {
  const out: EventToEnqueue[] = [];
  let mr = 0;
  let open = 0;
  let agent = 0;
  const nextMr = () => town.mrIds[mr++ % town.mrIds.length];
  const nextOpen = () => town.openIds[open++ % town.openIds.length];
  const nextAgent = () => town.idlePolecatIds[agent++ % town.idlePolecatIds.length];
  const poll = (id: string): EventToEnqueue[] => [
    { eventType: "poll_null_result", beadId: id, payload: { mr_bead_id: id, pr_url: `https://github.com/example/bench/pull/${id.slice(0, 6)}` } },
    { eventType: "poll_nonnull_result", beadId: id, payload: { mr_bead_id: id } },
  ];
  while (out.length < count) {
    const feedbackMr = nextMr();
    const unit: EventToEnqueue[] = [
      ...poll(nextMr()),
      ...poll(nextMr()),
      { eventType: "poll_feedback_checked", beadId: feedbackMr, payload: { mr_bead_id: feedbackMr, checked_at: now.toISOString() } },
      { eventType: "bead_created", beadId: nextOpen(), payload: { bead_type: "issue", rig_id: town.rigIds[0], has_blockers: false } },
      { eventType: "bead_created", beadId: nextOpen(), payload: { bead_type: "issue", rig_id: town.rigIds[0], has_blockers: false } },
      { eventType: "agent_completed", agentId: nextAgent(), payload: { status: "completed", reason: "exit code 0" } },
      { eventType: "agent_completed", agentId: nextAgent(), payload: { status: "completed", reason: "exit code 0" } },
      { eventType: "container_status", agentId: nextAgent(), payload: { status: "exited", exit_reason: "exit code 0" } },
    ];
    // keep null/nonnull pairs together when trimming the last unit
    out.push(...unit.slice(0, count - out.length));
  }
  return out;
}

export const EVENT_MIX_TEXT =
  "40% poll_null_result/poll_nonnull_result pairs on MRs, 10% poll_feedback_checked, 20% bead_created, 20% agent_completed, 10% container_status (exited)";

/** `count` idle towns (owner, settings, idle mayor — what createTown makes), created with bounded concurrency. */
export async function seedIdleTowns(db: PrismaClient, ownerUserId: string, count: number, concurrency = 4): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      ids.push((await makeTown(db, ownerUserId, { name: `idle-${i}` })).id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}
