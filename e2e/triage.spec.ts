import { expect, signUp, snap, test } from "./fixtures";
import { beadRow, createTownWithRig, seedAgent, seedBead, snapBoth } from "./db";

// Triage as a member meets it (DOMAIN.md §5.4): a triage request about a stuck polecat (the one GUPP's
// force stop leaves; its creation by the reconciler is covered by the domain and integration tests) shows on
// the overview as waiting and on the escalations page with its options in plain words; deciding
// "Close the bead" with a note fails the bead there and then and records the decision.

test("a triage request about a stuck agent: a member closes the bead from the escalations page", async ({ page }) => {
  test.setTimeout(90_000);
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Triage Town");
  const work = await seedBead(townId, { rigId, title: "Migrate the billing tables", status: "in_progress", dispatchAttempts: 1, lastDispatchAttemptAt: new Date() });
  const slit = await seedAgent(townId, { rigId, name: "slit", role: "polecat", status: "stalled", hookBeadId: work, lastActivityAt: new Date(Date.now() - 3 * 3_600_000), dispatchAttempts: 1 });
  const request = await seedBead(townId, {
    rigId,
    title: "Triage: GUPP force stop",
    labels: ["gt:triage-request"],
    metadata: { triage_type: "stuck_agent", agent_bead_id: slit, hooked_bead_id: work, context: { reason: "GUPP force stop" }, options: ["RESTART", "CLOSE", "ESCALATE"] },
  });

  await page.goto(`/towns/${townId}`);
  await expect(page.getByText("1 to triage")).toBeVisible();
  await page.goto(`/towns/${townId}/escalations`);
  const item = page.getByTestId("triage-request");
  await expect(item).toHaveCount(1);
  await expect(item).toContainText("GUPP force stop");
  await expect(item).toContainText("agent slit");
  await expect(item).toContainText("Migrate the billing tables");
  const decide = item.getByRole("group", { name: /Decide/ });
  await expect(decide.getByRole("button")).toHaveText(["Restart the agent", "Close the bead", "Ask the mayor", "Nothing to do"]);
  await snapBoth(page, "triage", snap);

  await item.getByLabel(/Note/).fill("The migration is obsolete; closing it.");
  await decide.getByRole("button", { name: "Close the bead" }).click();
  await expect(page.getByTestId("triage-request")).toHaveCount(0);
  expect(await beadRow(work)).toMatchObject({ status: "failed", metadata: { failureReason: "triage_close" } });
  expect(await beadRow(request)).toMatchObject({ status: "closed", metadata: { resolution_action: "CLOSE_BEAD", resolution_notes: "The migration is obsolete; closing it." } });
});
