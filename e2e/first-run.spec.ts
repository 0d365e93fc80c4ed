import { expect, signUp, snap, test } from "./fixtures";

test("a new person signs up, creates a town, adds a rig, creates a bead and sees it listed", async ({ page }) => {
  const { email, password } = await signUp(page);
  await expect(page.getByText("No towns yet")).toBeVisible();
  await snap(page, "towns-empty");

  await page.getByLabel("Town name").fill("E2E Town");
  await page.getByRole("button", { name: "Create town" }).click();
  await expect(page.getByTestId("town-name")).toHaveText("E2E Town");
  await expect(page.getByText("This town has no rigs yet")).toBeVisible();
  await snap(page, "town-overview");

  await page.getByRole("link", { name: "Rigs", exact: true }).click();
  await page.getByLabel("Name", { exact: true }).fill("web");
  await page.getByLabel("GitHub repository URL").fill("https://gitlab.com/acme/web");
  await page.getByRole("button", { name: "Add rig" }).click();
  await expect(page.getByText("The repository URL must look like https://github.com/<owner>/<repo>")).toBeVisible();
  await page.getByLabel("GitHub repository URL").fill("https://github.com/acme/web.git");
  await page.getByRole("button", { name: "Add rig" }).click();
  await expect(page.getByTestId("rig-table")).toContainText("https://github.com/acme/web.git");
  await snap(page, "rigs");

  await page.getByRole("link", { name: "Beads", exact: true }).click();
  await page.getByLabel("Title").fill("Make the login page accessible");
  await page.getByLabel("Labels").fill("ui, a11y");
  await page.getByRole("button", { name: "Sling bead" }).click();
  const table = page.getByTestId("bead-table");
  await expect(table).toContainText("Make the login page accessible");
  await expect(table).toContainText("a11y");
  await snap(page, "beads");

  await table.getByRole("link", { name: "Make the login page accessible" }).click();
  await expect(page.getByTestId("bead-title")).toContainText("Make the login page accessible");
  await expect(page.getByTestId("timeline")).toContainText("created");
  await snap(page, "bead-detail");

  // Signing out and in again keeps everything (sessions live in the database).
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("town-list")).toContainText("E2E Town");
});

test("a wrong password is refused with a message, and pages need a session", async ({ page }) => {
  await page.goto("/towns");
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.getByLabel("Email").fill("nobody@example.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText(/invalid email or password/i)).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
});
