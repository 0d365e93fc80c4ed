import type { Db } from "../db/client";
import { Prisma } from "../db/client";
import type { PrismaClient } from "../db/generated/client";
import { DomainError } from "../domain/errors";
import type { AgentRuntime } from "../adapters/agent-runtime/types";
import { AGENT_ROLES, isTerminal } from "../domain/types";
import type { TickDeps } from "../tick/types";
import { townSecrets } from "../secrets/town-secrets";
import { asRecord, changeStatusByPerson, inTransaction, makeTownDue, movedConflict, writeAudit, writeBeadEvent, type Tx } from "./people-writes";

// Agents as people see and steer them (SPEC.md §4.1 agents page): the list, a bounded log tail, and stop /
// reset / delete. Stopping talks to the town's runtime and writes no state: the runtime's exit (or the next
// observe phase) becomes an event the tick applies. Reset and delete are compare-and-set writes, audited.

export const MAX_LOG_BYTES = 64 * 1024;

const ROLE_ORDER: Record<string, number> = Object.fromEntries(AGENT_ROLES.map((r, i) => [r, i]));

export async function listAgents(db: Db, townId: string, input: { rigId?: string; role?: (typeof AGENT_ROLES)[number] }) {
  const rows = await db.agentMetadata.findMany({
    where: { townId, ...(input.role ? { role: input.role } : {}), ...(input.rigId ? { bead: { rigId: input.rigId } } : {}) },
    include: {
      bead: { select: { title: true, rigId: true, createdAt: true, rig: { select: { name: true } } } },
      hook: { select: { id: true, title: true, status: true, type: true } },
    },
    take: 1000,
  });
  return rows
    .map((a) => ({
      id: a.beadId,
      name: a.bead.title,
      role: a.role,
      identity: a.identity,
      status: a.status,
      rigId: a.bead.rigId,
      rigName: a.bead.rig?.name ?? null,
      hook: a.hook ? { id: a.hook.id, title: a.hook.title, status: a.hook.status, type: a.hook.type } : null,
      lastActivityAt: a.lastActivityAt,
      lastEventType: a.lastEventType,
      lastEventAt: a.lastEventAt,
      statusMessage: a.agentStatusMessage,
      dispatchAttempts: a.dispatchAttempts,
      dispatchedAt: a.dispatchedAt,
      stalledAt: a.stalledAt,
      runtimeName: a.runtimeName,
      hasLog: !!a.logPath,
      createdAt: a.bead.createdAt,
    }))
    .sort((x, y) => (ROLE_ORDER[x.role] ?? 9) - (ROLE_ORDER[y.role] ?? 9) || x.name.localeCompare(y.name));
}

async function findAgentOrThrow(db: Db, townId: string, agentId: string) {
  const agent = await db.agentMetadata.findFirst({ where: { beadId: agentId, townId }, include: { bead: { select: { title: true, rigId: true } } } });
  if (!agent) throw new DomainError("not_found", "Agent not found in this town.");
  return agent;
}

/** The runtime that runs this agent: the one it was started on, else the town's pick (else the default). */
async function runtimeFor(deps: Pick<TickDeps, "runtimeFor">, db: Db, townId: string, agent: { runtimeName: string | null }): Promise<AgentRuntime> {
  const settings = await db.townSettings.findUnique({ where: { townId }, select: { config: true } });
  const configured = asRecord(settings?.config).agent_runtime;
  const name = agent.runtimeName ?? (typeof configured === "string" && configured ? configured : null);
  try {
    return deps.runtimeFor(name);
  } catch (err) {
    throw new DomainError("conflict", err instanceof Error ? err.message : "The town's agent runtime is not available on this server.");
  }
}

/** Read beyond the tail asked for, so a secret cut by the read's start falls outside what is shown. */
const LOG_READ_SLACK_BYTES = 8 * 1024;

/** The last `maxBytes` (≤ 64 KiB) of the agent's log; an empty string when its runtime keeps none. The agent
 *  echoes what it was given (its token, the git token, the town's env values): the log passes the town's
 *  redactor before anyone sees it (SPEC.md §5). */
