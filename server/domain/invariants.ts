import type { World } from "./types";
import { indexWorld, isOpenMr, mrsTracking } from "./world";

// Invariants checked after each tick's side effects (DOMAIN.md §5.5). They are reported, never repaired:
// a violation is a bug or a race to look at, and auto-repair would hide it.

export type InvariantNumber = 3 | 4 | 5 | 6 | 7;

export interface Violation {
  invariant: InvariantNumber;
  message: string;
  /** the beads/agents involved */
  ids: string[];
}

const CONVOY_STATES = new Set(["open", "in_progress", "in_review", "closed", "failed"]);

export function checkInvariants(world: World): Violation[] {
  const index = indexWorld(world);
  const violations: Violation[] = [];

  // 7: working agents must have hooks — except the mayor, which is always hookless.
  for (const agent of world.agents) {
    if (agent.status === "working" && !agent.currentHookBeadId && agent.role !== "mayor") {
      violations.push({ invariant: 7, message: `working ${agent.role} ${agent.name} has no hook`, ids: [agent.id] });
    }
  }

  // 5: convoys only in expected states.
  for (const convoy of world.convoys) {
    const bead = index.beads.get(convoy.beadId);
    if (bead && !CONVOY_STATES.has(bead.status)) {
      violations.push({ invariant: 5, message: `convoy ${bead.id} is in unexpected status ${bead.status}`, ids: [bead.id] });
    }
  }

  // 3: at most one in_progress MR per rig — counting only MRs without a PR (SPEC.md §3 #3): PR MRs are
  // polled concurrently by design; direct merges are serial.
  const directByRig = new Map<string, string[]>();
  for (const mr of index.mrs) {
    if (mr.bead.status !== "in_progress" || mr.review.prUrl || !mr.bead.rigId) continue;
    directByRig.set(mr.bead.rigId, [...(directByRig.get(mr.bead.rigId) ?? []), mr.bead.id]);
  }
  for (const [rigId, ids] of directByRig) {
    if (ids.length > 1) violations.push({ invariant: 3, message: `rig ${rigId} has ${ids.length} in_progress direct-merge MRs`, ids });
  }

  // 6: at most one agent hooked per bead.
  for (const [beadId, agents] of index.agentsByHook) {
    if (agents.length > 1) {
      violations.push({ invariant: 6, message: `${agents.length} agents are hooked to bead ${beadId}`, ids: [beadId, ...agents.map((a) => a.id)] });
    }
  }

  // 4: an in_review issue must have an open/in_progress MR.
  for (const bead of world.beads) {
    if (bead.type !== "issue" || bead.status !== "in_review") continue;
    if (!mrsTracking(index, bead.id).some(isOpenMr)) {
      violations.push({ invariant: 4, message: `in_review bead ${bead.id} has no open or in_progress MR`, ids: [bead.id] });
    }
  }

  return violations;
}
