import { z } from "zod";
import type { Action } from "./actions";
import { LABELS } from "./constants";
import { DomainError } from "./errors";
import { DEFAULT_TRIAGE_OPTIONS, notifyMayor, setBeadStatus, unhookAgent } from "./operations";
import type { TownRepo } from "./repo";
import { isTerminal, type Agent, type Bead } from "./types";

// Triage requests (DOMAIN.md §5.4, SPEC.md §2 SHOULD): an issue bead labelled `gt:triage-request` that
// describes a situation the reconciler will not decide alone (an agent stuck past GUPP's limits, an
// escalation). It offers options; whoever resolves it — a person on the escalations page today, a triage
// agent later — picks one, and `resolveTriageRequest` carries it out. Triage requests are never hooked.

export const TRIAGE_ACTIONS = [
  "RESTART",
  "RESTART_WITH_BACKOFF",
  "CLOSE_BEAD",
  "ESCALATE_TO_MAYOR",
  "ESCALATE",
  "NUDGE",
  "REASSIGN_BEAD",
  "DISCARD",
  "PROVIDE_GUIDANCE",
] as const;
export const TriageActionSchema = z.enum(TRIAGE_ACTIONS);
export type TriageAction = z.infer<typeof TriageActionSchema>;

/** GUPP's requests keep DOMAIN.md's short option names: `CLOSE` is CLOSE_BEAD, `ESCALATE` ESCALATE_TO_MAYOR. */
const ALIASES: Record<string, TriageAction> = { CLOSE: "CLOSE_BEAD", ESCALATE: "ESCALATE_TO_MAYOR" };

/** The actions a request offers, normalised (aliases resolved, unknown names dropped), plus DISCARD, which
 *  is always possible: a person may decide there is nothing to do. */
export function triageChoices(request: Pick<Bead, "metadata">): TriageAction[] {
  const raw = Array.isArray(request.metadata?.options) ? (request.metadata.options as unknown[]) : [...DEFAULT_TRIAGE_OPTIONS];
  const out: TriageAction[] = [];
  for (const o of raw) {
    const name = typeof o === "string" ? (ALIASES[o] ?? o) : null;
    const parsed = TriageActionSchema.safeParse(name);
    if (parsed.success && !out.includes(parsed.data)) out.push(parsed.data);
  }
  if (!out.includes("DISCARD")) out.push("DISCARD");
  return out;
}

export function isTriageRequest(bead: Pick<Bead, "type" | "labels">): boolean {
  return bead.type === "issue" && Array.isArray(bead.labels) && bead.labels.includes(LABELS.triageRequest);
}

