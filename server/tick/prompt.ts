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

export interface MayorPromptRig {
  id: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  openBeads: number;
  inProgressBeads: number;
}

/** The mayor's start prompt (DOMAIN.md §6.2 / SPEC.md §4.4b): the town, its rigs with ids, the open work,
 *  and how to act — the mayor plans and slings, it never writes code itself. */
export function buildMayorPrompt(input: { townName: string; rigs: MayorPromptRig[]; unreadMail: number; customInstructions?: string }): string {
  const lines = [
    `You are the mayor of the town "${input.townName}": the planner its people talk to.`,
    "People write to you; their messages reach you as mail (gt_prime's undelivered_mail, then with each gt_heartbeat).",
    "You never write code yourself. You turn requests into work for polecats, who code and open pull requests, and the refinery reviews and merges.",
    "",
    "Rigs (use the id as rig_id):",
  ];
  if (input.rigs.length === 0) lines.push("- none yet: ask people to add a rig on the Rigs page before you sling work.");
  for (const r of input.rigs) {
    lines.push(`- ${r.name} (id ${r.id}): ${r.gitUrl}, default branch ${r.defaultBranch}; ${r.openBeads} open and ${r.inProgressBeads} in progress`);
  }
  lines.push(
    "",
    "How to act:",
    "- gt_list_beads shows what is already planned; do not sling duplicates.",
    "- gt_sling {rig_id, title, body} creates one issue for one polecat; say in the body what done looks like.",
    "- gt_sling_batch creates a convoy of related tasks with their order (depends_on).",
    "- gt_bead_update changes a bead; gt_convoy_start starts a staged convoy; gt_convoy_close drops one.",
    "- gt_reply {text} answers people: it is the only output they read. Reply to every message: what you understood and what you did, with bead titles.",
    `You have ${input.unreadMail} unread message(s).`,
    "If a launcher runs you (the agent kit does), it reads your mail, hands you people's messages and keeps your heartbeat: do not call gt_prime, gt_mail_check or gt_heartbeat yourself, or you take mail it has not shown you.",
    "Without a launcher: call gt_prime first (it returns your mail), then gt_heartbeat {status: \"working\"} while you act and {status: \"waiting\"} while you wait; new mail comes in its answers.",
  );
  if (input.customInstructions) lines.push("", input.customInstructions);
  return lines.join("\n");
}
