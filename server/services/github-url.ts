import { AppError } from "../api/errors";
import { loadAdapterConfig } from "../adapters/config";
import { parseRepoUrl, type RepoRef } from "../adapters/github/types";

// Rig URLs live on the GitHub web host of GITHUB_WEB_URL (default https://github.com, or a GitHub Enterprise
// host): <web>/<owner>/<repo>(.git). The parsing is the GitHub adapter's; this turns a refusal into a 4xx.

export function githubWebUrl(): string {
  return loadAdapterConfig().github.webUrl;
}

export function assertRigGitUrl(url: string, web = githubWebUrl()): RepoRef {
  const ref = parseRepoUrl(url, web);
  if (!ref) {
    throw new AppError("bad_request", `The repository URL must look like ${web}/<owner>/<repo> (optionally ending in .git); got "${url}".`);
  }
  return ref;
}
