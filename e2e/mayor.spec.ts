import { expect, signUp, snap, test, uniqueEmail } from "./fixtures";
import { createTownWithRig, forceTick, setTownConfig, snapBoth, sql, trpcMutation } from "./db";

// The mayor you talk to (SPEC.md §4.4b): a person writes on the Mayor page; a tick starts the mayor (the
// scripted test agent in mayor mode, through the `local` runtime), which slings a bead and answers; the
// conversation shows the reply and the action line, whose link leads to the bead. And who may not write.

test("a person writes to the mayor: it slings a bead, answers, and the action links the bead", async ({ page, request }) => {
  test.setTimeout(120_000);
  await signUp(page);
  const { townId } = await createTownWithRig(page, "Mayor Town");
  await setTownConfig(townId, { agent_runtime: "test", env_vars: { TEST_AGENT_HEARTBEAT_MS: "300", TEST_AGENT_MAYOR_POLL_MS: "300", TEST_AGENT_MAYOR_IDLE_MS: "30000" } });
  await page.reload(); // the overview's mayor bar has read the status before the runtime was picked

  await page.getByRole("navigation", { name: "Town sections" }).getByRole("link", { name: "Mayor", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/towns/${townId}/mayor$`));
  await expect(page.getByText("Tell the mayor what to build…", { exact: true })).toBeVisible();
  await expect(page.getByTestId("mayor-status")).toHaveAttribute("data-mayor-status", "idle");

  const box = page.getByLabel("Message to the mayor");
  await expect(box).toBeEnabled();
  await box.fill("add a health check endpoint");
  // Shift+Enter is a new line, not a send
  await box.press("Shift+Enter");
  await expect(box).toHaveValue("add a health check endpoint\n");
  await expect(page.getByTestId("person-message")).toHaveCount(0);
  await box.press("Enter");
  await expect(box).toHaveValue("");
  const mine = page.getByTestId("person-message");
  await expect(mine).toHaveCount(1);
  await expect(mine).toContainText("add a health check endpoint");
  await expect(mine).not.toHaveAttribute("data-pending", "yes");
  // mail waits for the mayor and no tick has run yet: it is about to start
  await expect(page.getByTestId("mayor-status")).toHaveAttribute("data-mayor-status", "starting");
  await snap(page, "mayor-sent");

  // Ticks start the mayor; it reads its mail, slings, replies. The page polls: no reload.
  await expect(async () => {
    await forceTick(request, townId);
    await expect(page.getByTestId("mayor-reply")).toContainText("health check endpoint", { timeout: 2_000 });
  }).toPass({ timeout: 60_000, intervals: [500, 1_000, 2_000] });
  const action = page.getByTestId("mayor-action").filter({ hasText: "health check endpoint" });
  await expect(action).toHaveCount(1);
  await expect(page.getByTestId("mayor-status")).toHaveAttribute("data-mayor-status", /waiting|working/);
  await snapBoth(page, "mayor-conversation", snap);

  // the overview's mayor bar shows the last thing said and links the conversation
  await page.getByRole("navigation", { name: "Town sections" }).getByRole("link", { name: "Overview" }).click();
  const bar = page.getByTestId("mayor-bar");
  await expect(bar.getByTestId("mayor-last")).toContainText("health check endpoint");
  await snap(page, "mayor-overview-bar");
  await bar.getByRole("link", { name: /Open the conversation/ }).click();
  await expect(page).toHaveURL(new RegExp(`/towns/${townId}/mayor$`));

  // the action's link leads to the bead it made
  await page.getByTestId("mayor-action").filter({ hasText: "health check endpoint" }).getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/towns/${townId}/beads/[^/]+$`));
  await expect(page.getByTestId("bead-title")).toContainText("add a health check endpoint");

  // and a polecat works on it: a later tick hooks and dispatches one (B1), as for any open issue
  await expect(async () => {
    await forceTick(request, townId);
    await page.reload();
    await expect(page.getByTestId("timeline")).toContainText("hooked", { timeout: 2_000 });
  }).toPass({ timeout: 30_000, intervals: [500, 1_000, 2_000] });
  await expect(page.getByTestId("bead-title")).not.toContainText(/\bopen\b/);
});

