import { Prisma } from "../db/client";
import { asRecord, inTransaction, json, type TownEventInput, type Tx } from "../db/tx";
import type { PrismaClient } from "../db/generated/client";
import { LABELS } from "../domain/constants";
import type { EventPayloadInput, EventType } from "../domain/events";
import { isTerminal, type BeadStatus } from "../domain/types";
import { makeTownDue } from "../services/towns";
import { setBeadStatus } from "../domain/operations";
import { prismaTownRepo } from "../tick/pg-repo";
import { enqueueEventsInTx } from "../tick/enqueue";
import { conflict, notFound } from "./errors";
import type { AgentPrincipal } from "../secrets/agent-tokens";

// The reads and writes the agent tools share. Everything is scoped by the caller's town: an id from
// another town simply is not found. Status writes are compare-and-set and always leave a
// `status_changed` row in bead_events (DOMAIN.md §2.1).

export { asRecord, inTransaction, json, type Tx } from "../db/tx";

/**
 * A writing tool's transaction: its writes, then the town made due (SPEC.md §3b: an enqueued event or a
 * change to the town's work pulls the next tick to now). The town row is touched last, so the
 * transaction holds that row's lock for the shortest time (the tick claims its lease on the same row).
 */
export function inTownTransaction<T>(db: PrismaClient, townId: string, now: Date, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return inTransaction(db, async (tx) => {
    const result = await fn(tx);
    await makeTownDue(tx, townId, now);
    return result;
  });
}


export function asStringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * Records a fact for the reconciler (DOMAIN.md §3) through the one enqueue path (tick/enqueue.ts: the
 * payload checked against its event schema first). Call it inside `inTownTransaction`, which makes the
 * town due — last, so the town row's lock is held shortest.
 */
export async function enqueueTownEvent<T extends EventType>(
  tx: Tx,
  townId: string,
  type: T,
  fields: { agentId?: string | null; beadId?: string | null; payload: EventPayloadInput<T> },
  now: Date,
): Promise<string> {
  const [id] = await enqueueEventsInTx(
    tx,
    townId,
    [{ eventType: type, agentId: fields.agentId, beadId: fields.beadId, payload: fields.payload as Record<string, unknown> }],
    now,
    { makeDue: false },
  );
  return id;
}

/** Several events of one call in one statement (a convoy's `bead_created`s), each payload checked. */
export async function enqueueTownEvents(tx: Tx, townId: string, events: TownEventInput[], now: Date): Promise<void> {
  await enqueueEventsInTx(tx, townId, events.map(({ type, ...e }) => ({ eventType: type, ...e })), now, { makeDue: false });
}

/** The calling agent (its metadata row and agent bead), in its own town. */
export async function loadCaller(tx: Tx, principal: AgentPrincipal) {
  const agent = await tx.agentMetadata.findFirst({
    where: { beadId: principal.agentId, townId: principal.townId },
    include: { bead: { select: { title: true, rigId: true, createdAt: true } } },
  });
  if (!agent) throw notFound("Your agent no longer exists in this town.");
  return agent;
}

export async function getTownBead(tx: Tx, townId: string, beadId: string) {
  const bead = await tx.bead.findFirst({ where: { id: beadId, townId } });
  if (!bead) throw notFound(`Bead ${beadId} not found in this town.`);
  return bead;
}

export async function getTownRig(tx: Tx, townId: string, rigId: string) {
  const rig = await tx.rig.findFirst({ where: { id: rigId, townId } });
  if (!rig) throw notFound(`Rig ${rigId} not found in this town.`);
  return rig;
}

export interface StatusChangeInput {
  agentId: string | null;
  reason: string;
  actor: string;
  failure?: { code: string; message: string; source: string };
}

/**
 * The agent API's status write — a wrapper around the domain's one status update (operations.ts
 * setBeadStatus: `closed_at`, failure reason, `status_changed` bead event, convoy recount): no-op when
 * equal, terminal statuses immutable (409), compare-and-set on the status we read (409 when someone else
 * moved it meanwhile — the row is locked, then compared).
 */