export async function readAgentLog(deps: TickDeps, db: Db, townId: string, input: { agentId: string; maxBytes: number }) {
  const agent = await findAgentOrThrow(db, townId, input.agentId);
  const maxBytes = Math.min(Math.max(1, input.maxBytes), MAX_LOG_BYTES);
  const readBytes = maxBytes + LOG_READ_SLACK_BYTES;
  let text: string | null = null;
  try {
    const runtime = await runtimeFor(deps, db, townId, agent);
    text = await runtime.readLog(agent.beadId, readBytes);
  } catch {
    text = null; // no runtime, or it could not read the log: show nothing rather than fail the page
  }
  const secrets = await townSecrets(db, townId);
  // A window that starts mid-file may start mid-secret: its edges are masked too.
  let log = text ? (Buffer.byteLength(text, "utf8") >= readBytes ? secrets.window(text) : secrets.text(text)) : "";
  const bytes = Buffer.from(log, "utf8");
  const truncated = bytes.length > maxBytes;
  if (truncated) log = bytes.subarray(bytes.length - maxBytes).toString("utf8");
  return { agentId: agent.beadId, log, maxBytes, truncated };
}

/** Stop the agent's process through the town's runtime. Writes no agent state (the exit becomes an event). */
export async function stopAgent(deps: TickDeps, db: PrismaClient, townId: string, actorUserId: string, agentId: string, now = new Date()) {
  const agent = await findAgentOrThrow(db, townId, agentId);
  const runtime = await runtimeFor(deps, db, townId, agent);
  let outcome: { stopped: boolean; reason?: string };
  try {
    outcome = await runtime.stop(agent.beadId, "stopped by a person");
  } catch (err) {
    outcome = { stopped: false, reason: err instanceof Error ? err.message : String(err) };
  }
  await inTransaction(db, async (tx) => {
    await writeAudit(
      tx,
      townId,
      actorUserId,
      { action: "agent.stop", targetType: "agent", targetId: agent.beadId, detail: { name: agent.bead.title, status: agent.status, ...outcome } },
      now,
    );
    await makeTownDue(tx, townId, now);
  });
  if (!outcome.stopped) throw new DomainError("upstream_failed", `The runtime did not stop ${agent.bead.title}: ${outcome.reason ?? "no reason given"}.`);
  return { agentId: agent.beadId, stopped: true as const };
}

async function lockAgent(tx: Tx, townId: string, agentId: string) {
  await tx.$queryRaw`SELECT bead_id FROM agent_metadata WHERE bead_id = ${agentId} AND town_id = ${townId} FOR UPDATE`;
  return findAgentOrThrow(tx, townId, agentId);
}

/** Best effort: a stop that fails must not undo a reset or a delete (double stops are harmless). */
export async function stopQuietly(deps: Pick<TickDeps, "runtimeFor">, db: Db, townId: string, agent: { beadId: string; runtimeName: string | null }, reason: string) {
  try {
    const runtime = await runtimeFor(deps, db, townId, agent);
    const res = await runtime.stop(agent.beadId, reason);
    return res.stopped;
  } catch {
    return false;
  }
}

/**
 * Reset (DOMAIN.md §8.2 `gt_agent_reset`): if hooked to a non-terminal bead, reopen it (`open`, no assignee)
 * with its dispatch counters zeroed; an `unhooked {reason: agent_reset}` bead event; unhook; agent `idle`
 * with its counter at 0. A running process is then stopped (best effort), so it cannot keep working on a
 * bead it no longer holds.
 */
