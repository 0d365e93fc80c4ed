import { createHash, randomUUID } from "node:crypto";
import { SignJWT, jwtVerify } from "jose";
import { z } from "zod";
import type { Db } from "../db/client";
import { DomainError } from "../domain/errors";
import { AgentRoleSchema, type AgentRole } from "../domain/types";
import { getEnv } from "../env";

// Agent tokens (SPEC.md §4.3): minted per agent at each dispatch, signed HS256 with GASTOWN_TOKEN_KEY,
// carrying town, agent and role, valid 8 h. Only a SHA-256 of the token is stored, so a database dump
// does not hand out working tokens. A new dispatch revokes the agent's earlier tokens; deleting the agent
// deletes them (FK cascade). Unhooking does not touch them: a just-finished agent's late gt_done /
// agent_completed must still be accepted (DOMAIN.md §3.1–3.2).

export const AGENT_TOKEN_TTL_MS = 8 * 60 * 60 * 1000;
const ISSUER = "gastown-control";
const AUDIENCE = "gastown-agent-api";
/** A JWT of ours is ~400 characters; anything far longer is garbage we do not even try to verify. */
const MAX_TOKEN_LENGTH = 4096;

export interface AgentPrincipal {
  townId: string;
  agentId: string;
  role: AgentRole;
  /** the presented token's row (`agent_tokens.token_id`), when the caller came with one */
  tokenId?: string;
}

export type MintAgentTokenInput = Omit<AgentPrincipal, "tokenId">;

export interface TokenOptions {
  /** Signing key; defaults to the environment's GASTOWN_TOKEN_KEY. */
  key?: string;
  /** A refresh of a live agent's token (not a new dispatch): its earlier tokens stay valid until they
   *  expire, so a tool call already under way with the old one still gets through. */
  keepEarlier?: boolean;
}

/** Why a token was refused. All of them are a 401 to the caller. */
export type AgentTokenRefusal =
  | "missing"
  /** not a JWT, wrong algorithm, bad signature, wrong issuer/audience or claims */
  | "bad_signature"
  | "expired"
  /** superseded by a newer dispatch */
  | "revoked"
  /** well signed, but no stored hash for it in the claimed town (e.g. another town's claims) */
  | "unknown"
  | "agent_deleted";

export type AgentTokenCheck =
  | ({ ok: true; tokenId: string } & AgentPrincipal)
  | { ok: false; reason: AgentTokenRefusal };

export const TOKEN_REFUSAL_MESSAGES: Record<AgentTokenRefusal, string> = {
  missing: "Missing agent token: send Authorization: Bearer <GASTOWN_AGENT_TOKEN>.",
  bad_signature: "The agent token is not valid.",
  expired: "The agent token has expired.",
  revoked: "The agent token was superseded by a newer dispatch of this agent.",
  unknown: "The agent token is not known to this town.",
  agent_deleted: "The agent of this token no longer exists.",
};

/** Hex SHA-256 of the whole token string: what `agent_tokens.token_hash` holds. */
export function hashAgentToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function signingKey(options?: TokenOptions): Uint8Array {
  return new TextEncoder().encode(options?.key ?? getEnv().GASTOWN_TOKEN_KEY);
}

/** The minimal raw-SQL client the tick holds (a `pg` PoolClient fits). */
export interface SqlClient {
  query(sql: string, params: unknown[]): Promise<{ rowCount: number | null }>;
}

/** The same statements run through Prisma (inside or outside a transaction). */
function prismaSqlClient(db: Db): SqlClient {
  return { query: async (sql, params) => ({ rowCount: await db.$executeRawUnsafe(sql, ...params) }) };
}

/**
 * Mints a token for an agent at dispatch and stores its hash; the agent's earlier tokens are revoked
 * (a new dispatch supersedes) and its expired ones pruned. Throws `entity_not_found` when the agent is
 * not an agent of that town. Pass the tick's transaction so the token lands with the dispatch.
 */
export async function mintAgentToken(db: Db, input: MintAgentTokenInput, now: Date, options?: TokenOptions): Promise<string> {
  return mintAgentTokenSql(prismaSqlClient(db), input, now, options);
}

