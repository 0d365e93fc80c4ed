// The task graph of a batch sling / convoy (DOMAIN.md §6.6), checked before anything is written: indices
// in range, no self-dependency, no cycle (Kahn), and — for the mayor's tool — at least one dependency
// unless the caller asked for parallel tasks. Pure, so the tRPC convoy router can share it.
// `depends_on` holds 0-based indices into the task list: task i cannot start until task j is done.

export interface ConvoyTaskDeps {
  depends_on?: readonly number[] | null;
}

export interface ConvoyDagIssue {
  path: (string | number)[];
  message: string;
}

/** One `blocks` edge: `task` is blocked by `dependsOn` (both task indices). */
export interface ConvoyEdge {
  task: number;
  dependsOn: number;
}

export type ConvoyDagResult =
  | { ok: true; edges: ConvoyEdge[]; order: number[] }
  | { ok: false; message: string; issues: ConvoyDagIssue[] };

export interface ConvoyDagOptions {
  /** Refuse a graph of several tasks without a single dependency (the mayor must say `parallel: true`). */
  requireDependencies?: boolean;
}

export function validateConvoyDag(tasks: readonly ConvoyTaskDeps[], options: ConvoyDagOptions = {}): ConvoyDagResult {
  const n = tasks.length;
  const issues: ConvoyDagIssue[] = [];
  const edges: ConvoyEdge[] = [];
  const seen = new Set<string>();

  tasks.forEach((task, i) => {
    (task.depends_on ?? []).forEach((dep, j) => {
      const path = ["tasks", i, "depends_on", j];
      if (!Number.isInteger(dep) || dep < 0 || dep >= n) {
        issues.push({ path, message: `Task ${i} depends on ${dep}, which is not a task index (0 to ${n - 1}).` });
      } else if (dep === i) {
        issues.push({ path, message: `Task ${i} cannot depend on itself.` });
      } else if (!seen.has(`${i}>${dep}`)) {
        seen.add(`${i}>${dep}`);
        edges.push({ task: i, dependsOn: dep });
      }
    });
  });
  if (issues.length) return { ok: false, message: issues.map((x) => x.message).join(" "), issues };

  if (options.requireDependencies && n > 1 && edges.length === 0) {
    const message = "No task has depends_on. Give the tasks their order (0-based task indices), or set parallel: true to run them all at once.";
    return { ok: false, message, issues: [{ path: ["tasks"], message }] };
  }

  // Kahn: repeatedly take tasks whose blockers are all taken; whatever is left sits on or behind a cycle.
  const blockers = new Array<number>(n).fill(0);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) {
    blockers[e.task] += 1;
    dependents[e.dependsOn].push(e.task);
  }
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (blockers[i] === 0) queue.push(i);
  const order: number[] = [];
  while (queue.length) {
    const next = queue.shift()!;
    order.push(next);
    for (const d of dependents[next]) {
      blockers[d] -= 1;
      if (blockers[d] === 0) queue.push(d);
    }
  }
  if (order.length < n) {
    const stuck = [...Array(n).keys()].filter((i) => !order.includes(i));
    const message = `Convoy dependency graph contains a cycle — ${stuck.length} tasks are on or behind it (tasks ${stuck.join(", ")}). Remove a dependency to break it.`;
    return { ok: false, message, issues: [{ path: ["tasks"], message }] };
  }
  return { ok: true, edges, order };
}

/** `convoy/<slug of title, ≤ 40 chars>/<convoy id 8>/head` — ends in `/head` so agent branches can sit
 *  beside it without a git ref file/dir clash (DOMAIN.md §11 #25). */
export function convoyFeatureBranch(title: string, convoyId: string): string {
  const slug =
    title
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/g, "") || "convoy";
  return `convoy/${slug}/${convoyId.slice(0, 8)}/head`;
}
