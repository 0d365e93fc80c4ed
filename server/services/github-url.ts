import { DomainError } from "../domain/errors";
import { loadAdapterConfig } from "../adapters/config";
import { parseRepoUrl, type RepoRef } from "../adapters/github/types";
import { repoRefusal } from "../adapters/github/tenancy";

// Rig URLs live on the GitHub web host of GITHUB_WEB_URL (default https://github.com, or a GitHub Enterprise
// host): <web>/<owner>/<repo>(.git). The parsing is the GitHub adapter's; this turns a refusal into a 4xx.

export function githubWebUrl(): string {
  return loadAdapterConfig().github.webUrl;
}

export function assertRigGitUrl(url: string, web = githubWebUrl()): RepoRef {
  const ref = parseRepoUrl(url, web);
  if (!ref) {
    throw new DomainError("bad_request", `The repository URL must look like ${web}/<owner>/<repo> (optionally ending in .git); got "${url}".`);
  }
  return ref;
}

/** The operator's allow-list (GASTOWN_ALLOWED_REPOS): a rig outside it is refused with the reason. */
export function assertRepoAllowed(url: string, config = loadAdapterConfig().github) {
  const refused = repoRefusal(config.allowedRepos ?? null, config.webUrl, url);
  if (refused) throw new DomainError("bad_request", `This server does not work on that repository: ${refused}.`);
}
