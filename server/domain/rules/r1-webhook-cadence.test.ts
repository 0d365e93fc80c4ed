import { describe, expect, it } from "vitest";
import { reconcile } from "../reconcile";
import { PR_POLL_FALLBACK_INTERVAL_MS, PR_POLL_INTERVAL_MS, WEBHOOK_FRESH_MS } from "../constants";
import { indexWorld } from "../world";
import type { World } from "../types";
import { agoSeconds, byRule, makeWorld, mr, NOW, RIG_ID } from "../testing";
import { prPollIntervalMs } from "./review-queue";

// R1's two cadences (issue 16): once a minute without webhooks; every 10 min while the MR's repository
// delivers verified webhooks (polling is the fallback); at once when a delivery asked for a poll.

const PR = "https://github.com/acme/widgets/pull/7";
const polledAgo = (seconds: number, extra: Parameters<typeof mr>[0] = {}) =>
  mr({ status: "in_progress", prUrl: PR, metadata: { last_poll_at: agoSeconds(seconds).toISOString() }, ...extra });

function withWebhooks(world: World, deliveredSecondsAgo: number | null, pollRequested: Record<string, Date> = {}): World {
  return {
    ...world,
    webhooks: { lastDeliveryAtByRig: deliveredSecondsAgo === null ? {} : { [RIG_ID]: agoSeconds(deliveredSecondsAgo) }, pollRequestedAtByMr: pollRequested },
  };
}

const polled = (world: World) => byRule(reconcile(world, NOW), "R1").filter((a) => a.type === "poll_pr").map((a) => (a as { beadId: string }).beadId);

describe("R1 cadence with GitHub webhooks", () => {
  it("without webhooks polls once a minute (60 s due, 59 s not)", () => {
    const due = polledAgo(60);
    const recent = polledAgo(59);
    for (const world of [makeWorld({ mrs: [due, recent] }), withWebhooks(makeWorld({ mrs: [due, recent] }), null)]) {
      expect(polled(world)).toEqual([due.bead.id]);
    }
  });

  it("while the repository delivers webhooks polls every 10 min: 9:59 not due, 10:00 due", () => {
    const notYet = polledAgo(PR_POLL_FALLBACK_INTERVAL_MS / 1000 - 1);
    const due = polledAgo(PR_POLL_FALLBACK_INTERVAL_MS / 1000);
    const minuteOld = polledAgo(PR_POLL_INTERVAL_MS / 1000);
    expect(polled(withWebhooks(makeWorld({ mrs: [notYet, due, minuteOld] }), 5))).toEqual([due.bead.id]);
  });

  it("a delivery older than 30 min no longer slows polling down", () => {
    const minuteOld = polledAgo(60);
    expect(polled(withWebhooks(makeWorld({ mrs: [minuteOld] }), WEBHOOK_FRESH_MS / 1000))).toEqual([]);
    expect(polled(withWebhooks(makeWorld({ mrs: [minuteOld] }), WEBHOOK_FRESH_MS / 1000 + 1))).toEqual([minuteOld.bead.id]);
  });

  it("only MRs of the rig that received deliveries slow down", () => {
    const other = polledAgo(60, { rigId: "rig-other" });
    const world = withWebhooks(makeWorld({ rigs: [{}, { id: "rig-other" }], mrs: [polledAgo(60), other] }), 5);
    expect(polled(world)).toEqual([other.bead.id]);
  });

  it("keeps the minute cadence while the auto-merge grace timer runs or a merge is pending", () => {
    const timer = polledAgo(60, { review: { autoMergeReadySince: agoSeconds(120) } });
    const pending = polledAgo(60, { metadata: { last_poll_at: agoSeconds(60).toISOString(), auto_merge_pending: true } });
    const world = withWebhooks(makeWorld({ mrs: [timer, pending] }), 5);
    expect(polled(world).sort()).toEqual([timer.bead.id, pending.bead.id].sort());
    const index = indexWorld(world);
    expect(index.mrs.map((m) => prPollIntervalMs(index, m, NOW))).toEqual([PR_POLL_INTERVAL_MS, PR_POLL_INTERVAL_MS]);
  });

  it("polls at once when a delivery after the last poll asked for it, not for one before it", () => {
    const asked = polledAgo(10);
    const stale = polledAgo(10);
    const world = withWebhooks(makeWorld({ mrs: [asked, stale] }), 5, { [asked.bead.id]: agoSeconds(5), [stale.bead.id]: agoSeconds(11) });
    expect(polled(world)).toEqual([asked.bead.id]);
    expect(byRule(reconcile(world, NOW), "R1")[0]).toMatchObject({ reason: expect.stringContaining("webhook") });
  });
});
