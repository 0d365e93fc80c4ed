import { expect, signUp, snap, test } from "./fixtures";
import { beadRow, createTownWithRig, forceTick, seedAgent, seedBead, seedDependency, snapBoth, sql } from "./db";

// Beads as a member works them (SPEC.md §4.1 /beads and the bead page): sling with labels, filter by label,
// page through thousands with cursors, cancel, retry; and "why is this stuck?" in plain language — a failed
// blocker, dispatch backoff with the local time it is eligible again, the hooked agent and its heartbeat,
// a staged convoy, and the last tick decisions about the bead.

test("sling, filter, page, cancel, retry, and why a bead is stuck", async ({ page, request }) => {
  test.setTimeout(120_000);
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Bead Town");

  // 55 older beads, so the list has a second page.
  const old = Date.now() - 24 * 3600_000;
  for (let i = 0; i < 55; i++) await seedBead(townId, { rigId, title: `Filler ${i + 1}`, createdAt: new Date(old + i * 1000) });
  const blocker = await seedBead(townId, { rigId, title: "Set up the database", status: "failed", metadata: { failureMessage: "agent crashed" } });
  const blocked = await seedBead(townId, { rigId, title: "Build the schema" });
  await seedDependency(townId, blocked, blocker);
  const backingOff = await seedBead(townId, { rigId, title: "Write the migration", status: "in_progress", dispatchAttempts: 3, lastDispatchAttemptAt: new Date() });
  await seedAgent(townId, { rigId, name: "furiosa", role: "polecat", status: "working", hookBeadId: backingOff, lastActivityAt: new Date(Date.now() - 10_000) });

  await page.goto(`/towns/${townId}/beads`);
  await page.getByLabel("Title").fill("Make the login page accessible");
  await page.getByLabel("Labels").fill("ui, a11y");
  await page.getByRole("button", { name: "Sling bead" }).click();
  const table = page.getByTestId("bead-table");
  await expect(table).toContainText("Make the login page accessible");
  await snapBoth(page, "beads", snap);

  // Filter by label (jsonb containment on the server).
  await page.getByLabel("Label", { exact: true }).fill("a11y");
  await page.getByLabel("Label", { exact: true }).press("Enter");
  await expect(page).toHaveURL(/label=a11y/);
  await expect(table.getByTestId("bead-row")).toHaveCount(1);
  await page.getByLabel("Label", { exact: true }).fill("");
  await page.getByLabel("Label", { exact: true }).press("Enter");
  await expect(table.getByTestId("bead-row")).toHaveCount(50);

  // Cursor pages.
  await page.getByRole("button", { name: "Older →" }).click();
  await expect(page.getByText("Page 2")).toBeVisible();
  await expect(table.getByTestId("bead-row")).toHaveCount(9);
  await expect(table).toContainText("Filler 1");
  await page.getByRole("button", { name: "← Newer" }).click();
  await expect(table.getByTestId("bead-row")).toHaveCount(50);

  // A bead blocked by a failed one says so, and says what to do.
  await page.goto(`/towns/${townId}/beads/${blocked}`);
  const why = page.getByTestId("why-stuck");
  await expect(why).toContainText("Blocked by Set up the database, which failed — retry it or remove the dependency.");
  await snapBoth(page, "bead-detail", snap);
  await why.getByRole("link", { name: "Set up the database" }).click();
  await expect(page.getByTestId("bead-title")).toContainText("Set up the database");
  await page.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByTestId("bead-title")).toContainText("open");
  await expect(page.getByTestId("timeline")).toContainText("failed → open");
  await page.goto(`/towns/${townId}/beads/${blocked}`);
  await expect(page.getByTestId("why-stuck")).toContainText("Blocked by Set up the database, which is still open");

  // Backoff and the hooked agent, in words and local time.
  await page.goto(`/towns/${townId}/beads/${backingOff}`);
  await expect(page.getByTestId("why-stuck")).toContainText(/Attempt 3 of 5, eligible again at \d{1,2}:\d{2}/);
  await expect(page.getByTestId("why-stuck")).toContainText("furiosa (polecat) is hooked to it and working; last heartbeat");
  await snap(page, "bead-backoff");

  // Cancel it from the list (two steps), then retry it.
  await page.goto(`/towns/${townId}/beads?status=in_progress`);
  const row = page.locator(`[data-bead-id="${backingOff}"]`);
  await row.getByRole("button", { name: "Cancel" }).click();
  await row.getByRole("button", { name: "Confirm cancel" }).click();
  await expect.poll(async () => (await beadRow(backingOff)).status).toBe("failed");
  await page.goto(`/towns/${townId}/beads?status=failed`);
  await page.locator(`[data-bead-id="${backingOff}"]`).getByRole("button", { name: "Retry" }).click();
  await expect.poll(async () => (await beadRow(backingOff)).status).toBe("open");
  const [counters] = await sql<{ dispatch_attempts: number }>(`SELECT dispatch_attempts FROM beads WHERE bead_id = $1`, [backingOff]);
  expect(counters.dispatch_attempts).toBe(0);

  // After a tick the slung bead is still open: the page says why (the rig's polecats are all busy).
  await forceTick(request, townId);
  await page.goto(`/towns/${townId}/beads`);
  await page.getByTestId("bead-table").getByRole("link", { name: "Make the login page accessible" }).click();
  await expect(page.getByTestId("why-stuck")).toContainText("The rig is at its concurrency cap");
});
