import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { ExtraTool } from "../tools";
import { REVIEW_PASS_TOOL, REVIEW_REQUEST_CHANGES_TOOL } from "../instructions";

// A refinery's verdict, as kit-local MCP tools. The MCP server (`gastown-agent mcp --extra-tools
// <this module>`) runs as a child of the coding agent, not of the launcher, so the tools only RECORD the
// verdict in a file of the run (GASTOWN_REVIEW_VERDICT_FILE, set by the launcher, outside the repository);
// the launcher reads it when the agent has exited and carries it out: PR comment / REQUEST_CHANGES review
// / gt_request_changes / merge, then gt_done. A tool the model calls is a clearer contract than parsing
// its final message, and the arguments are validated before the model is told "recorded".

export const VERDICT_FILE_ENV = "GASTOWN_REVIEW_VERDICT_FILE";

export const InlineCommentSchema = z.object({
  path: z.string().trim().min(1).max(1000).describe("File path relative to the repository root"),
  line: z.number().int().positive().describe("Line number in the new version of the file"),
  body: z.string().trim().min(1).max(10_000),
});

export const ReviewPassSchema = z.object({
  comment: z.string().trim().min(1, "Say briefly why it passes.").max(20_000).describe("The review summary posted on the PR"),
});

export const ReviewRequestChangesSchema = z.object({
  body: z.string().trim().min(1, "Say what has to change.").max(50_000).describe("What has to change, overall"),
  comments: z.array(InlineCommentSchema).max(100).default([]).describe("Inline comments on lines of the changed files"),
});

export const VerdictSchema = z.discriminatedUnion("verdict", [
  z.object({ verdict: z.literal("pass"), comment: z.string() }),
  z.object({ verdict: z.literal("request_changes"), body: z.string(), comments: z.array(InlineCommentSchema) }),
]);
export type Verdict = z.infer<typeof VerdictSchema>;

/** The verdict recorded in a run's file, or null (none, or unreadable). */
export function readVerdict(file: string): Verdict | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = VerdictSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function reviewTools(verdictFile: string): ExtraTool[] {
  const record = (verdict: Verdict) => {
    // The last verdict wins: a model that changes its mind before ending sends a second one.
    writeFileSync(verdictFile, JSON.stringify(verdict), { mode: 0o600 });
  };
  return [
    {
      name: REVIEW_PASS_TOOL,
      description: "Record that the change passes review: {comment}. The launcher posts the comment on the pull request (never an approval) or merges the branch (direct strategy), and calls gt_done. Call it once, as your last action.",
      schema: ReviewPassSchema,
      handler(args) {
        const { comment } = ReviewPassSchema.parse(args);
        record({ verdict: "pass", comment });
        return { ok: true, body: { recorded: "pass", next: "End your turn now; the launcher carries out the verdict." } };
      },
    },
    {
      name: REVIEW_REQUEST_CHANGES_TOOL,
      description:
        "Record that the change must change: {body, comments: [{path, line, body}]}. The launcher submits a REQUEST_CHANGES review with these inline comments on the pull request, or (review mode rework) creates a rework task for a polecat, and calls gt_done. Call it once, as your last action.",
      schema: ReviewRequestChangesSchema,
      handler(args) {
        const { body, comments } = ReviewRequestChangesSchema.parse(args);
        record({ verdict: "request_changes", body, comments });
        return { ok: true, body: { recorded: "request_changes", comments: comments.length, next: "End your turn now; the launcher carries out the verdict." } };
      },
    },
  ];
}

/** What `gastown-agent mcp --extra-tools <this file>` calls. */
export function createExtraTools(): ExtraTool[] {
  const file = process.env[VERDICT_FILE_ENV];
  if (!file) throw new Error(`${VERDICT_FILE_ENV} is not set: the review tools need the launcher that started this run.`);
  return reviewTools(file);
}
