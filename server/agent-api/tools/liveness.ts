import { Prisma } from "../../db/client";
import { LABELS } from "../../domain/constants";
import { effectiveSettings } from "../../domain/settings";
import {
  asRecord,
  asStringArray,
  beadDetail,
  beadSummary,
  inTransaction,
  json,
  loadCaller,
  takePendingNudges,
  takeUnreadMail,
  type Tx,
} from "../store";
import { badRequest, notFound } from "../errors";
import { AGENT_TOKEN_TTL_MS, mintAgentToken, type AgentPrincipal } from "../../secrets/agent-tokens";
import { TOOL_CATALOG } from "../catalog";
import { defineTool } from "./define";

// The calls an agent makes about itself: heartbeat (liveness + delivery), prime (its start context),
// mail check and checkpoint.

/** How many open beads the prime context lists (DOMAIN.md §6.2). */
export const PRIME_OPEN_BEADS = 20;

/**
 * touchAgent (DOMAIN.md §5.8): fresh activity, `idle` → `working` (proof of life — this is what makes a
 * dispatch that "failed" on a timeout but really started safe), the agent's dispatch counter back to 0,
 * and the SDK watermark fields coalesced (a heartbeat without them keeps the previous values).
 */
async function touchAgent(
  tx: Tx,
  townId: string,
  agentId: string,
  now: Date,
  input: { last_event_type?: string | null; last_event_at?: string | null; active_tools?: string[] | null; status?: "working" | "waiting" },
): Promise<string | null> {
  // The mayor cycles working ⇄ waiting by saying so; every other agent only ever goes idle → working here.
  const asked = input.status ?? null;
  const rows = await tx.$queryRaw<{ status: string }[]>`
    UPDATE agent_metadata SET
      last_activity_at = ${now},
      status = CASE
        WHEN ${asked}::text = 'waiting' AND status IN ('idle', 'working', 'waiting', 'stalled') THEN 'waiting'
        WHEN ${asked}::text = 'working' AND status IN ('idle', 'waiting', 'stalled') THEN 'working'
        WHEN status = 'idle' THEN 'working'
        ELSE status END,
      dispatch_attempts = 0,
      last_event_type = COALESCE(${input.last_event_type ?? null}::text, last_event_type),
      last_event_at = COALESCE(${input.last_event_at ? new Date(input.last_event_at) : null}::timestamptz, last_event_at),
      active_tools = COALESCE(${input.active_tools ? JSON.stringify(input.active_tools) : null}::jsonb, active_tools)
    WHERE bead_id = ${agentId} AND town_id = ${townId}
    RETURNING status`;
  return rows[0]?.status ?? null;
}

const rigWire = (r: { id: string; name: string; gitUrl: string; defaultBranch: string }) => ({
  id: r.id,
  name: r.name,
  git_url: r.gitUrl,
  default_branch: r.defaultBranch,
});

/** Effective settings, or null when a stored config no longer parses (prime must still answer). */
function safeSettings(town: unknown, rig: unknown) {
  try {
    return effectiveSettings(town, rig);
  } catch {
    return null;
  }
}

/** A live agent's token is renewed through its heartbeat once it is an hour old (DOMAIN.md §5.9: a
 *  long-waiting mayor must never 401 on its next tool call; tokens live 8 h). At most one renewal an hour:
 *  none while a token younger than an hour exists (an agent that ignored the last one gets no flood). */
export const TOKEN_REFRESH_AFTER_MS = 60 * 60 * 1000;

async function refreshedToken(tx: Tx, principal: AgentPrincipal, now: Date, key: string | undefined): Promise<{ token: string; expiresAt: string } | null> {
  if (!principal.tokenId) return null;
  const cutoff = new Date(now.getTime() - TOKEN_REFRESH_AFTER_MS);
  const presented = await tx.agentToken.findFirst({ where: { id: principal.tokenId }, select: { createdAt: true } });
  if (!presented || presented.createdAt.getTime() > cutoff.getTime()) return null;
  const younger = await tx.agentToken.count({ where: { agentId: principal.agentId, revokedAt: null, createdAt: { gt: cutoff } } });
  if (younger > 0) return null;
  const token = await mintAgentToken(tx, principal, now, { keepEarlier: true, ...(key ? { key } : {}) });
  return { token, expiresAt: new Date(now.getTime() + AGENT_TOKEN_TTL_MS).toISOString() };
}

export const gtHeartbeat = defineTool({
  ...TOOL_CATALOG.gt_heartbeat,
  async run({ db, principal, now, tokenKey }, input) {
    if (input.status === "waiting" && principal.role !== "mayor") {
      throw badRequest("Only the mayor waits in chat: send status \"working\" or leave it out.");
    }
    return inTransaction(db, async (tx) => {
      const status = await touchAgent(tx, principal.townId, principal.agentId, now, input);
      if (!status) throw notFound("Your agent no longer exists in this town.");
      const nudges = await takePendingNudges(tx, principal.townId, principal.agentId, now);
      const mail = await takeUnreadMail(tx, principal.townId, principal.agentId, now);
      const refreshed = await refreshedToken(tx, principal, now, tokenKey);
      return { body: { ok: true, status, nudges, mail, ...(refreshed ? { token: refreshed.token, token_expires_at: refreshed.expiresAt } : {}) } };
    });
  },
});

