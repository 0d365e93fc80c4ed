import { loadAdapterConfig } from "../adapters/config";
import { createOctokitGitHub } from "../adapters/github/octokit";
import type { FeatureBranchCreator } from "./tools/define";

// The GitHub side of gt_sling_batch: creating the convoy's feature branch. Built once from the operator's
// config (GITHUB_API_URL / GITHUB_WEB_URL / GITHUB_TOKEN); the town's own token wins (SPEC.md §3 #11).
// A misconfigured environment means "no branch creation", never a failed sling.

let cached: FeatureBranchCreator | null | undefined;

export function defaultFeatureBranchCreator(): FeatureBranchCreator | null {
  if (cached !== undefined) return cached;
  try {
    const config = loadAdapterConfig();
    const github = createOctokitGitHub({ apiUrl: config.github.apiUrl, webUrl: config.github.webUrl });
    cached = {
      createBranch: ({ townToken, repoUrl, branch, fromBranch }) =>
        github.createBranch({ token: townToken ?? config.github.token ?? null, repoUrl, branch, fromBranch }),
    };
  } catch {
    cached = null;
  }
  return cached;
}
