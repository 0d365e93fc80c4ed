import { describe, expect, it } from "vitest";
import { runtimeStatus } from "./overview";

describe("runtime status on the overview", () => {
  it("says plainly when no runtime is configured", () => {
    expect(runtimeStatus(null, [])).toMatchObject({ configured: false, message: expect.stringContaining("No agent runtime configured") });
  });
  it("uses the operator's default when the town picked none", () => {
    expect(runtimeStatus(null, [{ name: "default" }])).toEqual({ selected: null, configured: true, message: null });
  });
  it("flags a selection the operator removed", () => {
    expect(runtimeStatus("claude", [{ name: "test" }])).toMatchObject({ configured: false, message: expect.stringContaining('"claude" is not configured') });
  });
  it("is fine with a known selection", () => {
    expect(runtimeStatus("test", [{ name: "test" }]).configured).toBe(true);
  });
});
