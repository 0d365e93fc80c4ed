import type { Db } from "../db/client";
import { queryPrepared, type SqlClient } from "../db/pool";
import type { PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import { LABELS } from "../domain/constants";
import { isMayorAlive, mayorStartBlocker } from "../domain/rules/mayor";
import { agentFromRow, AGENT_COLUMNS, AGENT_FROM } from "../tick/rows";
import { runtimeStatus, type RuntimeStatus } from "./overview";
import { makeTownDue } from "./towns";

// Talking to the town's mayor (SPEC.md §4.4b, DOMAIN.md §8.4 sendMessage / getMayorStatus): a person's
// message is mail to the mayor (a `message` bead, which is what starts a mayor that is not alive, M1) and a
// line of the conversation; the mayor answers with gt_reply and its slings, convoys and bead updates are
// recorded beside them, so the browser reads one ordered list.

export const MAYOR_MESSAGE_MAX = 20_000;
export const CONVERSATION_PAGE = 50;

export type MayorMessageKind = "person" | "mayor" | "action";

export interface ConversationItem {
  id: string;
  seq: string;
  kind: MayorMessageKind;
  text: string;
  authorName: string | null;
  rigId: string | null;
  createdAt: Date;
  /** the bead a person's message became (mail) or an action made or changed, with its state now */
  bead: { id: string; title: string; type: string; status: string; rigId: string | null } | null;
}

async function findMayorId(db: Db, townId: string): Promise<string> {
  const mayor = await db.agentMetadata.findFirst({ where: { townId, role: "mayor" }, select: { beadId: true } });
  if (!mayor) throw new DomainError("conflict", "This town has no mayor agent.");
  return mayor.beadId;
}

/** A person writes to the mayor: mail it can read, a conversation line, and the town due at once. A mayor
 *  that gave up starting (too many failed starts) is given a fresh count: a new message tries again. */
export async function sendMayorMessage(
  db: PrismaClient,
  townId: string,
  author: { id: string; name: string },
  input: { message: string; rigId?: string | null },
  now = new Date(),
) {
  const text = input.message.trim();
  if (!text) throw new DomainError("bad_request", "Write a message first.");
  const rig = input.rigId ? await db.rig.findFirst({ where: { id: input.rigId, townId }, select: { id: true, name: true } }) : null;
  if (input.rigId && !rig) throw new DomainError("not_found", "That rig is not in this town.");
  const row = await db.$transaction(async (tx) => {
    const mayorId = await findMayorId(tx, townId);
    const mail = await tx.bead.create({
      data: {
        townId,
        type: "message",
        status: "open",
        title: text.split("\n")[0].slice(0, 120),
        body: rig ? `${text}\n\n(about rig ${rig.name}, rig_id ${rig.id})` : text,
        assigneeAgentBeadId: mayorId,
        rigId: null,
        labels: [LABELS.message, "from:person"],
        metadata: { from_user_id: author.id, from_name: author.name, to_agent_id: mayorId, rig_id: rig?.id ?? null, conversation: true },
        createdBy: `user:${author.id}`,
        createdAt: now,
        updatedAt: now,
      },
      select: { id: true },
    });
    await tx.agentMetadata.updateMany({ where: { beadId: mayorId, status: { in: ["idle", "dead"] } }, data: { dispatchAttempts: 0 } });
    return tx.mayorMessage.create({
      data: { townId, kind: "person", text, authorUserId: author.id, authorName: author.name, rigId: rig?.id ?? null, beadId: mail.id, createdAt: now },
    });
  });
  await makeTownDue(db, townId, now);
  return { id: row.id, seq: row.seq.toString() };
}

/** A line the mayor adds: its reply to people (gt_reply) or one of its actions, linked to the bead. */
export async function recordMayorLine(db: Db, townId: string, line: { kind: "mayor" | "action"; text: string; beadId?: string | null; rigId?: string | null }, now: Date) {
  return db.mayorMessage.create({
    data: { townId, kind: line.kind, text: line.text.slice(0, MAYOR_MESSAGE_MAX), beadId: line.beadId ?? null, rigId: line.rigId ?? null, createdAt: now },
    select: { id: true },
  });
}

/** The conversation, newest page first (cursor = the oldest seq already shown), each page in reading order. */
export async function listMayorConversation(sql: SqlClient, townId: string, opts: { cursor?: string | null; limit?: number } = {}) {
  const limit = Math.min(Math.max(opts.limit ?? CONVERSATION_PAGE, 1), 200);
  let before: string | null = null;
  if (opts.cursor) {
    if (!/^\d{1,19}$/.test(opts.cursor)) throw new DomainError("bad_request", "Bad cursor.");
    before = opts.cursor;
  }
  // One statement (the overview polls it): the page of lines, newest first, each with its bead as it is now.
  const { rows } = await queryPrepared<ConversationRow>(
    sql,
    "gt_mayor_conversation",
    `SELECT mm.message_id, mm.seq::text AS seq, mm.kind, mm.text, mm.author_name, mm.rig_id, mm.created_at,
            b.bead_id, b.title AS bead_title, b.type AS bead_type, b.status AS bead_status, b.rig_id AS bead_rig_id
       FROM mayor_messages mm
       LEFT JOIN beads b ON b.bead_id = mm.bead_id AND b.town_id = mm.town_id
      WHERE mm.town_id = $1 AND ($2::bigint IS NULL OR mm.seq < $2::bigint)
      ORDER BY mm.seq DESC
      LIMIT $3`,
    [townId, before, limit + 1],
  );
  const page = rows.slice(0, limit);
  const items: ConversationItem[] = page.reverse().map((r) => ({
    id: r.message_id,
    seq: r.seq,
    kind: r.kind as MayorMessageKind,
    text: r.text,
    authorName: r.author_name,
    rigId: r.rig_id,
    createdAt: r.created_at,
    bead: r.bead_id ? { id: r.bead_id, title: r.bead_title!, type: r.bead_type!, status: r.bead_status!, rigId: r.bead_rig_id } : null,
  }));
  return { items, nextCursor: rows.length > limit ? page[0].seq : null };
}

interface ConversationRow {
  message_id: string;
  seq: string;
  kind: string;
  text: string;
  author_name: string | null;
  rig_id: string | null;
  created_at: Date;
  bead_id: string | null;
  bead_title: string | null;
  bead_type: string | null;
  bead_status: string | null;
  bead_rig_id: string | null;
}

/** What people see of the mayor: idle / starting / working / waiting (stalled, dead as they are), when it
 *  last showed life, and why it is not running when mail waits for it. */
export type MayorDisplayStatus = "idle" | "starting" | "working" | "waiting" | "stalled" | "dead";

export interface MayorStatus {
  agentId: string;
  status: MayorDisplayStatus;
  lastHeartbeatAt: Date | null;
  dispatchedAt: Date | null;
  startAttempts: number;
  unreadMail: number;
  /** the last start failure or crash, or why the mayor is not being started */
  note: string | null;
  runtime: RuntimeStatus;
}

export async function getMayorStatus(sql: SqlClient, townId: string, runtimeOptions: { name: string }[], now = new Date()): Promise<MayorStatus> {
  // One statement (the overview polls it): the mayor, its unread mail, the town's chosen runtime and breaker.
  const { rows } = await queryPrepared<Record<string, unknown> & { unread_mail: number; agent_runtime: string | null; breaker_open: boolean | null }>(
    sql,
    "gt_mayor_status",
    `SELECT ${AGENT_COLUMNS},
            (SELECT count(*)::int FROM beads mail WHERE mail.town_id = $1 AND mail.type = 'message' AND mail.status = 'open'
                AND mail.assignee_agent_bead_id = m.bead_id) AS unread_mail,
            (SELECT s.config->>'agent_runtime' FROM town_settings s WHERE s.town_id = $1) AS agent_runtime,
            (SELECT t.breaker_open FROM towns t WHERE t.id = $1) AS breaker_open
       FROM ${AGENT_FROM} WHERE m.town_id = $1 AND m.role = 'mayor' LIMIT 1`,
    [townId],
  );
  if (!rows[0]) throw new DomainError("conflict", "This town has no mayor agent.");
  const mayor = agentFromRow(rows[0]);
  const unreadMail = Number(rows[0].unread_mail ?? 0);
  const selected = rows[0].agent_runtime ?? null;
  const heardSinceStart = !!mayor.lastActivityAt && (!mayor.dispatchedAt || mayor.lastActivityAt.getTime() > mayor.dispatchedAt.getTime());
  const blocker = isMayorAlive(mayor) ? null : mayorStartBlocker({ draining: false, mayorUnreadMail: unreadMail }, mayor, now, rows[0].breaker_open ?? false);
  const runtime = runtimeStatus(selected, runtimeOptions);
  let status: MayorDisplayStatus = mayor.status as MayorDisplayStatus;
  if (mayor.status === "working" && !heardSinceStart) status = "starting";
  // Without a runtime nothing will start it: say so instead of "starting" forever.
  if ((mayor.status === "idle" || mayor.status === "dead") && unreadMail > 0 && !blocker && runtime.configured) status = "starting";
  return {
    agentId: mayor.id,
    status,
    lastHeartbeatAt: heardSinceStart ? mayor.lastActivityAt : null,
    dispatchedAt: mayor.dispatchedAt,
    startAttempts: mayor.dispatchAttempts,
    unreadMail,
    note: mayor.agentStatusMessage ?? (unreadMail > 0 ? (blocker ?? (runtime.configured ? null : runtime.message)) : null),
    runtime,
  };
}
