import { expect, signUp, test, uniqueEmail } from "./fixtures";
import { createTownWithRig } from "./db";

// The dashboard's pages are static shells (issue 15): the session is checked by proxy.ts (a cookie must be
// there) and by every tRPC call (it must be valid). These are the two ways in without a good session.

test("signed out, a town page leads to sign-in and back to that page; the shell holds nothing personal", async ({ page, browser, baseURL }) => {
  const { email, password } = await signUp(page, uniqueEmail("shell"));
  const { townId } = await createTownWithRig(page, "Shell Town");
  await expect(page.getByTestId("signed-in-as")).toHaveText(email);

  // The same document for another person and for the owner: it carries no address, town name or data.
  const asOwner = await page.request.get(`/towns/${townId}/beads`);
  expect(asOwner.status()).toBe(200);
  const html = await asOwner.text();
  expect(html).not.toContain(email);
  expect(html).not.toContain("Shell Town");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto(`/towns/${townId}/beads?status=open`);
  await expect(page).toHaveURL(new RegExp(`/sign-in\\?next=${encodeURIComponent(`/towns/${townId}/beads?status=open`).replace(/[?.]/g, "\\$&")}$`));
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/towns/${townId}/beads\\?status=open$`));
  await expect(page.getByTestId("signed-in-as")).toHaveText(email);

  // A cookie that is no longer a valid session passes proxy.ts, but the page's first call is refused: sign-in.
  const stranger = await browser.newContext();
  await stranger.addCookies([{ name: "better-auth.session_token", value: "not-a-session.forged", url: baseURL! }]);
  const p = await stranger.newPage();
  await p.goto(`/towns/${townId}`);
  await expect(p).toHaveURL(new RegExp(`/sign-in\\?next=${encodeURIComponent(`/towns/${townId}`)}$`));
  await stranger.close();
});

test("signing out goes to the plain sign-in page, even when the page's polls are refused first", async ({ page }) => {
  await signUp(page, uniqueEmail("out"));
  const { townId } = await createTownWithRig(page, "Out Town");
  await page.goto(`/towns/${townId}`);
  await expect(page.getByTestId("signed-in-as")).not.toBeEmpty();
  // The server ends the session at once, but the answer reaches the page 4 s later: meanwhile the overview's
  // polls (every 3 s) are refused as signed out.
  await page.route("**/api/auth/sign-out", async (route) => {
    const response = await route.fetch();
    await new Promise((r) => setTimeout(r, 4_000));
    await route.fulfill({ response });
  });
  const refused = page.waitForResponse((r) => r.url().includes("/api/trpc/") && r.status() === 401);
  await page.getByRole("button", { name: "Sign out" }).click();
  await refused;
  await expect(page).toHaveURL(/\/sign-in$/);
});