export async function changeBeadStatus(
  tx: Tx,
  townId: string,
  bead: { id: string; status: string; metadata: unknown },
  to: BeadStatus,
  now: Date,
  change: StatusChangeInput,
): Promise<boolean> {
  if (bead.status === to) return false;
  if (isTerminal(bead.status)) throw conflict(`Bead ${bead.id} is ${bead.status}; terminal beads are immutable (a person can retry it).`);
  const repo = prismaTownRepo(tx, townId);
  const current = await repo.lockBead(bead.id);
  if (!current || current.status !== bead.status) throw conflict(`Bead ${bead.id} changed while it was being updated; read it again and retry.`);
  // a failure's reason is merged into the metadata the caller passed (it may have edited it, e.g. failMr)
  if (to === "failed" && change.failure) current.metadata = asRecord(bead.metadata);
  await setBeadStatus(repo, current, to, now, { reason: change.reason, actor: change.actor, agentId: change.agentId, failure: change.failure });
  return true;
}

// ------------------------------------------------------------------------------------------ delivery

/** How many nudges / mails one answer carries at most; the rest come with the next call. */
export const DELIVERY_BATCH = 50;

export interface WireMail {
  id: string;
  from_kind: "person" | "agent" | "system";
  /** for a person's message: who wrote it and the rig they pointed at, if any */
  from_name?: string | null;
  rig_id?: string | null;
  from_agent_id: string | null;
  subject: string;
  body: string | null;
  created_at: string;
}

export interface WireNudge {
  id: string;
  message: string;
  mode: string;
  priority: string;
  source: string;
  created_at: string;
}

/**
 * Unread mail of the agent (open `message` beads addressed to it), oldest first, marked delivered —
 * closed, with a status_changed row each — in the caller's transaction. SKIP LOCKED: two concurrent
 * calls never hand out the same mail twice.
 */
export async function takeUnreadMail(tx: Tx, townId: string, agentId: string, now: Date): Promise<WireMail[]> {
  const rows = await tx.$queryRaw<{ id: string; title: string; body: string | null; metadata: unknown; created_by: string | null; created_at: Date }[]>`
    UPDATE beads SET status = 'closed', closed_at = ${now}, updated_at = ${now}
    WHERE bead_id IN (
      SELECT bead_id FROM beads
      WHERE town_id = ${townId} AND type = 'message' AND assignee_agent_bead_id = ${agentId} AND status = 'open'
      ORDER BY created_at, bead_id
      LIMIT ${Prisma.raw(String(DELIVERY_BATCH))}
      FOR UPDATE SKIP LOCKED)
    RETURNING bead_id AS id, title, body, metadata, created_by, created_at`;
  rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
  if (rows.length) {
    await tx.beadEvent.createMany({
      data: rows.map((r) => ({
        townId,
        beadId: r.id,
        agentId,
        eventType: "status_changed",
        oldValue: "open",
        newValue: "closed",
        metadata: json({ reason: "mail delivered", actor: agentId }),
        createdAt: now,
      })),
    });
  }
  return rows.map((r) => {
    const md = asRecord(r.metadata);
    const from = md.from_agent_id;
    const fromPerson = typeof md.from_user_id === "string";
    return {
      id: r.id,
      // a person writing to the mayor from the browser, an agent, or the reconciler's notices (`system`)
      from_kind: fromPerson ? "person" : from === "system" || r.created_by === "system" ? "system" : "agent",
      ...(fromPerson ? { from_name: typeof md.from_name === "string" ? md.from_name : null, rig_id: typeof md.rig_id === "string" ? md.rig_id : null } : {}),
      from_agent_id: typeof from === "string" ? from : r.created_by,
      subject: r.title,
      body: r.body,
      created_at: r.created_at.toISOString(),
    };
  });
}

