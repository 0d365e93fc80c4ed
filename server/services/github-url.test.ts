import { describe, expect, it } from "vitest";
import { parseRigGitUrl } from "./github-url";

describe("parseRigGitUrl", () => {
  it("reads owner and repo from a github.com URL, with or without .git", () => {
    expect(parseRigGitUrl("https://github.com/acme/widgets")).toEqual({ owner: "acme", repo: "widgets" });
    expect(parseRigGitUrl("https://github.com/acme/widgets.git")).toEqual({ owner: "acme", repo: "widgets" });
    expect(parseRigGitUrl("https://github.com/acme/widgets/")).toEqual({ owner: "acme", repo: "widgets" });
  });

  it("accepts the configured GitHub Enterprise web host and refuses github.com there", () => {
    const web = "https://ghe.example.test";
    expect(parseRigGitUrl("https://ghe.example.test/team/app.git", web)).toEqual({ owner: "team", repo: "app" });
    expect(parseRigGitUrl("https://github.com/team/app", web)).toBeNull();
  });

  it.each([
    "http://github.com/acme/widgets",
    "https://github.com.evil.test/acme/widgets",
    "https://user:pw@github.com/acme/widgets",
    "https://github.com/acme",
    "https://github.com/acme/widgets/pull/1",
    "https://github.com/acme/widgets#readme",
    "https://github.com/acme/..",
    "git@github.com:acme/widgets.git",
    "",
  ])("refuses %s", (url) => {
    expect(parseRigGitUrl(url)).toBeNull();
  });
});
