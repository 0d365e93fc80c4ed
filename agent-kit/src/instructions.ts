import { z } from "zod";

// What a coding agent is told (DOMAIN.md §6.2): the server's prompt (GASTOWN_PROMPT, which already
// carries the town's custom instructions), the task from the prime context, mail, rework or PR-fixup
// context, and the duties of the role AS THIS KIT RUNS THEM: the launcher prepares the checkout, and
// after the agent exits it pushes, opens the PR, posts the review and calls gt_done. So the agent
// commits and reports a verdict; it does not push, open PRs or merge (it has no GitHub token at all).

// ------------------------------------------------------------------------------------ the prime context

const nullableString = z.string().nullable().optional().catch(null);
const MailSchema = z
  .object({ id: z.string().optional(), from_kind: z.string().optional(), from_name: nullableString, from_agent_id: nullableString, subject: nullableString, body: nullableString, created_at: nullableString })
  .passthrough();
export type Mail = z.infer<typeof MailSchema>;

const RigSchema = z.object({ id: z.string(), name: z.string(), git_url: z.string(), default_branch: z.string() });

/** gt_prime's answer as the launchers read it; lenient (catch) so a newer server never breaks an agent. */
export const PrimeSchema = z.object({
  agent: z.object({ id: z.string(), name: z.string().optional().catch(undefined), role: z.string() }).passthrough(),
  hooked_bead: z
    .object({
      id: z.string(),
      title: z.string(),
      body: nullableString,
      labels: z.array(z.string()).catch([]),
      metadata: z.record(z.string(), z.unknown()).catch({}),
      review: z
        .object({ branch: z.string(), target_branch: z.string(), pr_url: nullableString, retry_count: z.number().optional().catch(0) })
        .nullable()
        .optional()
        .catch(null),
    })
    .passthrough()
    .nullable()
    .catch(null),
  undelivered_mail: z.array(MailSchema).catch([]),
  rework_context: z
    .object({ feedback: z.string().catch(""), branch: nullableString, target_branch: nullableString, files: z.array(z.string()).catch([]), original_bead_title: nullableString, mr_bead_id: nullableString })
    .nullable()
    .optional()
    .catch(null),
  pr_fixup_context: z.object({ pr_url: nullableString, branch: nullableString, target_branch: nullableString }).nullable().optional().catch(null),
  town: z.object({ id: z.string(), name: z.string().nullable().catch(null), rigs: z.array(RigSchema).catch([]) }).optional().catch(undefined),
  rig: RigSchema.nullable().optional().catch(null),
  settings: z
    .object({ merge_strategy: z.enum(["direct", "pr"]).catch("direct"), review_mode: z.enum(["comments", "rework"]).catch("comments"), code_review: z.boolean().catch(true) })
    .nullable()
    .optional()
    .catch(null),
});
export type Prime = z.infer<typeof PrimeSchema>;

export type MergeStrategy = "direct" | "pr";
export type ReviewMode = "comments" | "rework";

/** The kit-local verdict tools a refinery is given (handled by the launcher, see launchers/review-tools.ts). */
export const REVIEW_PASS_TOOL = "review_pass";
export const REVIEW_REQUEST_CHANGES_TOOL = "review_request_changes";

// ------------------------------------------------------------------------------------ the instructions

export interface WorkerPlan {
  role: "polecat" | "refinery";
  branch: string;
  targetBranch: string;
  mergeStrategy: MergeStrategy;
  reviewMode: ReviewMode;
  prUrl: string | null;
  /** How the polecat's task continues existing work. */
  kind: "task" | "rework" | "pr-fixup";
}

export interface InstructionInput {
  plan: WorkerPlan;
  prime: Prime;
  /** GASTOWN_PROMPT: the server's start prompt (task, branch, custom instructions). */
  serverPrompt?: string;
  /** The repository's test command, if the operator named one (shown to the agent). */
  testCommand?: string;
}

function formatMail(mail: Mail[]): string[] {
  if (mail.length === 0) return [];
  const lines = ["", "## Mail for you"];
  for (const m of mail) {
    const from = m.from_kind === "person" ? (m.from_name ?? "a person") : (m.from_agent_id ?? m.from_kind ?? "someone");
    lines.push(`- From ${from}: ${m.subject ?? "(no subject)"}${m.body ? `\n  ${m.body.replace(/\n/g, "\n  ")}` : ""}`);
  }
  return lines;
}

