import { AppError } from "../api/errors";

// Rig URLs live on the GitHub web host of GITHUB_WEB_URL (default https://github.com, or a GitHub Enterprise
// host): <web>/<owner>/<repo>(.git). Anything else is refused with a message that says what we expect.

const NAME = /^[A-Za-z0-9_.-]+$/;

export function githubWebUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.GITHUB_WEB_URL ?? "https://github.com").replace(/\/+$/, "");
}

export type RepoRef = { owner: string; repo: string };

/** Parses a rig git URL; null when it is not `<web>/<owner>/<repo>(.git)`. */
export function parseRigGitUrl(url: string, web = githubWebUrl()): RepoRef | null {
  let u: URL;
  let base: URL;
  try {
    u = new URL(url.trim());
    base = new URL(web);
  } catch {
    return null;
  }
  if (u.protocol !== base.protocol || u.host !== base.host || u.search || u.hash || u.username || u.password) return null;
  const basePath = base.pathname.replace(/\/+$/, "");
  if (!u.pathname.startsWith(basePath + "/")) return null;
  const parts = u.pathname.slice(basePath.length + 1).replace(/\/+$/, "").split("/");
  if (parts.length !== 2) return null;
  const owner = parts[0];
  const repo = parts[1].replace(/\.git$/, "");
  if (!NAME.test(owner) || !NAME.test(repo) || repo === "." || repo === "..") return null;
  return { owner, repo };
}

export function assertRigGitUrl(url: string, web = githubWebUrl()): RepoRef {
  const ref = parseRigGitUrl(url, web);
  if (!ref) {
    throw new AppError("bad_request", `The repository URL must look like ${web}/<owner>/<repo> (optionally ending in .git); got "${url}".`);
  }
  return ref;
}
