import { randomUUID } from "node:crypto";
import { expect, signUp, snap, test } from "./fixtures";
import { createTownWithRig, forceTick, seedEvent, seedMr, snapBoth, sql, trpcMutation } from "./db";


// The poison inbox as a member uses it (SPEC.md §2 poison protection, §4.1 /poison): events that can never
// apply are poisoned at once, one whose apply keeps failing after 3 ticks; a person inspects the payload and
// the error, edits the payload (validated, errors inline) and requeues it, and the next tick applies it;
// discarding needs a note; bulk requeue by type.

test("events that can never apply are poisoned at once; edited and requeued they apply; discard needs a note; bulk requeue", async ({ page, request }) => {
  test.setTimeout(120_000);
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Poison Town");
  const convoy = await trpcMutation<{ id: string }>(page, "convoy.create", { townId, title: "Staged convoy", rigId, tasks: [{ title: "One task" }], staged: true });

  // A payload that fails its schema, and two events about agents that do not exist.
  await seedEvent(townId, { type: "convoy_started", payload: { convoy_id: 42 } });
  await seedEvent(townId, { type: "agent_done", agentId: randomUUID(), payload: { branch: "gt/ghost" } });
  await seedEvent(townId, { type: "agent_done", agentId: randomUUID(), payload: { branch: "gt/ghost-2" } });

  // One tick poisons all three at once (invalid_payload, entity_not_found).
  const t1 = await forceTick(request, townId);
  expect(t1?.eventsPoisoned).toBe(3);

  // The overview links to the inbox, with the count; the poisonings are notifications.
  await page.goto(`/towns/${townId}`);
  await expect(page.getByTestId("poison-badge")).toContainText("3");
  await expect(page.getByTestId("notifications")).toContainText(/poison/i);
  await expect(page.getByTestId("unread-count")).toBeVisible();
  await snapBoth(page, "overview", snap);
  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(page.getByTestId("unread-count")).toHaveCount(0);
  await expect(page.getByTestId("notifications").locator('[data-read="no"]')).toHaveCount(0);
  await page.getByTestId("poison-badge").click();
  await expect(page).toHaveURL(new RegExp(`/towns/${townId}/poison$`));
  const inbox = page.getByTestId("poison-list");
  await expect(inbox.getByTestId("poisoned-event")).toHaveCount(3);
  await snapBoth(page, "poison-inbox", snap);

  // Edit the convoy_started payload: bad JSON and a payload that still fails its schema are refused inline.
  const convoyEvent = inbox.locator('[data-event-type="convoy_started"]');
  await expect(convoyEvent.getByTestId("poison-reason")).toContainText("invalid_payload");
  await expect(convoyEvent.getByTestId("last-error")).toContainText("convoy_id");
  await expect(convoyEvent.getByTestId("payload")).toContainText('"convoy_id": 42');
  await convoyEvent.getByRole("button", { name: "Edit payload" }).click();
  const editor = convoyEvent.getByLabel("New payload (JSON)");
  await editor.fill('{"convoy_id": ');
  await convoyEvent.getByRole("button", { name: "Save and requeue" }).click();
  await expect(convoyEvent.getByRole("alert")).toContainText("not valid JSON");
  await editor.fill('{"convoy_id": 42}');
  await convoyEvent.getByRole("button", { name: "Save and requeue" }).click();
  await expect(convoyEvent.getByRole("alert")).toContainText("Invalid convoy_started payload");
  await snap(page, "poison-edit-error");
  await editor.fill(JSON.stringify({ convoy_id: convoy.id }));
  await convoyEvent.getByRole("button", { name: "Save and requeue" }).click();
  await expect(page.getByTestId("poison-notice")).toContainText("requeued convoy_started");
  await expect(inbox.getByTestId("poisoned-event")).toHaveCount(2);

  // The next tick applies it: the staged convoy is started.
  const t2 = await forceTick(request, townId);
  expect(t2?.eventsPoisoned).toBe(0);
  await page.goto(`/towns/${townId}/convoys/${convoy.id}`);
  await expect(page.getByTestId("convoy-title")).toContainText("Staged convoy");
  await expect(page.getByTestId("staged")).toHaveCount(0);
  await page.goto(`/towns/${townId}/events`);
  await page.getByRole("button", { name: /^Processed/ }).click();
  await expect(page.getByTestId("event-table")).toContainText("convoy_started");
  await expect(page.getByTestId("event-table")).toContainText("bead_created");
  await page.getByLabel("Event type").fill("convoy_started");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByTestId("event-table").getByTestId("event-row")).toHaveCount(1);

  // Bulk requeue the two agent_done events: back to pending, and (their agents still missing) poisoned again.
  await page.goto(`/towns/${townId}/poison`);
  await page.getByTestId("bulk-requeue").getByRole("button", { name: "Requeue all 2 agent_done" }).click();
  await expect(page.getByTestId("poison-notice")).toContainText("Requeued 2 agent_done events");
  await expect(page.getByText("The poison inbox is empty")).toBeVisible();
  expect((await forceTick(request, townId))?.eventsPoisoned).toBe(2);

  // Discard one: the note is required.
  const ghost = page.getByTestId("poisoned-event").first();
  await expect(ghost.getByTestId("poison-reason")).toContainText("entity_not_found");
  await ghost.getByRole("button", { name: "Discard…" }).click();
  await ghost.getByRole("button", { name: "Discard event" }).click();
  await expect(ghost.getByRole("alert")).toContainText("Say why");
  await ghost.getByLabel("Why discard it? (kept with the event)").fill("The agent was deleted; nothing to do.");
  await ghost.getByRole("button", { name: "Discard event" }).click();
  await expect(page.getByTestId("poisoned-event")).toHaveCount(1);
  await page.goto(`/towns/${townId}/events`);
  await page.getByRole("button", { name: /^Discarded/ }).click();
  await expect(page.getByTestId("event-table")).toContainText("The agent was deleted; nothing to do.");
});

