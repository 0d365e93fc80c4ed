import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitGitHub, type GitGitHub } from "../testing/git-github";
import { assertBranchName, assertPlainGitUrl, commitsSince, gitEnv, mergeIntoTarget, prepareWorkspace, pushBranch, redactToken, writeAskpass } from "./workspace";

// The workspace steps with real git: clone and push over git's HTTP protocol from a loopback server that
// demands the token (so GIT_ASKPASS really carries it), and checks that the token is in no file of the
// checkout, no remote URL and no logged line.

let github: GitGitHub;
let gitUrl: string;
const dirs: string[] = [];

function tempDir(prefix: string) {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

/** An env like the local runtime's: HOME with a credential helper that WOULD store whatever it is given. */
function agentEnv(): NodeJS.ProcessEnv {
  const home = tempDir("gt-ws-home-");
  writeFileSync(path.join(home, ".gitconfig"), "[credential]\n\thelper = store\n");
  return { PATH: process.env.PATH, HOME: home, GASTOWN_GIT_TOKEN: github.token } as unknown as NodeJS.ProcessEnv;
}

beforeAll(async () => {
  github = await startGitGitHub();
  gitUrl = github.addRepo("acme", "tools", { "README.md": "# tools\n", "src/a.txt": "a\n" });
});

afterAll(async () => {
  await github.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("prepareWorkspace", () => {
  it("clones with the token through GIT_ASKPASS only: not in .git/config, the remote URL, any file, or the log", async () => {
    const workDir = tempDir("gt-ws-");
    const env = agentEnv();
    const lines: string[] = [];
    const ws = await prepareWorkspace({ workDir, gitUrl, token: github.token, env, log: (l) => lines.push(l), mode: "work", branch: "gt/new-thing/1234", targetBranch: "main" });

    expect(ws.continued).toBe(false);
    expect(readFileSync(path.join(ws.repoDir, "src/a.txt"), "utf8")).toBe("a\n");
    const remote = execFileSync("git", ["remote", "get-url", "origin"], { cwd: ws.repoDir, encoding: "utf8" }).trim();
    expect(remote).toBe(gitUrl);
    for (const file of allFiles(workDir)) expect(readFileSync(file, "latin1").includes(github.token), file).toBe(false);
    expect(existsSync(path.join(env.HOME!, ".git-credentials"))).toBe(false); // the helper never saw it
    expect(lines.join("\n")).not.toContain(github.token);
    expect(lines.join("\n")).toContain("$ git clone --no-checkout");

    // Commit, push: the branch exists on the remote; pushing authenticated the same way.
    writeFileSync(path.join(ws.repoDir, "new.txt"), "new\n");
    execFileSync("git", ["add", "new.txt"], { cwd: ws.repoDir });
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "new"], { cwd: ws.repoDir });
    expect(await commitsSince(ws)).toHaveLength(1);
    await pushBranch(ws);
    expect(github.readFile("acme", "tools", "gt/new-thing/1234", "new.txt")).toBe("new\n");
    expect(existsSync(path.join(env.HOME!, ".git-credentials"))).toBe(false);
  });

  it("continues a branch that exists on the remote (rework, redispatch) and drops leftovers of an earlier run", async () => {
    const workDir = tempDir("gt-ws-");
    const env = agentEnv();
    const first = await prepareWorkspace({ workDir, gitUrl, token: github.token, env, log: () => {}, mode: "work", branch: "gt/continued/1", targetBranch: "main" });
    writeFileSync(path.join(first.repoDir, "work.txt"), "v1\n");
    execFileSync("git", ["add", "work.txt"], { cwd: first.repoDir });
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1"], { cwd: first.repoDir });
    await pushBranch(first);
    writeFileSync(path.join(first.repoDir, "junk.txt"), "left behind\n");

    const again = await prepareWorkspace({ workDir, gitUrl, token: github.token, env, log: () => {}, mode: "work", branch: "gt/continued/1", targetBranch: "main" });
    expect(again.continued).toBe(true);
    expect(readFileSync(path.join(again.repoDir, "work.txt"), "utf8")).toBe("v1\n");
    expect(existsSync(path.join(again.repoDir, "junk.txt"))).toBe(false);
    expect(await commitsSince(again)).toHaveLength(0);
  });

  it("a refinery's review needs the branch on the remote; its --no-ff merge lands it on the target", async () => {
    const workDir = tempDir("gt-ws-");
    await expect(prepareWorkspace({ workDir, gitUrl, token: github.token, env: agentEnv(), log: () => {}, mode: "review", branch: "gt/missing/1", targetBranch: "main" })).rejects.toThrow(/does not exist/);

    const author = await prepareWorkspace({ workDir: tempDir("gt-ws-"), gitUrl, token: github.token, env: agentEnv(), log: () => {}, mode: "work", branch: "gt/to-merge/1", targetBranch: "main" });
    writeFileSync(path.join(author.repoDir, "merged.txt"), "m\n");
    execFileSync("git", ["add", "merged.txt"], { cwd: author.repoDir });
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "m"], { cwd: author.repoDir });
    await pushBranch(author);

    const reviewer = await prepareWorkspace({ workDir, gitUrl, token: github.token, env: agentEnv(), log: () => {}, mode: "review", branch: "gt/to-merge/1", targetBranch: "main" });
    const sha = await mergeIntoTarget(reviewer, "Merge gt/to-merge/1");
    expect(github.branches("acme", "tools").main).toBe(sha);
    expect(github.readFile("acme", "tools", "main", "merged.txt")).toBe("m\n");
    const parents = execFileSync("git", ["rev-list", "--parents", "-n1", sha], { cwd: reviewer.repoDir, encoding: "utf8" }).trim().split(" ");
    expect(parents).toHaveLength(3); // a merge commit (--no-ff), not a fast-forward
  });

  it("a wrong token fails the clone quickly (no prompt) and the error does not echo it", async () => {
    const wrong = "ghp_wrong_token_abcdefghijklmnop";
    const lines: string[] = [];
    const error = await prepareWorkspace({ workDir: tempDir("gt-ws-"), gitUrl, token: wrong, env: agentEnv(), log: (l) => lines.push(l), mode: "work", branch: "gt/x/1", targetBranch: "main" }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(wrong);
    expect(lines.join("\n")).not.toContain(wrong);
  });
});