/** `mintAgentToken` for the tick's raw `pg` client: the same statements, the same token. */
export async function mintAgentTokenSql(client: SqlClient, input: MintAgentTokenInput, now: Date, options?: TokenOptions): Promise<string> {
  const role = AgentRoleSchema.parse(input.role);
  const jti = randomUUID();
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = new Date((issuedAt * 1000) + AGENT_TOKEN_TTL_MS);
  const token = await new SignJWT({ town: input.townId, agent: input.agentId, role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setJti(jti)
    .setIssuedAt(issuedAt)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(signingKey(options));

  const nowIso = now.toISOString();
  // One statement (a dispatch mints one token; a tick may dispatch many):
  // - expired tokens can never verify (the signature check refuses them first): deleted, to keep the table small;
  // - unless told to keep them, the agent's other live tokens are revoked (only unexpired ones, so no row is
  //   both deleted and updated; the new row is not visible to the update: all parts see one snapshot);
  // - INSERT … SELECT: the row exists only if the agent belongs to the town, so a token can never be minted
  //   across towns even by a buggy caller.
  const inserted = await client.query(
    `WITH expired AS (
       DELETE FROM agent_tokens WHERE agent_id = $3::text AND expires_at <= $6::timestamptz
     ), revoked AS (
       UPDATE agent_tokens SET revoked_at = $6::timestamptz
        WHERE agent_id = $3::text AND town_id = $2::text AND revoked_at IS NULL AND expires_at > $6::timestamptz AND $8::boolean
     )
     INSERT INTO agent_tokens (token_id, town_id, agent_id, role, token_hash, created_at, expires_at)
     SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::timestamptz, $7::timestamptz
     FROM agent_metadata WHERE bead_id = $3::text AND town_id = $2::text`,
    [jti, input.townId, input.agentId, role, hashAgentToken(token), nowIso, expiresAt.toISOString(), !options?.keepEarlier],
  );
  if (!inserted.rowCount) throw new DomainError("entity_not_found", `Agent ${input.agentId} not found in town ${input.townId}`);
  return token;
}

const ClaimsSchema = z.object({
  town: z.string().min(1),
  agent: z.string().min(1),
  role: AgentRoleSchema,
  jti: z.string().min(1),
});

/** The token of an `Authorization` header value ("Bearer <t>"), or a bare token; null when absent. */
export function bearerToken(value: string | null | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim();
  const match = /^Bearer\s+(\S+)$/i.exec(trimmed);
  if (match) return match[1];
  if (/\s/.test(trimmed) || trimmed === "" || /^bearer$/i.test(trimmed)) return null;
  return trimmed;
}

/**
 * Checks a bearer token: signature and expiry (at `now`), then the stored hash — looked up only within
 * the claimed town and agent, and only while that agent still belongs to that town. Revoked (superseded)
 * and deleted-agent tokens are refused; an unhooked agent's token is not.
 */
export async function verifyAgentToken(db: Db, bearer: string | null | undefined, now: Date, options?: TokenOptions): Promise<AgentTokenCheck> {
  const token = bearerToken(bearer);
  if (!token) return { ok: false, reason: bearer && bearer.trim() ? "bad_signature" : "missing" };
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "bad_signature" };

  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, signingKey(options), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
      requiredClaims: ["jti", "exp", "iat"],
    }));
  } catch (error) {
    const code = (error as { code?: string } | null)?.code;
    return { ok: false, reason: code === "ERR_JWT_EXPIRED" ? "expired" : "bad_signature" };
  }
  const claims = ClaimsSchema.safeParse(payload);
  if (!claims.success) return { ok: false, reason: "bad_signature" };
  const { town, agent, role } = claims.data;

  const row = await db.agentToken.findFirst({
    where: { tokenHash: hashAgentToken(token), townId: town, agentId: agent, agent: { townId: town } },
    select: { id: true, role: true, expiresAt: true, revokedAt: true, agent: { select: { role: true } } },
  });
  if (!row) {
    const exists = await db.agentMetadata.findFirst({ where: { beadId: agent, townId: town }, select: { beadId: true } });
    return { ok: false, reason: exists ? "unknown" : "agent_deleted" };
  }
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
  // The agent's role never changes; a mismatch means the claims were not the ones we stored.
  if (row.role !== role || row.agent.role !== role) return { ok: false, reason: "unknown" };
  return { ok: true, tokenId: row.id, townId: town, agentId: agent, role };
}
