import { expect, signUp, snap, test } from "./fixtures";
import { createTownWithRig, forceTick, setTownConfig, trpcMutation } from "./db";

// A real local agent process (scripts/test-agent.mjs through the `local` runtime of the server under test):
// dispatched by a tick, heartbeating back through the agent API, its log tail on the Agents page, and Stop
// ending the process — after which the next tick sees the agent idle.

test("a local agent runs: its log tail shows on the Agents page, and Stop ends it", async ({ page, request }) => {
  test.setTimeout(90_000);
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Runtime Town");
  await setTownConfig(townId, { agent_runtime: "test", env_vars: { TEST_AGENT_MODE: "hang", TEST_AGENT_HEARTBEAT_MS: "500" } });
  await trpcMutation(page, "bead.sling", { townId, rigId, title: "Keep working until stopped" });
  const tick = await forceTick(request, townId);
  expect(tick?.actionsByType.dispatch_agent).toBe(1);

  await page.goto(`/towns/${townId}/agents`);
  const row = page.locator('[data-testid="agent-row"]').filter({ hasText: "polecat" });
  await expect(row).toContainText("working");
  await row.getByRole("button", { name: "Log" }).click();
  await expect(page.getByTestId("agent-log")).toContainText("test-agent", { timeout: 20_000 });
  await snap(page, "agents-log");

  await row.getByRole("button", { name: "Stop" }).click();
  // The process exits on SIGTERM; its exit becomes agent_completed, which the next tick applies.
  await expect(async () => {
    await forceTick(request, townId);
    await page.reload();
    await expect(page.locator('[data-testid="agent-row"]').filter({ hasText: "polecat" })).toContainText("idle", { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
});