export const gtMailCheck = defineTool({
  ...TOOL_CATALOG.gt_mail_check,
  async run({ db, principal, now }) {
    const mail = await inTransaction(db, (tx) => takeUnreadMail(tx, principal.townId, principal.agentId, now));
    return { body: { mail } };
  },
});

export const gtCheckpoint = defineTool({
  ...TOOL_CATALOG.gt_checkpoint,
  async run({ db, principal }, input) {
    const res = await db.agentMetadata.updateMany({
      where: { beadId: principal.agentId, townId: principal.townId },
      data: { checkpoint: input.data === null ? Prisma.DbNull : json(input.data) },
    });
    if (res.count === 0) throw notFound("Your agent no longer exists in this town.");
    return { body: { ok: true } };
  },
});

/** The prime context of DOMAIN.md §6.2. Reading it consumes the agent's unread mail. */
export const gtPrime = defineTool({
  ...TOOL_CATALOG.gt_prime,
  async run({ db, principal, now }) {
    return inTransaction(db, async (tx) => {
      const agent = await loadCaller(tx, principal);
      const hooked = agent.currentHookBeadId
        ? await tx.bead.findFirst({ where: { id: agent.currentHookBeadId, townId: principal.townId }, include: { review: true } })
        : null;
      const undeliveredMail = await takeUnreadMail(tx, principal.townId, principal.agentId, now);
      const rigId = agent.bead.rigId;
      const openBeads = await tx.bead.findMany({
        where: {
          townId: principal.townId,
          status: { in: ["open", "in_progress"] },
          type: { notIn: ["agent", "message"] },
          OR: rigId ? [{ rigId }, { rigId: null }] : [{ rigId: null }],
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: PRIME_OPEN_BEADS,
      });

      const labels = hooked ? asStringArray(hooked.labels) : [];
      const md = hooked ? asRecord(hooked.metadata) : {};
      let reworkContext: Record<string, unknown> | null = null;
      if (hooked && labels.includes(LABELS.rework)) {
        const reworkFor = typeof md.rework_for === "string" ? md.rework_for : null;
        const original = reworkFor
          ? await tx.bead.findFirst({ where: { id: reworkFor, townId: principal.townId }, select: { title: true } })
          : null;
        reworkContext = {
          feedback: hooked.body ?? "",
          branch: md.branch ?? null,
          target_branch: md.target_branch ?? null,
          files: asStringArray(md.files),
          original_bead_title: original?.title ?? null,
          mr_bead_id: md.mr_bead_id ?? hooked.parentBeadId ?? null,
        };
      }
      const prFixupContext =
        hooked && labels.includes(LABELS.prFixup)
          ? { pr_url: md.pr_url ?? null, branch: md.branch ?? null, target_branch: md.target_branch ?? null }
          : null;

      // Where the agent works and how its work lands (the launchers of the agent kit decide push / PR /
      // review from these), and for the mayor the rigs it can sling to.
      const [town, townSettings, rigs] = await Promise.all([
        tx.town.findUnique({ where: { id: principal.townId }, select: { id: true, name: true } }),
        tx.townSettings.findUnique({ where: { townId: principal.townId }, select: { config: true } }),
        tx.rig.findMany({ where: { townId: principal.townId }, orderBy: { createdAt: "asc" }, select: { id: true, name: true, gitUrl: true, defaultBranch: true, config: true } }),
      ]);
      const ownRig = rigs.find((r) => r.id === rigId) ?? null;
      const settings = safeSettings(townSettings?.config ?? {}, ownRig?.config ?? {});

      return {
        body: {
          agent: {
            id: agent.beadId,
            name: agent.bead.title,
            role: agent.role,
            identity: agent.identity,
            status: agent.status,
            rig_id: rigId,
            current_hook_bead_id: agent.currentHookBeadId,
            dispatch_attempts: agent.dispatchAttempts,
            checkpoint: agent.checkpoint ?? null,
            last_activity_at: agent.lastActivityAt?.toISOString() ?? null,
          },
          hooked_bead: hooked
            ? {
                ...beadDetail(hooked),
                review: hooked.review
                  ? {
                      branch: hooked.review.branch,
                      target_branch: hooked.review.targetBranch,
                      pr_url: hooked.review.prUrl,
                      retry_count: hooked.review.retryCount,
                    }
                  : null,
              }
            : null,
          undelivered_mail: undeliveredMail,
          open_beads: openBeads.map(beadSummary),
          rework_context: reworkContext,
          pr_fixup_context: prFixupContext,
          town: { id: principal.townId, name: town?.name ?? null, rigs: rigs.map(rigWire) },
          rig: ownRig ? rigWire(ownRig) : null,
          settings: settings && {
            merge_strategy: settings.mergeStrategy,
            review_mode: settings.reviewMode,
            code_review: settings.codeReview,
          },
        },
      };
    });
  },
});
