import { loadAdapterConfig, type AdapterConfig } from "../adapters/config";
import { resolveTownGitHubToken, type TownRef } from "../adapters/github/tenancy";

// Whether a town has a usable GitHub token, as people see it (the overview banner, the Settings notice).
// The same resolver the tick and the agent API use decides (SPEC.md §3 #11, §5 Tenants); the token itself
// never leaves the server, only where it comes from.

export interface GitHubAccess {
  /** a token will be used for this town's polls, merges, branches and agents */
  usable: boolean;
  /** `town`: its own (Settings); `shared`: the operator's GITHUB_TOKEN; null: none */
  source: "town" | "shared" | null;
  /** what to do about it, when not usable */
  message: string | null;
}

export function gitHubAccess(town: TownRef, townToken: unknown, github: AdapterConfig["github"] | null = operatorGitHubConfig()): GitHubAccess {
  if (!github) return { usable: false, source: null, message: "The server's GitHub configuration is invalid; ask the operator to check it." };
  const resolved = resolveTownGitHubToken(github, town, townToken);
  if (resolved.token !== null) return { usable: true, source: resolved.source, message: null };
  return { usable: false, source: null, message: resolved.message };
}

function operatorGitHubConfig(): AdapterConfig["github"] | null {
  try {
    return loadAdapterConfig().github;
  } catch {
    return null;
  }
}
