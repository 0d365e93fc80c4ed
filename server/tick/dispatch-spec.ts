import type pg from "pg";
import type { AgentStartSpec } from "../adapters/agent-runtime/types";
import type { TownConfig } from "../domain/settings";
import type { DispatchResolution } from "../domain/state-actions";
import type { PgTownRepo } from "./pg-repo";
import { branchFor, buildPrompt } from "./prompt";
import type { TickDeps } from "./run-tick";

// The runtime start request of a dispatch (SPEC.md §4.4 env contract): which branch, which target, which PR
// a refinery reviews, the prompt, and a fresh agent token minted in the tick's state transaction.

/** Builds the runtime start request for a dispatch whose state part was just applied (token minted here). */
export async function dispatchSpec(
  deps: TickDeps,
  client: pg.PoolClient,
  repo: PgTownRepo,
  townId: string,
  townConfig: TownConfig,
  d: DispatchResolution,
  now: Date,
): Promise<AgentStartSpec> {
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
    gitToken: deps.resolveGitHubToken(townConfig.git_auth?.github_token),
    townEnv: townConfig.env_vars ?? {},
  };
}
