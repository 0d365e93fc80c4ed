import { expect, signUp, test, uniqueEmail } from "./fixtures";

// Credentials never travel in a URL (issue 13). The app is opened on 127.0.0.1 (playwright.config.ts), the
// address people type instead of localhost. Before hydration (here: JavaScript off) the sign-up form is a
// plain HTML form; it must POST, so the password never lands in the URL, the history or a server log.

test("submitting the sign-up form before hydration never puts the password in a URL", async ({ browser, baseURL }) => {
  expect(new URL(baseURL!).hostname).toBe("127.0.0.1");
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  const password = "pre-hydration-secret-42";
  const urls: string[] = [];
  const methods: string[] = [];
  page.on("request", (req) => {
    urls.push(req.url());
    if (new URL(req.url()).pathname === "/sign-up") methods.push(req.method());
  });
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("No Script");
  await page.getByLabel("Email").fill(uniqueEmail("noscript"));
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForRequest((req) => new URL(req.url()).pathname === "/sign-up" && req.method() !== "GET"), page.getByRole("button", { name: "Sign up" }).click()]);
  await page.waitForLoadState();
  expect(methods).toContain("POST");
  for (const url of [...urls, page.url()]) {
    expect(url).not.toContain(password);
    expect(url).not.toContain("password=");
  }
  await context.close();
});

test("sign-up works normally on 127.0.0.1", async ({ page }) => {
  const { email } = await signUp(page);
  expect(new URL(page.url()).hostname).toBe("127.0.0.1");
  expect(page.url()).not.toContain("password");
  await expect(page.getByText(email).or(page.getByRole("heading", { name: /towns/i })).first()).toBeVisible();
});

test("the real server limits sign-in per TCP peer: a new spoofed X-Forwarded-For each time does not help", async ({ request, baseURL }) => {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await request.post("/api/auth/sign-in/email", {
      headers: { origin: baseURL!, "x-forwarded-for": `203.0.113.${i + 1}` },
      data: { email: "nobody-here@example.test", password: "wrong-password-1" },
    });
    statuses.push(res.status());
  }
  expect(statuses).toEqual([401, 401, 401, 429]);
  await new Promise((resolve) => setTimeout(resolve, 10_500)); // leave the 10 s window clean for later specs
});