export interface TriageResolution {
  requestId: string;
  action: TriageAction | "CLOSE" | "ESCALATE";
  notes: string;
  /** Who resolved it: `user:<id>` for a person, the agent id for a triage agent. */
  resolvedBy: string;
  /** The effective max_dispatch_attempts for the snapshot bead's rig (the caller knows the settings). */
  maxDispatchAttempts: number;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

/**
 * Carries out a triage decision (DOMAIN.md §5.4 "Resolution") and closes the request with the decision in
 * its metadata, a `triage_resolved` audit row on the bead it was about, and its linked escalation (if any)
 * closed. Returns the side effects to run (stopping an agent). Throws when the request is not an open
 * triage request or the action is not one it offers.
 */
export async function resolveTriageRequest(repo: TownRepo, input: TriageResolution, now: Date): Promise<Action[]> {
  const request = await repo.getBead(input.requestId);
  if (!request || !isTriageRequest(request)) throw new DomainError("not_found", `Triage request ${input.requestId} not found in this town.`);
  if (isTerminal(request.status)) throw new DomainError("conflict", `Triage request ${request.id} is already ${request.status}.`);
  const action = ALIASES[input.action] ?? (input.action as TriageAction);
  if (!triageChoices(request).includes(action)) {
    throw new DomainError("bad_request", `${input.action} is not an option of this triage request (options: ${triageChoices(request).join(", ")}).`);
  }
  const meta = request.metadata ?? {};
  const context = (meta.context && typeof meta.context === "object" ? meta.context : {}) as Record<string, unknown>;
  const agentId = str(meta.agent_bead_id);
  const agent = agentId ? await repo.getAgent(agentId) : null;
  const snapshotId = str(meta.hooked_bead_id) ?? str(context.source_bead_id);
  const snapshot = snapshotId ? await repo.getBead(snapshotId) : null;
  const onIt = !!agent && !!snapshotId && agent.currentHookBeadId === snapshotId;
  const actor = input.resolvedBy;
  const why = `triage ${action}${input.notes ? `: ${input.notes}` : ""}`;
  const actions: Action[] = [];
  const stop = async (a: Agent) => {
    if (a.status === "working" || a.status === "stalled") actions.push({ type: "stop_agent", rule: "triage", reason: why, agentId: a.id });
  };
  const exhausted = (b: Bead) => b.dispatchAttempts >= input.maxDispatchAttempts;
  const failBead = (b: Bead, code: string, message: string) =>
    setBeadStatus(repo, b, "failed", now, { reason: why, actor, failure: { code, message, source: "triage" } });

  switch (action) {
    case "RESTART":
    case "RESTART_WITH_BACKOFF": {
      if (!agent) break;
      if (onIt) await stop(agent);
      if (snapshot && !isTerminal(snapshot.status) && exhausted(snapshot)) {
        await failBead(snapshot, "max_dispatch_attempts", `Out of dispatch attempts (${snapshot.dispatchAttempts}) when triage asked for a restart.`);
        if (onIt) await unhookAgent(repo, agent, now, why);
        break;
      }
      // Idle with its hook kept: the reconciler dispatches it again (at once, or after the backoff).
      const backoff = action === "RESTART_WITH_BACKOFF";
      await repo.updateAgent(agent.id, { status: "idle", stalledAt: null, lastActivityAt: backoff ? now : null });
      if (backoff && snapshot && !isTerminal(snapshot.status)) await repo.updateBead(snapshot.id, { lastDispatchAttemptAt: now, updatedAt: now });
      break;
    }
    case "CLOSE_BEAD":
      if (snapshot && !isTerminal(snapshot.status)) await failBead(snapshot, "triage_close", "Closed by triage.");
      if (agent && onIt) {
        await stop(agent);
        await unhookAgent(repo, agent, now, why);
      }
      break;
    case "REASSIGN_BEAD":
      if (agent && onIt) {
        await stop(agent);
        await unhookAgent(repo, agent, now, why);
      }
      if (snapshot && !isTerminal(snapshot.status)) {
        if (exhausted(snapshot)) await failBead(snapshot, "max_dispatch_attempts", "Out of dispatch attempts when triage asked for another agent.");
        else {
          await setBeadStatus(repo, snapshot, "open", now, { reason: why, actor });
          await repo.updateBead(snapshot.id, { assigneeAgentBeadId: null, updatedAt: now });
        }
      }
      break;
    case "ESCALATE_TO_MAYOR":
    case "ESCALATE":
      await notifyMayor(repo, `Triage asks for the mayor: ${request.title.replace(/^Triage: /, "")}${input.notes ? `\n\n${input.notes}` : ""}`, "escalation", now, request.id);
      break;
    case "NUDGE":
      if (agent) {
        await repo.insertNudge({
          agentBeadId: agent.id,
          message: input.notes || "Triage: please report on your progress, or say what is blocking you.",
          mode: "immediate",
          priority: "urgent",
          source: "triage",
          createdAt: now,
          expiresAt: null,
        });
      }
      break;
    case "DISCARD":
    case "PROVIDE_GUIDANCE":
      break; // no server effect (DOMAIN.md §5.4); the notes stay on the request
  }

  const resolution = { resolution_action: action, resolution_notes: input.notes, resolved_by: actor, resolved_at: now.toISOString() };
  await repo.updateBead(request.id, { metadata: { ...meta, ...resolution }, updatedAt: now });
  request.metadata = { ...meta, ...resolution };
  await setBeadStatus(repo, request, "closed", now, { reason: why, actor });
  await repo.insertBeadEvent({
    beadId: snapshot?.id ?? request.id,
    agentId: null,
    eventType: "triage_resolved",
    oldValue: null,
    newValue: action,
    metadata: { triage_request_id: request.id, notes: input.notes, actor },
    createdAt: now,
  });
  const escalationId = str(context.escalation_bead_id);
  const escalation = escalationId ? await repo.getBead(escalationId) : null;
  if (escalation && escalation.type === "escalation" && !isTerminal(escalation.status)) {
    await setBeadStatus(repo, escalation, "closed", now, { reason: `resolved by triage (${action})`, actor });
  }
  return actions;
}