// An apply that fails every time: a feedback-check timestamp JavaScript accepts but Postgres cannot store.
// (On the embedded Postgres this used to break the connection; scripts/lib/pg-protocol-filter.mjs fixed it.)
test("an event whose apply keeps failing reaches the inbox after 3 ticks, and applies once its payload is fixed", async ({ page, request }) => {
  test.setTimeout(90_000);
  await signUp(page);
  const { townId, rigId } = await createTownWithRig(page, "Failing Apply Town");
  const mrId = await seedMr(townId, rigId, {
    title: "MR whose feedback check cannot be stored",
    status: "in_progress",
    prUrl: "https://github.com/acme/web/pull/7",
    metadata: { last_poll_at: new Date().toISOString() },
  });
  const failing = await seedEvent(townId, { type: "poll_feedback_checked", beadId: mrId, payload: { mr_bead_id: mrId, checked_at: "-271821-04-20T00:00:00.000Z" } });

  // Tick 1: it fails and stays pending with its retry count and error.
  expect((await forceTick(request, townId))?.eventsPoisoned).toBe(0);
  await page.goto(`/towns/${townId}/events`);
  const pending = page.getByTestId("event-table");
  await expect(pending.getByTestId("event-row")).toHaveCount(1);
  await expect(pending).toContainText("poll_feedback_checked");
  await expect(pending).toContainText("timestamp out of range");
  await snapBoth(page, "events", snap);

  // Ticks 2 and 3: the third failure poisons it.
  expect((await forceTick(request, townId))?.eventsPoisoned).toBe(0);
  expect((await forceTick(request, townId))?.eventsPoisoned).toBe(1);
  const [row] = await sql<{ poison_reason: string; retry_count: number }>(`SELECT poison_reason, retry_count FROM town_events WHERE event_id = $1`, [failing]);
  expect(row).toEqual({ poison_reason: "max_retries", retry_count: 3 });

  await page.goto(`/towns/${townId}/poison`);
  const ev = page.locator('[data-event-type="poll_feedback_checked"]');
  await expect(ev.getByTestId("poison-reason")).toContainText("max_retries");
  await expect(ev.getByTestId("last-error")).toContainText("timestamp out of range");
  await ev.getByRole("button", { name: "Edit payload" }).click();
  await ev.getByLabel("New payload (JSON)").fill(JSON.stringify({ mr_bead_id: mrId, checked_at: "2025-06-01T12:00:00.000Z" }));
  await ev.getByRole("button", { name: "Save and requeue" }).click();
  await expect(page.getByText("The poison inbox is empty")).toBeVisible();

  const t4 = await forceTick(request, townId);
  expect(t4?.eventsPoisoned).toBe(0);
  const [review] = await sql<{ last_feedback_check_at: Date }>(`SELECT last_feedback_check_at FROM review_metadata WHERE bead_id = $1`, [mrId]);
  expect(review.last_feedback_check_at.toISOString()).toBe("2025-06-01T12:00:00.000Z");
});
