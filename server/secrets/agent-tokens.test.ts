import { describe, expect, it } from "vitest";
import { bearerToken, hashAgentToken } from "./agent-tokens";

describe("bearerToken", () => {
  it("takes the token of a Bearer header, any case, or a bare token", () => {
    expect(bearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerToken("bearer   abc")).toBe("abc");
    expect(bearerToken("abc.def.ghi")).toBe("abc.def.ghi");
  });

  it("finds none in an empty header or another scheme", () => {
    expect(bearerToken(null)).toBeNull();
    expect(bearerToken("")).toBeNull();
    expect(bearerToken("Bearer")).toBeNull();
    expect(bearerToken("Basic dXNlcjpwYXNz")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
  });
});

describe("hashAgentToken", () => {
  it("is the hex SHA-256 of the token", () => {
    expect(hashAgentToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
