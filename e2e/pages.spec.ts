import { expect, signUp, snap, test, uniqueEmail } from "./fixtures";
import { createTownWithRig, forceTick, seedAgent, seedBead, seedEscalation, seedEvent, seedMr, snapBoth } from "./db";

// The remaining pages doing their main job (SPEC.md §4.1): agents (role, status, hook, heartbeat, reset),
// escalations by severity with acknowledge, the towns list and overview; and a viewer who sees everything
// with every mutating control disabled and a reason.

test("agents, escalations, overview and towns list", async ({ page, request }) => {
  test.setTimeout(90_000);
  page.on("dialog", (d) => void d.accept());
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Tour Town");
  const hooked = await seedBead(townId, { rigId, title: "Refactor the auth module", status: "in_progress", dispatchAttempts: 1, lastDispatchAttemptAt: new Date() });
  await seedAgent(townId, { rigId, name: "nux", role: "polecat", status: "working", hookBeadId: hooked, lastActivityAt: new Date(Date.now() - 20_000), dispatchAttempts: 1 });
  await seedAgent(townId, { rigId, name: "refinery", role: "refinery", status: "idle" });
  await seedMr(townId, rigId, { title: "Review: tidy the README", status: "open" });
  await seedEscalation(townId, { title: "Polecat keeps crashing on install", severity: "critical", rigId, body: "npm install fails with EACCES." });
  await seedEscalation(townId, { title: "PR polling failed 10 times", severity: "high", rigId });
  await seedEscalation(townId, { title: "Slow CI", severity: "low" });
  await seedEvent(townId, { type: "bead_created", beadId: hooked, payload: { bead_type: "issue", rig_id: rigId } });
  await forceTick(request, townId);

  // Agents: role, status, hook, heartbeat; reset frees the agent and reopens its bead.
  await page.goto(`/towns/${townId}/agents`);
  const nux = page.locator('[data-agent="nux"]');
  await expect(nux).toContainText("polecat");
  await expect(nux).toContainText("Refactor the auth module");
  await expect(page.locator('[data-agent="mayor"]').getByRole("button", { name: "Stop" })).toHaveAttribute("title", "Nothing to stop: the agent is idle.");
  await snapBoth(page, "agents", snap);
  await nux.getByRole("button", { name: "Reset" }).click();
  await expect(nux).toContainText("idle");
  await expect(nux).not.toContainText("Refactor the auth module");

  // Escalations by severity; acknowledging one closes it.
  await page.goto(`/towns/${townId}/escalations`);
  await expect(page.getByTestId("severity-critical")).toContainText("Polecat keeps crashing on install");
  await expect(page.getByTestId("severity-high")).toContainText("PR polling failed 10 times");
  await expect(page.getByTestId("severity-low")).toContainText("Slow CI");
  await snapBoth(page, "escalations", snap);
  await page.getByTestId("severity-critical").getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByTestId("severity-critical")).toHaveCount(0);
  await page.getByRole("button", { name: "Acknowledged" }).click();
  await expect(page.getByTestId("severity-critical")).toContainText("Polecat keeps crashing on install");

  // The overview: counts, tick status, chart, activity.
  await page.goto(`/towns/${townId}`);
  await expect(page.getByTestId("status-counts")).toContainText("Escalations");
  await expect(page.getByTestId("tick-status")).toContainText("Last tick");
  await expect(page.getByTestId("breaker")).toHaveText("closed");
  await expect(page.getByTestId("tick-chart")).toBeVisible();
  await snapBoth(page, "town-overview", snap);

  await page.goto(`/towns/${townId}/rigs`);
  await expect(page.getByTestId("rig-table")).toContainText("web");
  await snapBoth(page, "rigs", snap);

  await page.goto("/towns");
  await expect(page.getByTestId("town-list")).toContainText("Tour Town");
  await snapBoth(page, "towns", snap);
});

test("a viewer sees the town read-only: every mutating control is disabled with a reason", async ({ page, browser }) => {
  test.setTimeout(90_000);
  const viewer = await (async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    const { email } = await signUp(p, uniqueEmail("viewer"));
    return { ctx, page: p, email };
  })();
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Shared Town");
  await seedMr(townId, rigId, { title: "Add dark mode", status: "in_progress", prUrl: "https://github.com/acme/web/pull/3", metadata: { last_poll_at: new Date().toISOString() } });
  await seedEvent(townId, { type: "convoy_started", payload: { convoy_id: 1 } });
  await page.goto(`/towns/${townId}/settings`);
  await page.getByLabel("Add a member by email").fill(viewer.email);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("members")).toContainText(viewer.email);
  await forceTick(page.request, townId);

  const v = viewer.page;
  const reason = "Viewers can look but not change anything in this town.";
  await v.goto(`/towns/${townId}`);
  await expect(v.getByTestId("viewer-note")).toBeVisible();
  await v.goto(`/towns/${townId}/beads`);
  await expect(v.getByRole("button", { name: "Sling bead" })).toBeDisabled();
  await v.goto(`/towns/${townId}/reviews`);
  await expect(v.getByRole("button", { name: "Hold" })).toBeDisabled();
  await expect(v.getByRole("button", { name: "Hold" })).toHaveAttribute("title", reason);
  await expect(v.getByRole("button", { name: "Merge now" })).toBeDisabled();
  await v.goto(`/towns/${townId}/poison`);
  await expect(v.getByRole("button", { name: "Requeue", exact: true })).toBeDisabled();
  await expect(v.getByRole("button", { name: "Edit payload" })).toHaveAttribute("title", reason);
  await expect(v.getByRole("button", { name: "Discard…" })).toBeDisabled();
  await v.goto(`/towns/${townId}/settings`);
  await expect(v.getByRole("button", { name: "Save settings" })).toHaveAttribute("title", "Only the town's owners can do this.");
  await expect(v.getByLabel("Code review", { exact: true })).toBeDisabled();
  await v.goto(`/towns/${townId}/ticks`);
  await expect(v.getByRole("button", { name: "Dry run", exact: true })).toBeDisabled();
  await snap(v, "viewer-ticks");
  await viewer.ctx.close();
});