export async function resetAgent(deps: TickDeps, db: PrismaClient, townId: string, actorUserId: string, agentId: string, now = new Date()) {
  const result = await inTransaction(db, async (tx) => {
    const agent = await lockAgent(tx, townId, agentId);
    const hookId = agent.currentHookBeadId;
    let reopened: string | null = null;
    if (hookId) {
      const bead = await tx.bead.findFirst({ where: { id: hookId, townId } });
      if (bead && !isTerminal(bead.status)) {
        if (bead.status !== "open") {
          await changeStatusByPerson(tx, townId, actorUserId, bead, "open", now, { reason: "agent reset" });
        }
        await tx.bead.updateMany({
          where: { id: bead.id, townId },
          data: { assigneeAgentBeadId: null, dispatchAttempts: 0, lastDispatchAttemptAt: null, updatedAt: now },
        });
        reopened = bead.id;
      }
      if (bead) {
        await writeBeadEvent(tx, townId, actorUserId, { beadId: bead.id, eventType: "unhooked", oldValue: agent.beadId, metadata: { reason: "agent_reset" } }, now);
      }
    }
    const res = await tx.agentMetadata.updateMany({
      where: { beadId: agent.beadId, townId, status: agent.status, currentHookBeadId: hookId },
      data: { currentHookBeadId: null, status: "idle", dispatchAttempts: 0, checkpoint: Prisma.DbNull, stalledAt: null },
    });
    if (res.count === 0) throw movedConflict("This agent");
    await writeAudit(
      tx,
      townId,
      actorUserId,
      { action: "agent.reset", targetType: "agent", targetId: agent.beadId, detail: { name: agent.bead.title, previous_status: agent.status, hook: hookId, reopened } },
      now,
    );
    await makeTownDue(tx, townId, now);
    return { agent, hookId, reopened, wasRunning: agent.status === "working" || agent.status === "stalled" };
  });
  const stopped = result.wasRunning ? await stopQuietly(deps, db, townId, result.agent, "agent reset") : false;
  return { agentId: result.agent.beadId, unhookedFrom: result.hookId, reopenedBeadId: result.reopened, stopped };
}

/**
 * Delete an agent (not the mayor): stop it first, then — in one transaction — reopen the work it held
 * (`open`/`in_progress` beads back to `open`, no assignee; `in_review` work keeps its status, its MR
 * decides), and delete the agent bead (its metadata, tokens and nudges cascade). Audited.
 */
export async function deleteAgent(deps: TickDeps, db: PrismaClient, townId: string, actorUserId: string, agentId: string, now = new Date()) {
  const agent = await findAgentOrThrow(db, townId, agentId);
  if (agent.role === "mayor") throw new DomainError("conflict", "The mayor cannot be deleted: every town has one.");
  const stopped = await stopQuietly(deps, db, townId, agent, "agent deleted");
  return inTransaction(db, async (tx) => {
    const locked = await lockAgent(tx, townId, agentId);
    const assigned = await tx.bead.findMany({ where: { townId, assigneeAgentBeadId: locked.beadId, type: { not: "message" } } });
    const reopened: string[] = [];
    for (const bead of assigned) {
      if ((bead.status === "open" || bead.status === "in_progress") && bead.type !== "escalation") {
        if (bead.status === "in_progress") await changeStatusByPerson(tx, townId, actorUserId, bead, "open", now, { reason: "assignee deleted" });
        reopened.push(bead.id);
      }
      await tx.bead.updateMany({ where: { id: bead.id, townId }, data: { assigneeAgentBeadId: null, updatedAt: now } });
    }
    if (locked.currentHookBeadId && (await tx.bead.count({ where: { id: locked.currentHookBeadId, townId } }))) {
      await writeBeadEvent(tx, townId, actorUserId, { beadId: locked.currentHookBeadId, eventType: "unhooked", oldValue: locked.beadId, metadata: { reason: "agent deleted" } }, now);
    }
    const res = await tx.bead.deleteMany({ where: { id: locked.beadId, townId, type: "agent" } });
    if (res.count === 0) throw movedConflict("This agent");
    await writeAudit(
      tx,
      townId,
      actorUserId,
      { action: "agent.delete", targetType: "agent", targetId: locked.beadId, detail: { name: locked.bead.title, role: locked.role, reopened, stopped } },
      now,
    );
    await makeTownDue(tx, townId, now);
    return { agentId: locked.beadId, deleted: true as const, reopenedBeadIds: reopened, stopped };
  });
}
