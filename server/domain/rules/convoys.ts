import { convoyProgressOf } from "../convoy-progress";
import type { Bead } from "../types";
import { isOpenMr, mrsTracking, type WorldIndex } from "../world";
import { act } from "./build";
import type { Rule } from "./context";

/** Convoy progress (SPEC.md §3 #8, defined once in ../convoy-progress.ts) over the world, with the ids of
 *  the tracked issues. */
export function convoyProgress(index: WorldIndex, convoyId: string): { closed: number; total: number; trackedIssueIds: string[] } {
  const tracked: Bead[] = [];
  for (const dep of index.depsTo.get(convoyId) ?? []) {
    if (dep.dependencyType !== "tracks") continue;
    const bead = index.beads.get(dep.beadId);
    if (bead) tracked.push(bead);
  }
  const { closed, total } = convoyProgressOf(tracked);
  return { closed, total, trackedIssueIds: tracked.filter((b) => b.type === "issue").map((b) => b.id) };
}

/** Convoys: keep the stored progress in step; when every tracked issue has ended and no review is in
 *  flight, finish the convoy. review-then-land with a feature branch lands through a system landing MR
 *  (mark ready → create the MR → close once it merged); review-and-merge (or no feature branch) simply
 *  closes. */
export const convoyRules: Rule = function* ({ world, index }) {
  for (const convoy of world.convoys) {
    const bead = index.beads.get(convoy.beadId);
    if (!bead || bead.status !== "open") continue;
    const { closed, total, trackedIssueIds } = convoyProgress(index, convoy.beadId);
    if (closed !== convoy.closedBeads || total !== convoy.totalBeads) {
      yield [act.updateConvoyProgress("convoy", convoy.beadId, closed, total, `progress ${closed}/${total}`)];
    }
    const inFlight = trackedIssueIds.some((id) => mrsTracking(index, id).some(isOpenMr));
    if (total === 0 || closed < total || inFlight) continue;

    const landsThroughMr = (convoy.mergeMode ?? "review-then-land") === "review-then-land" && !!convoy.featureBranch;
    if (!landsThroughMr) {
      yield [act.closeConvoy("convoy", convoy.beadId, "all tracked beads finished")];
      continue;
    }
    if (!convoy.readyToLand) {
      yield [act.setConvoyReadyToLand("convoy", convoy.beadId, "all tracked beads finished")];
      continue;
    }
    const landing = mrsTracking(index, convoy.beadId);
    if (landing.some((m) => m.bead.status === "closed")) {
      yield [act.closeConvoy("convoy", convoy.beadId, "landing MR merged")];
      continue;
    }
    if (landing.some(isOpenMr)) continue;
    const rigId = trackedIssueIds.map((id) => index.beads.get(id)?.rigId).find((r): r is string => !!r);
    if (!rigId) continue;
    const targetBranch = index.rigs.get(rigId)?.defaultBranch || "main";
    yield [act.createLandingMr("convoy", convoy.beadId, rigId, convoy.featureBranch!, targetBranch, "all tracked beads finished, landing feature branch")];
  }
};