/** Pending nudges (not delivered, not expired), urgent first then FIFO (DOMAIN.md §2.9), marked delivered. */
export async function takePendingNudges(tx: Tx, townId: string, agentId: string, now: Date): Promise<WireNudge[]> {
  const rows = await tx.$queryRaw<{ id: string; message: string; mode: string; priority: string; source: string; created_at: Date }[]>`
    UPDATE agent_nudges SET delivered_at = ${now}
    WHERE nudge_id IN (
      SELECT nudge_id FROM agent_nudges
      WHERE agent_bead_id = ${agentId} AND town_id = ${townId} AND delivered_at IS NULL
        AND (expires_at IS NULL OR expires_at > ${now})
      ORDER BY (priority = 'urgent') DESC, created_at, nudge_id
      LIMIT ${Prisma.raw(String(DELIVERY_BATCH))}
      FOR UPDATE SKIP LOCKED)
    RETURNING nudge_id AS id, message, mode, priority, source, created_at`;
  rows.sort(
    (a, b) =>
      Number(b.priority === "urgent") - Number(a.priority === "urgent") ||
      a.created_at.getTime() - b.created_at.getTime() ||
      a.id.localeCompare(b.id),
  );
  return rows.map((r) => ({ id: r.id, message: r.message, mode: r.mode, priority: r.priority, source: r.source, created_at: r.created_at.toISOString() }));
}

// ------------------------------------------------------------------------------------------ wire shapes

type BeadRow = {
  id: string;
  type: string;
  status: string;
  title: string;
  body?: string | null;
  rigId: string | null;
  parentBeadId?: string | null;
  assigneeAgentBeadId: string | null;
  priority: string;
  labels: unknown;
  metadata?: unknown;
  createdBy?: string | null;
  createdAt: Date;
  updatedAt: Date;
  closedAt?: Date | null;
};

/** A bead in a list: no body, no metadata. */
export function beadSummary(b: BeadRow) {
  return {
    id: b.id,
    type: b.type,
    status: b.status,
    title: b.title,
    rig_id: b.rigId,
    assignee_agent_bead_id: b.assigneeAgentBeadId,
    priority: b.priority,
    labels: asStringArray(b.labels),
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
  };
}

/** A bead with its text and metadata. */
export function beadDetail(b: BeadRow) {
  return {
    ...beadSummary(b),
    body: b.body ?? null,
    parent_bead_id: b.parentBeadId ?? null,
    metadata: asRecord(b.metadata),
    created_by: b.createdBy ?? null,
    closed_at: b.closedAt ? b.closedAt.toISOString() : null,
  };
}

// ------------------------------------------------------------------------------------------ creating beads

export type NewBeadData = Omit<Prisma.BeadUncheckedCreateInput, "townId" | "createdAt" | "updatedAt">;

/** Inserts a bead stamped with `now` and its `created` bead event. */
export async function insertBead(tx: Tx, townId: string, data: NewBeadData, now: Date, actorAgentId: string | null) {
  const bead = await tx.bead.create({ data: { ...data, townId, createdAt: now, updatedAt: now } });
  await tx.beadEvent.create({
    data: { townId, beadId: bead.id, agentId: actorAgentId, eventType: "created", newValue: bead.status, metadata: json({ type: bead.type }), createdAt: now },
  });
  return bead;
}

/** Mail (DOMAIN.md §1): an open `message` bead whose assignee is the recipient, labelled with its sender. */
export async function sendMail(
  tx: Tx,
  townId: string,
  mail: { fromAgentId: string; toAgentId: string; subject: string; body: string | null },
  now: Date,
) {
  const bead = await insertBead(
    tx,
    townId,
    {
      type: "message",
      status: "open",
      title: mail.subject,
      body: mail.body,
      assigneeAgentBeadId: mail.toAgentId,
      labels: json([LABELS.message, `from:${mail.fromAgentId}`]),
      metadata: json({ from_agent_id: mail.fromAgentId, to_agent_id: mail.toAgentId }),
      createdBy: mail.fromAgentId,
    },
    now,
    mail.fromAgentId,
  );
  await tx.beadEvent.create({
    data: { townId, beadId: bead.id, agentId: mail.fromAgentId, eventType: "mail_sent", newValue: mail.toAgentId, createdAt: now },
  });
  return bead;
}
