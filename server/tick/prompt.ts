import type { AgentRole, Bead } from "../domain/types";

// What an agent is told when it starts (DOMAIN.md §5.6 step 4). Agents fetch the full context with gt_prime;
// this is the short initial instruction plus the branch to work on.

export function slugify(text: string, max = 40): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/g, "");
  return slug || "work";
}

/** `gt/<slug>/<bead8>`, or beside a convoy's `…/head` branch: `<convoy prefix>/gt/<slug>/<bead8>`. */
export function branchFor(bead: Pick<Bead, "id" | "title">, convoyFeatureBranch: string | null): string {
  const own = `gt/${slugify(bead.title)}/${bead.id.slice(0, 8)}`;
  if (convoyFeatureBranch && convoyFeatureBranch.endsWith("/head")) return `${convoyFeatureBranch.slice(0, -"/head".length)}/${own}`;
  return own;
}

export function buildPrompt(input: {
  role: AgentRole;
  bead: Pick<Bead, "title" | "body" | "labels">;
  branch: string | null;
  targetBranch: string | null;
  prUrl: string | null;
  mergeStrategy: "direct" | "pr";
  checkpoint: unknown;
  customInstructions?: string;
}): string {
  const lines: string[] = [];
  if (input.role === "refinery") {
    lines.push(`Review the merge request "${input.bead.title}".`);
    if (input.prUrl) lines.push(`The pull request is ${input.prUrl}. Review it on GitHub; never approve or merge it yourself.`);
    else lines.push(`Merge branch ${input.branch} into ${input.targetBranch} with --no-ff if it passes review, push, then call gt_done.`);
  } else {
    lines.push(`Your task: ${input.bead.title}`);
    if (input.bead.body) lines.push("", input.bead.body);
    lines.push("", `Work on branch ${input.branch}, based on ${input.targetBranch}.`);
    if (input.mergeStrategy === "pr") lines.push(`When done, push and open a pull request against ${input.targetBranch}, then call gt_done with its URL.`);
    else lines.push("When done, push the branch and call gt_done.");
  }
  if (input.checkpoint != null) lines.push("", "Resume from checkpoint:", JSON.stringify(input.checkpoint));
  if (input.customInstructions) lines.push("", input.customInstructions);
  lines.push("", "Call gt_prime first for your full context.");
  return lines.join("\n");
}
