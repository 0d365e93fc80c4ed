import { expect, signUp, snap, test } from "./fixtures";
import { createTownWithRig, snapBoth } from "./db";

// Convoys as a member creates and drives them (SPEC.md §4.1 /convoys): tasks with dependencies by task
// number; a cycle is refused with the server's message; the detail page shows progress and the tracked
// beads; a staged convoy is started; a convoy is closed.

test("create a convoy with dependencies, refuse a cycle, start a staged one, close it", async ({ page }) => {
  test.setTimeout(90_000);
  await signUp(page);
  const { townId } = await createTownWithRig(page, "Convoy Town");
  await page.goto(`/towns/${townId}/convoys`);
  await expect(page.getByText("No convoys here")).toBeVisible();

  // A cycle (1 waits for 2, 2 waits for 1) is refused with a clear message, and nothing is created.
  await page.getByLabel("Convoy title").fill("Circular");
  await page.getByLabel("Task 1 title").fill("Chicken");
  await page.getByLabel("Task 2 title").fill("Egg");
  await page.getByLabel("Task 1 depends on").fill("2");
  await page.getByLabel("Task 2 depends on").fill("1");
  await page.getByRole("button", { name: "Create convoy" }).click();
  await expect(page.getByTestId("convoy-error")).toContainText("contains a cycle");
  await expect(page.getByTestId("convoy-error")).toContainText("tasks 1, 2");
  await page.getByLabel("Task 2 depends on").fill("3");
  await page.getByRole("button", { name: "Create convoy" }).click();
  await expect(page.getByTestId("convoy-error")).toContainText("“3” is not a task number (1 to 2)");
  await snap(page, "convoy-cycle");

  // A chain of three, staged.
  await page.getByLabel("Convoy title").fill("Checkout revamp");
  await page.getByLabel("Task 1 title").fill("Design the cart API");
  await page.getByLabel("Task 1 depends on").fill("");
  await page.getByLabel("Task 2 title").fill("Build the cart page");
  await page.getByLabel("Task 2 depends on").fill("1");
  await page.getByRole("button", { name: "Add a task" }).click();
  await page.getByLabel("Task 3 title").fill("Wire up payments");
  await page.getByLabel("Task 3 depends on").fill("1, 2");
  await page.getByLabel("Start").selectOption("staged");
  await page.getByRole("button", { name: "Create convoy" }).click();

  await expect(page.getByTestId("convoy-title")).toContainText("Checkout revamp");
  await expect(page.getByTestId("staged")).toBeVisible();
  const beads = page.getByTestId("convoy-beads");
  await expect(beads.locator("tbody tr")).toHaveCount(3);
  await expect(beads.locator("tbody tr").nth(2)).toContainText("#1, #2");
  await expect(page.getByTestId("convoy-progress")).toContainText("0/3");
  await snapBoth(page, "convoy-detail", snap);

  // A staged task says why it waits.
  await beads.getByRole("link", { name: "Design the cart API" }).click();
  await expect(page.getByTestId("why-stuck")).toContainText("Part of the staged convoy Checkout revamp");
  await page.goBack();

  await page.getByRole("button", { name: "Start convoy" }).click();
  await expect(page.getByTestId("staged")).toHaveCount(0);
  await page.getByRole("button", { name: "Close…" }).click();
  await page.getByLabel("Reason (optional)").fill("Descoped");
  await page.getByRole("button", { name: "Close convoy" }).click();
  await expect(page.getByTestId("convoy-title")).toContainText("closed");
  await expect(page.getByTestId("convoy-progress")).toContainText("3/3");

  await page.getByRole("link", { name: "← Convoys" }).click();
  await page.getByRole("button", { name: "All" }).click();
  await expect(page.getByTestId("convoy-table")).toContainText("Checkout revamp");
  await snapBoth(page, "convoys", snap);
});