/** The one prompt a polecat or refinery run starts with. */
export function buildWorkerInstructions(input: InstructionInput): string {
  const { plan, prime } = input;
  const bead = prime.hooked_bead;
  const lines: string[] = [];
  lines.push(`You are a Gastown ${plan.role}, working headless in a git checkout (your current directory).`);
  if (input.serverPrompt?.trim()) lines.push("", "## Your orders", input.serverPrompt.trim());
  if (bead) {
    lines.push("", `## ${plan.role === "refinery" ? "The merge request" : "Your task"}: ${bead.title}`);
    if (bead.body) lines.push(bead.body);
  }
  if (plan.role === "polecat") lines.push(...polecatDuties(input));
  else lines.push(...refineryDuties(input));
  lines.push(...formatMail(prime.undelivered_mail));
  lines.push(
    "",
    "## Tools",
    "- Your Gastown tools are the mcp__gastown__* tools (gt_prime was already called for you; its context is above).",
    "- If you are stuck or something is wrong with the task, call mcp__gastown__gt_escalate {title, body} and stop.",
    "- Run commands from the current directory; do not `cd` elsewhere before git commands.",
  );
  return lines.join("\n");
}

function polecatDuties({ plan, prime, testCommand }: InstructionInput): string[] {
  const lines = ["", "## How you work"];
  if (plan.kind === "rework" && prime.rework_context) {
    const rc = prime.rework_context;
    lines.push(`This is a rework of "${rc.original_bead_title ?? "an earlier task"}": the reviewer asked for changes on branch ${plan.branch}.`, "Reviewer's feedback:", rc.feedback);
    if (rc.files.length) lines.push(`Files named by the reviewer: ${rc.files.join(", ")}`);
  } else if (plan.kind === "pr-fixup" && prime.pr_fixup_context) {
    lines.push(`This fixes up the existing pull request ${prime.pr_fixup_context.pr_url ?? ""} on branch ${plan.branch}.`);
  }
  lines.push(
    `- You are on branch ${plan.branch} (based on ${plan.targetBranch}). Make the change with Write/Edit, keep it focused on the task.`,
    testCommand ? `- Run the tests with \`${testCommand}\` before you commit.` : "- Run the project's tests if it has any before you commit.",
    "- Commit your work: `git add <files>` then `git -c user.email=agent@gastown.invalid -c user.name=Gastown commit -m \"<message>\"`. Uncommitted changes are lost.",
    plan.mergeStrategy === "pr"
      ? `- Do NOT push, open a pull request or call gt_done: when you finish, the launcher pushes ${plan.branch}, opens the pull request against ${plan.targetBranch} and calls gt_done with your summary.`
      : `- Do NOT push or call gt_done: when you finish, the launcher pushes ${plan.branch} and calls gt_done with your summary; the refinery merges it.`,
    "- Finish with a short summary of what you changed (your final message is the summary).",
    "- If you could not do the task, do not commit anything; say why in your final message (or escalate).",
  );
  return lines;
}

function refineryDuties({ plan }: InstructionInput): string[] {
  const lines = [
    "",
    "## How you review",
    `- You are on the branch under review, ${plan.branch}. Read its changes: \`git diff origin/${plan.targetBranch}...HEAD\` and \`git log origin/${plan.targetBranch}..HEAD\`; read files as needed; run the tests if the project has any.`,
    "- Do not change, commit, push or merge anything yourself.",
    `- Then give exactly one verdict with a Gastown tool: mcp__gastown__${REVIEW_PASS_TOOL} {comment} when the change is correct and complete,`,
    `  or mcp__gastown__${REVIEW_REQUEST_CHANGES_TOOL} {body, comments: [{path, line, body}]} when it must change (inline comments on lines of the new version of the file).`,
  ];
  if (plan.mergeStrategy === "pr" && plan.prUrl) {
    lines.push(
      plan.reviewMode === "rework"
        ? `- The launcher then reports it: a pass is a comment on ${plan.prUrl}; requested changes become a rework task for a polecat.`
        : `- The launcher then posts it on ${plan.prUrl}: a pass as a PR comment (never an approval), requested changes as a REQUEST_CHANGES review with your inline comments. Auto-merge does the merging.`,
    );
  } else {
    lines.push(`- On a pass the launcher merges ${plan.branch} into ${plan.targetBranch} with --no-ff and pushes; requested changes become a rework task (or an escalation).`);
  }
  lines.push("- Do NOT call gt_done: the launcher calls it after carrying out your verdict.");
  return lines;
}

/** The mayor's turn prompt: the new mail, and on the first turn the server's orders. */
export function buildMayorTurn(input: { mail: Mail[]; serverPrompt?: string; firstTurn: boolean }): string {
  const lines: string[] = [];
  if (input.firstTurn) {
    lines.push("You are the Gastown mayor, running in chat mode: each turn brings new mail; answer it, then stop and wait for the next turn.");
    if (input.serverPrompt?.trim()) lines.push("", input.serverPrompt.trim());
    lines.push("", "Act with your mcp__gastown__* tools. Answer every person with mcp__gastown__gt_reply; end the turn when you have acted (the launcher waits for the next mail).");
  } else {
    lines.push("New mail arrived. Act on it with your Gastown tools and answer people with mcp__gastown__gt_reply.");
  }
  lines.push(...formatMail(input.mail));
  return lines.join("\n");
}
