import { expect, signUp, snap, test } from "./fixtures";
import { beadRow, createTownWithRig, forceTick, seedMr, setTownConfig, snapBoth } from "./db";

// The review queue as a member uses it (SPEC.md §4.1 /reviews, §3b hold): the auto-merge countdown ticks
// live; the dry run shows the next tick would merge a pending MR; after Hold it would not, and a forced tick
// does not merge it — the card says it is held.

test("hold an auto-merge: the countdown runs live, a held MR is not merged by the next tick", async ({ page, request }) => {
  test.setTimeout(90_000);
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Review Town");
  await setTownConfig(townId, { merge_strategy: "pr", refinery: { auto_merge: true, auto_merge_delay_minutes: 5 } });
  const polled = { last_poll_at: new Date().toISOString() };
  const pendingMr = await seedMr(townId, rigId, {
    title: "Add the billing page",
    status: "in_progress",
    prUrl: "https://github.com/acme/web/pull/11",
    readySince: new Date(Date.now() - 10 * 60_000),
    metadata: { ...polled, auto_merge_pending: true },
    createdAt: new Date(Date.now() - 60_000),
  });
  const timerMr = await seedMr(townId, rigId, {
    title: "Fix the flaky login test",
    status: "in_progress",
    prUrl: "https://github.com/acme/web/pull/12",
    readySince: new Date(Date.now() - 60_000),
    metadata: polled,
  });

  await page.goto(`/towns/${townId}/reviews`);
  const pendingCard = page.locator(`[data-mr-id="${pendingMr}"]`);
  const timerCard = page.locator(`[data-mr-id="${timerMr}"]`);
  await expect(pendingCard.getByTestId("auto-merge")).toContainText("Merging: the next tick merges it.");
  await expect(pendingCard.getByTestId("pr-link")).toHaveAttribute("href", "https://github.com/acme/web/pull/11");
  await expect(timerCard.getByTestId("auto-merge")).toContainText(/Ready since \d{1,2}:\d{2}.*→ merges at \d{1,2}:\d{2}/);
  const countdown = timerCard.getByTestId("countdown");
  await expect(countdown).toHaveText(/^in [34]:\d{2}$/);
  const first = await countdown.textContent();
  await expect(countdown).not.toHaveText(first!, { timeout: 5_000 }); // it ticks without a reload
  await snapBoth(page, "reviews", snap);

  // The dry run says the next tick would merge the pending one.
  await page.goto(`/towns/${townId}/ticks`);
  await page.getByRole("button", { name: "Dry run", exact: true }).click();
  await expect(page.getByTestId("dry-run-actions")).toContainText("merge_pr");
  await expect(page.getByTestId("dry-run-actions")).toContainText("auto-merge grace period elapsed");

  // Hold both.
  await page.goto(`/towns/${townId}/reviews`);
  await pendingCard.getByRole("button", { name: "Hold" }).click();
  await expect(pendingCard.getByTestId("auto-merge")).toContainText("Held — auto-merge is paused");
  await timerCard.getByRole("button", { name: "Hold" }).click();
  await expect(timerCard.getByTestId("auto-merge")).toContainText("Held");
  await expect(timerCard.getByTestId("countdown")).toHaveCount(0);
  await expect(pendingCard.getByRole("button", { name: "Merge now" })).toBeDisabled();
  await expect(pendingCard.getByRole("button", { name: "Merge now" })).toHaveAttribute("title", "Release the hold first.");
  await snap(page, "reviews-held");

  // Now the dry run would not merge, and a real tick does not.
  await page.goto(`/towns/${townId}/ticks`);
  await page.getByRole("button", { name: "Dry run", exact: true }).click();
  await expect(page.getByTestId("dry-run-result")).toBeVisible();
  await expect(page.getByTestId("dry-run-result")).not.toContainText("merge_pr");
  const tick = await forceTick(request, townId);
  expect(tick?.actionsByType.merge_pr ?? 0).toBe(0);
  const after = await beadRow(pendingMr);
  expect(after.status).toBe("in_progress");
  expect(after.labels).toContain("gt:held");
  expect(after.metadata.auto_merge_pending).toBeUndefined();

  await page.goto(`/towns/${townId}/reviews`);
  await expect(pendingCard.getByTestId("auto-merge")).toContainText("Held");

  // The hold is audited on the MR's timeline.
  await page.goto(`/towns/${townId}/beads/${pendingMr}`);
  await expect(page.getByTestId("timeline")).toContainText("gt:held");
  await expect(page.getByTestId("why-stuck")).toContainText("Held (gt:held)");

  // Release the second: its grace timer starts afresh at the next green poll.
  await page.goto(`/towns/${townId}/reviews`);
  await timerCard.getByRole("button", { name: "Release hold" }).click();
  await expect(timerCard.getByTestId("auto-merge")).toContainText("Waiting for the PR to be green");
  await expect(timerCard.getByRole("button", { name: "Hold" })).toBeVisible();

  // Fail it by hand (a reason is required), then retry the review from the Failed tab.
  await timerCard.getByRole("button", { name: "Fail…" }).click();
  await timerCard.getByLabel("Why does it fail?").fill("Wrong approach; redo it");
  await timerCard.getByRole("button", { name: "Fail merge request" }).click();
  await expect(timerCard).toHaveCount(0);
  await page.getByRole("button", { name: /^Failed/ }).click();
  await expect(timerCard.getByText("Wrong approach; redo it")).toBeVisible();
  await timerCard.getByRole("button", { name: "Retry review" }).click();
  await expect(timerCard).toHaveCount(0);
  await page.getByRole("button", { name: /^Queued/ }).click();
  await expect(timerCard).toContainText("review retries 1");
});
