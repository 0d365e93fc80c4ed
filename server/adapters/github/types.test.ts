import { describe, expect, it } from "vitest";
import {
  GitHubUrlError,
  graphqlUrlFor,
  isMethodNotAllowedMessage,
  parsePrUrl,
  parsePrUrlOrThrow,
  parseRepoUrl,
  parseRepoUrlOrThrow,
  samePrRepo,
} from "./types";

const WEB = "https://github.com";
const GHE_WEB = "https://git.example.com";

describe("parseRepoUrl", () => {
  it("accepts <web>/<owner>/<repo> with or without .git", () => {
    expect(parseRepoUrl("https://github.com/acme/widgets", WEB)).toEqual({ owner: "acme", repo: "widgets" });
    expect(parseRepoUrl("https://github.com/acme/widgets.git", WEB)).toEqual({ owner: "acme", repo: "widgets" });
    expect(parseRepoUrl("https://github.com/acme/my.repo_x-1/", WEB)).toEqual({ owner: "acme", repo: "my.repo_x-1" });
  });

  it("accepts the same shape on an Enterprise web host", () => {
    expect(parseRepoUrl("https://git.example.com/team/app.git", GHE_WEB)).toEqual({ owner: "team", repo: "app" });
  });

  it.each([
    ["another host", "https://gitlab.com/acme/widgets"],
    ["plain http", "http://github.com/acme/widgets"],
    ["ssh form", "git@github.com:acme/widgets.git"],
    ["a PR URL", "https://github.com/acme/widgets/pull/3"],
    ["owner only", "https://github.com/acme"],
    ["credentials", "https://user:pw@github.com/acme/widgets"],
    ["a query", "https://github.com/acme/widgets?tab=readme"],
    ["dot-dot repo", "https://github.com/acme/.."],
    ["bad owner", "https://github.com/-acme/widgets"],
    ["not a URL", "widgets"],
  ])("refuses %s", (_label, url) => {
    expect(parseRepoUrl(url, WEB)).toBeNull();
  });

  it("throws a clear message in the OrThrow variant", () => {
    expect(() => parseRepoUrlOrThrow("https://gitlab.com/a/b", WEB)).toThrow(GitHubUrlError);
    expect(() => parseRepoUrlOrThrow("https://gitlab.com/a/b", WEB)).toThrow(/https:\/\/github.com\/<owner>\/<repo>/);
  });
});

describe("parsePrUrl", () => {
  it("accepts <web>/<owner>/<repo>/pull/<n>", () => {
    expect(parsePrUrl("https://github.com/acme/widgets/pull/42", WEB)).toEqual({ owner: "acme", repo: "widgets", number: 42 });
    expect(parsePrUrl("https://github.com/acme/widgets/pull/42/", WEB)).toEqual({ owner: "acme", repo: "widgets", number: 42 });
  });

  it.each([
    ["the git push 'create PR' link", "https://github.com/acme/widgets/pull/new/feature-x"],
    ["http on a https web host", "http://github.com/acme/widgets/pull/1"],
    ["another host", "https://evil.example.com/acme/widgets/pull/1"],
    ["the API host", "https://api.github.com/repos/acme/widgets/pulls/1"],
    ["an issue URL", "https://github.com/acme/widgets/issues/1"],
    ["a sub page", "https://github.com/acme/widgets/pull/1/files"],
    ["number zero", "https://github.com/acme/widgets/pull/0"],
    ["a fragment", "https://github.com/acme/widgets/pull/1#discussion"],
    ["a .git repo segment", "https://github.com/acme/widgets.git/pull/1"],
  ])("refuses %s", (_label, url) => {
    expect(parsePrUrl(url, WEB)).toBeNull();
  });

  it("throws a clear message in the OrThrow variant", () => {
    expect(() => parsePrUrlOrThrow("https://github.com/acme/widgets/pull/new/x", WEB)).toThrow(/pull\/<number>/);
  });
});

describe("samePrRepo", () => {
  it("is true for a PR of the rig's repository (case-insensitive, .git ignored)", () => {
    expect(samePrRepo("https://github.com/Acme/Widgets.git", "https://github.com/acme/widgets/pull/7", WEB)).toBe(true);
  });

  it("refuses a PR of another repository or owner", () => {
    expect(samePrRepo("https://github.com/acme/widgets", "https://github.com/acme/gadgets/pull/7", WEB)).toBe(false);
    expect(samePrRepo("https://github.com/acme/widgets", "https://github.com/other/widgets/pull/7", WEB)).toBe(false);
  });

  it("refuses when either URL is not on the web host", () => {
    expect(samePrRepo("https://github.com/acme/widgets", "https://evil.example.com/acme/widgets/pull/7", WEB)).toBe(false);
    expect(samePrRepo("https://gitlab.com/acme/widgets", "https://github.com/acme/widgets/pull/7", WEB)).toBe(false);
  });
});

describe("graphqlUrlFor", () => {
  it("appends /graphql to api.github.com", () => {
    expect(graphqlUrlFor("https://api.github.com")).toBe("https://api.github.com/graphql");
    expect(graphqlUrlFor("https://api.github.com/")).toBe("https://api.github.com/graphql");
  });

  it("maps GitHub Enterprise /api/v3 to /api/graphql", () => {
    expect(graphqlUrlFor("https://git.example.com/api/v3")).toBe("https://git.example.com/api/graphql");
    expect(graphqlUrlFor("https://git.example.com/api/v3/")).toBe("https://git.example.com/api/graphql");
  });
});

describe("isMethodNotAllowedMessage", () => {
  it("recognises GitHub's disabled-method wording and nothing else", () => {
    expect(isMethodNotAllowedMessage("Squash merges are not allowed on this repository.")).toBe(true);
    expect(isMethodNotAllowedMessage("Pull Request is not mergeable")).toBe(false);
    expect(isMethodNotAllowedMessage("Required status check \"ci\" is expected.")).toBe(false);
  });
});
