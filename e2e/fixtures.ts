import { test as base, expect, type Page } from "@playwright/test";

// Every spec fails on an uncaught page error or a console error: a page that "works" while throwing is broken.
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        // A 4xx from our API is a refusal the page shows to the person (validation, wrong password); the browser
        // still logs it. Anything else (a 5xx, a missing asset, a script error) fails the spec.
        const expectedRefusal = /status of 4\d\d/.test(msg.text()) && new URL(msg.location().url || "http://x/").pathname.startsWith("/api/");
        if (!expectedRefusal) errors.push(`console: ${msg.text()} (${msg.location().url})`);
      });
      await use(errors);
      expect(errors, "no console errors or page errors").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

let n = 0;
export function uniqueEmail(prefix = "e2e") {
  return `${prefix}-${Date.now().toString(36)}-${(n++).toString(36)}@example.test`;
}

export async function signUp(page: Page, email = uniqueEmail(), password = "correct-horse-battery") {
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("E2E Person");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  // The auth server allows 3 sign-ups per 10 s from one address; a spec that signs up two people right
  // after another spec may meet that limit: wait the window out and submit again.
  for (let attempt = 0; ; attempt++) {
    await page.getByRole("button", { name: "Sign up" }).click();
    const limited = page.getByText("Too many requests");
    await Promise.race([page.waitForURL(/\/towns$/, { timeout: 15_000 }), limited.waitFor({ timeout: 15_000 })]).catch(() => {});
    if (/\/towns$/.test(new URL(page.url()).pathname) || attempt >= 2 || !(await limited.isVisible())) break;
    await page.waitForTimeout(10_500);
  }
  await expect(page).toHaveURL(/\/towns$/);
  return { email, password };
}

/** Saves a screenshot as a test artifact (reports/, not committed). */
export async function snap(page: Page, name: string) {
  await page.screenshot({ path: `reports/screenshots/${name}.png`, fullPage: true });
}