test("the composer is disabled with a reason: for a viewer, and while no runtime is configured", async ({ page, browser }) => {
  test.setTimeout(90_000);
  const viewerCtx = await browser.newContext();
  const v = await viewerCtx.newPage();
  const { email: viewerEmail } = await signUp(v, uniqueEmail("mayor-viewer"));
  await signUp(page);
  const { townId } = await createTownWithRig(page, "Quiet Mayor Town");
  await trpcMutation(page, "town.addMember", { townId, email: viewerEmail, role: "viewer" });

  // The owner, in a town without a runtime: the composer says why it cannot write.
  await page.goto(`/towns/${townId}/mayor`);
  const blocked = page.getByTestId("mayor-composer").getByTestId("composer-blocked");
  await expect(blocked).toContainText("cannot start until an agent runtime is configured");
  await expect(page.getByLabel("Message to the mayor")).toBeDisabled();
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  // a message sent anyway (the server accepts it) shows, and the status says why the mayor does not start
  await trpcMutation(page, "mayor.sendMessage", { townId, message: "plan the billing page" });
  await page.reload(); // an idle mayor's conversation is polled slowly (15 s)
  await expect(page.getByTestId("person-message")).toContainText("plan the billing page");
  await expect(page.getByTestId("mayor-status")).toHaveAttribute("data-mayor-status", "blocked");
  await expect(page.getByTestId("mayor-status-panel")).toContainText("cannot start");
  await snap(page, "mayor-no-runtime");

  // The viewer reads the conversation but cannot write.
  await v.goto(`/towns/${townId}/mayor`);
  await expect(v.getByTestId("person-message")).toContainText("plan the billing page");
  await expect(v.getByTestId("composer-blocked")).toHaveText("Viewers can read the conversation but not write to the mayor.");
  await expect(v.getByLabel("Message to the mayor")).toBeDisabled();
  await expect(v.getByRole("button", { name: "Send" })).toBeDisabled();
  await expect(v.getByRole("button", { name: "Send" })).toHaveAttribute("title", "Viewers can read the conversation but not write to the mayor.");
  await v.goto(`/towns/${townId}`);
  await expect(v.getByTestId("mayor-bar").getByTestId("composer-blocked")).toBeVisible();
  await expect(v.getByTestId("mayor-bar").getByLabel("Message to the mayor")).toBeDisabled();
  await snap(v, "mayor-viewer-overview");
  await viewerCtx.close();
});

test("a long conversation opens at the newest line; earlier pages load above it", async ({ page }) => {
  await signUp(page);
  const { townId } = await createTownWithRig(page, "Chatty Town");
  // 70 lines: the newest page is 50, the earlier page the other 20
  await sql(
    `INSERT INTO mayor_messages (town_id, kind, text, author_name, created_at)
     SELECT $1, CASE WHEN i % 2 = 0 THEN 'person' ELSE 'mayor' END, 'line ' || i, CASE WHEN i % 2 = 0 THEN 'Ada' END, now() - make_interval(mins => 70 - i)
     FROM generate_series(1, 70) AS i ORDER BY i`,
    [townId],
  );
  await page.goto(`/towns/${townId}/mayor`);
  const list = page.getByTestId("mayor-conversation");
  await expect(list.getByText("line 70", { exact: true })).toBeInViewport();
  await expect(list.getByText("line 20", { exact: true })).toHaveCount(0);
  await list.getByRole("button", { name: "Load earlier messages" }).click();
  await expect(list.getByText("line 1", { exact: true })).toBeAttached();
  await expect(list.getByText("Start of the conversation")).toBeAttached();
  // the reader keeps their place (the top, where the button was): the earlier lines go above it, out of sight
  await expect(list.getByText("line 21", { exact: true })).toBeInViewport();
  await expect(list.getByText("line 1", { exact: true })).not.toBeInViewport();
  await expect(list.locator("li")).toHaveCount(70);
});
