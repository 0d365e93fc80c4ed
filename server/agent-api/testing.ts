import type { PrismaClient } from "../db/generated/client";
import type { AgentRole } from "../domain/types";
import { makeRig, makeTown, makeUser } from "../../prisma/factories";
import { POST } from "../../app/api/agent/[tool]/route";
import { mintAgentToken } from "../secrets/agent-tokens";

// Helpers for the agent API's integration tests: a town with a rig and agents, tokens, and calls through
// the real route handler (a Request in, a Response out — no server).

let n = 0;

export async function makeAgent(
  db: PrismaClient,
  townId: string,
  over: { role?: AgentRole; rigId?: string | null; name?: string; status?: string; hookBeadId?: string | null } = {},
) {
  const role = over.role ?? "polecat";
  const name = over.name ?? `Agent${++n}`;
  const bead = await db.bead.create({ data: { townId, type: "agent", status: "open", title: name, rigId: over.rigId ?? null, createdBy: "system" } });
  await db.agentMetadata.create({
    data: {
      beadId: bead.id,
      townId,
      role,
      identity: `${name}-${role}-${bead.id.slice(0, 8)}@${townId.slice(0, 8)}`,
      status: over.status ?? "idle",
      currentHookBeadId: over.hookBeadId ?? null,
    },
  });
  return { id: bead.id, name, role };
}

export async function seedTown(db: PrismaClient) {
  const user = await makeUser(db);
  const town = await makeTown(db, user.id);
  const rig = await makeRig(db, town.id);
  const mayorRow = await db.agentMetadata.findFirstOrThrow({ where: { townId: town.id, role: "mayor" } });
  return { user, town, rig, mayor: { id: mayorRow.beadId, role: "mayor" as const } };
}

/** A seeded town with a polecat (status / hook as asked) and tokens for it and for the mayor. */
export async function seedPolecatTown(db: PrismaClient, over: { status?: string; hookBeadId?: string | null } = {}) {
  const seeded = await seedTown(db);
  const polecat = await makeAgent(db, seeded.town.id, { rigId: seeded.rig.id, ...over });
  const token = await tokenFor(db, seeded.town.id, polecat);
  const mayorToken = await tokenFor(db, seeded.town.id, seeded.mayor);
  return { ...seeded, polecat, token, mayorToken };
}

/** A bead's status changes in the audit timeline, oldest first. */
export function statusEventsOf(db: PrismaClient, beadId: string) {
  return db.beadEvent.findMany({ where: { beadId, eventType: "status_changed" }, orderBy: { createdAt: "asc" } });
}

export async function tokenFor(db: PrismaClient, townId: string, agent: { id: string; role: AgentRole }, now = new Date()) {
  return mintAgentToken(db, { townId, agentId: agent.id, role: agent.role }, now);
}

export interface CallResult {
  status: number;
  json: any;
}

/** POST /api/agent/<tool> through the exported route handler. `body` a string is sent as is. */
export async function callAgentApi(tool: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<CallResult> {
  const req = new Request(`http://localhost/api/agent/${tool}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const res = await POST(req, { params: Promise.resolve({ tool }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