describe("workspace guards", () => {
  it("refuses git URLs with credentials and branch names git could misread", () => {
    expect(() => assertPlainGitUrl("https://x-access-token:abc@github.com/a/b")).toThrow(/credentials/);
    expect(() => assertPlainGitUrl("ssh://git@github.com/a/b")).toThrow(/https/);
    expect(() => assertPlainGitUrl("https://github.com/a/b")).not.toThrow();
    for (const bad of ["-x", "a..b", "a b", "a/", "x.lock", "a@{1}"]) expect(() => assertBranchName(bad), bad).toThrow();
    expect(() => assertBranchName("convoy/x/1234/gt/y/5678")).not.toThrow();
  });

  it("the askpass script holds no secret and answers from its env; only network git calls get the token", () => {
    const runDir = tempDir("gt-ask-");
    const script = writeAskpass(runDir);
    expect(readFileSync(script, "utf8")).not.toMatch(/ghp_/);
    const ask = (prompt: string) => execFileSync(script, [prompt], { env: { GASTOWN_ASKPASS_TOKEN: "ghp_secret_value" } as unknown as NodeJS.ProcessEnv, encoding: "utf8" }).trim();
    expect(ask("Username for 'https://github.com': ")).toBe("x-access-token");
    expect(ask("Password for 'https://x-access-token@github.com': ")).toBe("ghp_secret_value");

    const base = { env: { PATH: "/usr/bin", GASTOWN_GIT_TOKEN: "ghp_secret_value", GASTOWN_AGENT_TOKEN: "agent" } as unknown as NodeJS.ProcessEnv, token: "ghp_secret_value", runDir };
    const local = gitEnv(base, false);
    expect(Object.values(local)).not.toContain("ghp_secret_value");
    expect(local.GIT_ASKPASS).toBeUndefined();
    expect(local.GIT_TERMINAL_PROMPT).toBe("0");
    const network = gitEnv(base, true);
    expect(network.GIT_ASKPASS).toBe(script);
    expect(network.GASTOWN_GIT_TOKEN).toBeUndefined();
    expect(network.GASTOWN_AGENT_TOKEN).toBeUndefined();
    expect(redactToken("x ghp_secret_value y", "ghp_secret_value")).toBe("x [redacted] y");
  });
});
