import { expect, signUp, snap, test } from "./fixtures";
import { beadRow, createTownWithRig, forceTick, seedMr, snapBoth } from "./db";

// Settings as an owner uses them (SPEC.md §4.1 /settings and the rig page): turning code_review off makes
// the next tick fast-track an open MR with a PR to polling (rule code_review_off), visible in the tick
// history and on the MR's "why" card; secrets are write-only; rig overrides show inherited vs overridden.

test("code_review off: the next tick fast-tracks an open MR with a PR; secrets stay masked; rig overrides", async ({ page, request }) => {
  test.setTimeout(90_000);
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Settings Town");
  const mrId = await seedMr(townId, rigId, { title: "Bump the router", status: "open", prUrl: "https://github.com/acme/web/pull/21", metadata: { last_poll_at: new Date().toISOString() } });

  await page.goto(`/towns/${townId}/settings`);
  const codeReview = page.getByLabel("Code review", { exact: true });
  await expect(codeReview).toBeChecked();
  await codeReview.uncheck();
  await page.getByLabel("Merge strategy").selectOption("pr");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByTestId("settings-saved")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Code review", { exact: true })).not.toBeChecked();

  // The GitHub token and env vars are write-only: after saving, only a mask is ever shown.
  await page.getByLabel("GitHub token").fill("ghp_e2eSecretToken123456");
  await page.getByRole("button", { name: "Save token" }).click();
  await expect(page.getByText("GitHub token saved.")).toBeVisible();
  await expect(page.getByText(/Set \(\*{4}3456\)/)).toBeVisible();
  await expect(page.getByLabel("GitHub token")).toHaveValue("");
  await page.getByLabel("Name", { exact: true }).fill("SERVICE_API_KEY");
  await page.getByLabel("Value", { exact: true }).fill("very-secret-value-9876");
  await page.getByRole("button", { name: "Add variable" }).click();
  await expect(page.getByTestId("env-vars")).toContainText("SERVICE_API_KEY");
  await expect(page.getByTestId("env-vars")).toContainText("****9876");
  await page.reload();
  await expect(page.getByTestId("env-vars")).toContainText("SERVICE_API_KEY");
  expect(await page.content()).not.toContain("very-secret-value");
  expect(await page.content()).not.toContain("ghp_e2eSecretToken");
  await snapBoth(page, "settings", snap);

  // The next tick skips the refinery: the MR goes straight to in_progress for polling.
  const tick = await forceTick(request, townId);
  expect(tick).not.toBeNull();
  expect((await beadRow(mrId)).status).toBe("in_progress");
  await page.goto(`/towns/${townId}/ticks`);
  const firstTick = page.getByTestId("tick-row").first();
  await firstTick.locator("summary").click();
  await expect(firstTick).toContainText("code_review_off");
  await expect(firstTick).toContainText("refinery code review disabled");
  await expect(page.getByTestId("tick-chart")).toBeVisible();

  // Replay of the last hour re-applies the window's events and lists the actions, changing nothing.
  await page.getByRole("button", { name: "Replay" }).click();
  await expect(page.getByTestId("replay-result")).toContainText(/Replayed \d+ events/);
  await expect(page.getByTestId("replay-result")).toContainText("Nothing was changed");
  await snapBoth(page, "ticks", snap);

  await page.goto(`/towns/${townId}/beads/${mrId}`);
  await expect(page.getByTestId("last-decisions")).toContainText("code_review_off");

  // The rig page shows code_review inherited (off, from the town); an override flips it for this rig.
  await page.goto(`/towns/${townId}/rigs`);
  await page.getByTestId("rig-table").getByRole("link", { name: "web", exact: true }).click();
  await expect(page.getByTestId("rig-title")).toHaveText("web");
  const row = page.getByTestId("setting-code_review");
  await expect(row).toContainText("off");
  await expect(row).toContainText("inherited from town");
  await page.getByLabel("Code review (refinery)").selectOption("true");
  await page.getByLabel("Max concurrent polecats").fill("2");
  await page.getByRole("button", { name: "Save rig settings" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(row).toContainText("overridden");
  await expect(row).toContainText("on");
  await expect(page.getByTestId("setting-max_concurrent_polecats")).toContainText("overridden");
  await expect(page.getByTestId("setting-merge_strategy")).toContainText("inherited from town");
  await snapBoth(page, "rig", snap);
  void rigId;
});
