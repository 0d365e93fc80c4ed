import { describe, expect, it } from "vitest";
import { dueReEscalations } from "./escalations";
import { ago, bead, escalation, makeWorld, NOW } from "./testing";

describe("re-escalation", () => {
  it("bumps an unacknowledged escalation one step after 4 h, 8 h, 12 h — at most 3 times", () => {
    const young = bead({ type: "escalation", createdAt: ago(4 * 60 - 1) });
    const first = bead({ type: "escalation", createdAt: ago(4 * 60) });
    const second = bead({ type: "escalation", createdAt: ago(8 * 60 + 1) });
    const done = bead({ type: "escalation", createdAt: ago(48 * 60) });
    const world = makeWorld({
      beads: [young, first, second, done],
      escalations: [
        escalation({ beadId: young.id, severity: "low" }),
        escalation({ beadId: first.id, severity: "low" }),
        escalation({ beadId: second.id, severity: "high", reEscalationCount: 1 }),
        escalation({ beadId: done.id, severity: "critical", reEscalationCount: 3 }),
      ],
    });
    expect(dueReEscalations(world, NOW)).toEqual([
      { beadId: first.id, from: "low", to: "medium", count: 1 },
      { beadId: second.id, from: "high", to: "critical", count: 2 },
    ]);
  });

  it("skips acknowledged and closed escalations", () => {
    const acked = bead({ type: "escalation", createdAt: ago(600) });
    const closed = bead({ type: "escalation", status: "closed", createdAt: ago(600) });
    const world = makeWorld({
      beads: [acked, closed],
      escalations: [escalation({ beadId: acked.id, acknowledged: true }), escalation({ beadId: closed.id })],
    });
    expect(dueReEscalations(world, NOW)).toEqual([]);
  });
});
