import { loadAdapterConfig } from "../adapters/config";
import { createOctokitGitHub } from "../adapters/github/octokit";
import { repoRefusal, resolveTownGitHubToken } from "../adapters/github/tenancy";
import type { FeatureBranchCreator } from "./tools/define";

// The GitHub side of gt_sling_batch: creating the convoy's feature branch. Built once from the operator's
// config (GITHUB_API_URL / GITHUB_WEB_URL / GITHUB_TOKEN). The token comes from the one resolver the tick
// uses too: the town's own token, else the operator's only for the towns GASTOWN_SHARED_GITHUB_TOKEN allows
// (SPEC.md §3 #11, §5); a repository outside GASTOWN_ALLOWED_REPOS is never touched.
// A misconfigured environment means "no branch creation", never a failed sling.

let cached: FeatureBranchCreator | null | undefined;

export function defaultFeatureBranchCreator(): FeatureBranchCreator | null {
  if (cached !== undefined) return cached;
  try {
    const config = loadAdapterConfig();
    const github = createOctokitGitHub({ apiUrl: config.github.apiUrl, webUrl: config.github.webUrl });
    cached = {
      async createBranch({ town, townToken, repoUrl, branch, fromBranch }) {
        const refused = repoRefusal(config.github.allowedRepos ?? null, config.github.webUrl, repoUrl);
        if (refused) return { ok: false, reason: refused };
        const token = resolveTownGitHubToken(config.github, town, townToken).token;
        return github.createBranch({ token, repoUrl, branch, fromBranch });
      },
    };
  } catch {
    cached = null;
  }
  return cached;
}
