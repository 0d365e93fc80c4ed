import { isTerminal, type Priority, type World } from "./types";

// Re-escalation (DOMAIN.md §5.4, SPEC.md §2 housekeeping): an unacknowledged open escalation is raised one
// severity step every 4 h, at most 3 times, and the mayor is told each time. Pure: the tick's
// housekeeping applies the result.

export const RE_ESCALATION_INTERVAL_MS = 4 * 60 * 60 * 1000;
export const MAX_RE_ESCALATIONS = 3;

const NEXT_SEVERITY: Record<Priority, Priority> = { low: "medium", medium: "high", high: "critical", critical: "critical" };

export interface ReEscalation {
  beadId: string;
  from: Priority;
  to: Priority;
  /** the re_escalation_count after this bump */
  count: number;
}

/** Escalations due for a bump: unacknowledged, not terminal, fewer than 3 bumps, and at least
 *  (count + 1) × 4 h old. */
export function dueReEscalations(world: World, now: Date): ReEscalation[] {
  const beads = new Map(world.beads.map((b) => [b.id, b]));
  const due: ReEscalation[] = [];
  for (const esc of world.escalations) {
    const bead = beads.get(esc.beadId);
    if (!bead || isTerminal(bead.status) || esc.acknowledged || esc.reEscalationCount >= MAX_RE_ESCALATIONS) continue;
    if (now.getTime() - bead.createdAt.getTime() < (esc.reEscalationCount + 1) * RE_ESCALATION_INTERVAL_MS) continue;
    due.push({ beadId: esc.beadId, from: esc.severity, to: NEXT_SEVERITY[esc.severity], count: esc.reEscalationCount + 1 });
  }
  return due;
}
