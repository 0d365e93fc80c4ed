import type pg from "pg";
import type { AgentStartSpec } from "../adapters/agent-runtime/types";
import type { TownRef } from "../adapters/github/tenancy";
import type { TownConfig } from "../domain/settings";
import type { DispatchResolution } from "../domain/state-actions";
import type { TownRepo } from "../domain/repo";
import { branchFor, buildMayorPrompt, buildPrompt, type MayorPromptRig } from "./prompt";
import type { TickDeps } from "./types";

// The runtime start request of a dispatch (SPEC.md §4.4 env contract): which branch, which target, which PR
// a refinery reviews, the prompt, and a fresh agent token minted in the tick's state transaction.

/** Builds the runtime start request for a dispatch whose state part was just applied (token minted here). */
export async function dispatchSpec(
  deps: TickDeps,
  client: pg.PoolClient,
  repo: TownRepo,
  town: TownRef,
  townConfig: TownConfig,
  d: DispatchResolution,
  now: Date,
): Promise<AgentStartSpec> {
  const townId = town.id;
  if (d.beadId === null) return mayorSpec(deps, client, townId, townConfig, d, now);
  const bead = await repo.getBead(d.beadId);
  const agent = await repo.getAgent(d.agentId);
  const rig = d.rigId ? await repo.getRig(d.rigId) : null;
  const agentToken = await deps.mintToken(client, { townId, agentId: d.agentId, role: d.role }, now);
  const review = bead?.type === "merge_request" ? await repo.getReview(bead.id) : null;
  const convoyId = (bead?.metadata?.convoy_id as string | undefined) ?? null;
  const convoy = convoyId ? await repo.getConvoy(convoyId) : null;
  const settings = rig?.settings;
  const defaultBranch = rig?.defaultBranch ?? "main";
  const mergeStrategy = settings?.mergeStrategy ?? "direct";
  const convoyBranch = convoy && convoy.mergeMode !== "review-and-merge" ? convoy.featureBranch : null;
  const branch = review ? review.branch : bead ? branchFor(bead, convoyBranch) : null;
  const targetBranch = review ? review.targetBranch : (convoyBranch ?? defaultBranch);
  const custom = townConfig.custom_instructions?.[d.role as "polecat" | "refinery" | "mayor"];
  return {
    agentId: d.agentId,
    role: d.role,
    townId,
    rigId: d.rigId,
    beadId: d.beadId,
    branch,
    targetBranch,
    prUrl: review?.prUrl ?? null,
    gitUrl: rig?.gitUrl ?? null,
    prompt: buildPrompt({
      role: d.role,
      bead: bead ?? { title: "(missing bead)", body: null, labels: [] },
      branch,
      targetBranch,
      prUrl: review?.prUrl ?? null,
      mergeStrategy,
      checkpoint: agent?.checkpoint ?? null,
      customInstructions: custom,
    }),
    apiUrl: deps.apiUrl,
    agentToken,
    // The one resolver (town secret, else the operator's token only if GASTOWN_SHARED_GITHUB_TOKEN allows it).
    gitToken: deps.resolveGitHubToken(town, townConfig.git_auth?.github_token),
    townEnv: townConfig.env_vars ?? {},
  };
}

/** The mayor's start request: no hook, no rig, no branch, no git; the prompt names the town's rigs and work. */
async function mayorSpec(deps: TickDeps, client: pg.PoolClient, townId: string, townConfig: TownConfig, d: DispatchResolution, now: Date): Promise<AgentStartSpec> {
  const agentToken = await deps.mintToken(client, { townId, agentId: d.agentId, role: "mayor" }, now);
  const { rows } = await client.query(
    `SELECT t.name AS town_name,
       (SELECT count(*)::int FROM beads m WHERE m.town_id = t.id AND m.type = 'message' AND m.status = 'open' AND m.assignee_agent_bead_id = $2) AS unread,
       (SELECT coalesce(json_agg(json_build_object('id', r.id, 'name', r.name, 'gitUrl', r.git_url, 'defaultBranch', r.default_branch,
          'openBeads', (SELECT count(*)::int FROM beads b WHERE b.rig_id = r.id AND b.type = 'issue' AND b.status = 'open'),
          'inProgressBeads', (SELECT count(*)::int FROM beads b WHERE b.rig_id = r.id AND b.type = 'issue' AND b.status = 'in_progress'))
          ORDER BY r.created_at), '[]') FROM rigs r WHERE r.town_id = t.id) AS rigs
     FROM towns t WHERE t.id = $1`,
    [townId, d.agentId],
  );
  const row = rows[0] ?? { town_name: "?", unread: 0, rigs: [] };
  return {
    agentId: d.agentId,
    role: "mayor",
    townId,
    rigId: null,
    beadId: null,
    branch: null,
    targetBranch: null,
    prUrl: null,
    gitUrl: null,
    prompt: buildMayorPrompt({
      townName: row.town_name as string,
      rigs: row.rigs as MayorPromptRig[],
      unreadMail: Number(row.unread),
      customInstructions: townConfig.custom_instructions?.mayor,
    }),
    apiUrl: deps.apiUrl,
    agentToken,
    gitToken: null,
    townEnv: townConfig.env_vars ?? {},
  };
}
