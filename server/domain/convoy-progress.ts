import { isTerminal, type Bead } from "./types";

/** Convoy progress, the one definition everywhere (SPEC.md §3 #8): of the beads a convoy tracks only the
 *  `issue` beads count; closed = `closed` + `failed`; 0 of 0 when no tracked issue is left. The
 *  reconciler's rule (rules/convoys.ts) and every recount after a write (operations.ts) call this. */
export function convoyProgressOf(tracked: readonly Pick<Bead, "type" | "status">[]): { closed: number; total: number } {
  const issues = tracked.filter((b) => b.type === "issue");
  return { closed: issues.filter((b) => isTerminal(b.status)).length, total: issues.length };
}
