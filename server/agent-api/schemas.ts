import { z } from "zod";
import { ConvoyMergeModeSchema } from "../domain/settings";
import { BeadStatusSchema, BeadTypeSchema, LabelSchema, PrioritySchema } from "../domain/types";

// Bodies of the agent API tools (SPEC.md §4.3, DOMAIN.md §8.1–8.2), snake_case as on the wire. Unlike tRPC
// inputs these are plain z.object()s: unknown keys are dropped, not refused (SPEC.md §3b), so an agent
// built against a newer tool description still gets through. Limits keep one call bounded; the route
// refuses any body over 1 MiB before it gets here.

const Id = z.string().trim().min(1).max(200);
const Title = z.string().trim().min(1, "A title is required.").max(200);
const Text = z.string().max(100_000);
const Metadata = z.record(z.string(), z.unknown());
const Labels = z.array(LabelSchema).max(20);

export const EmptyBodySchema = z.object({});

export const GtDoneBodySchema = z.object({
  branch: z.string().max(1000),
  pr_url: z.string().max(2000).nullish(),
  summary: Text.nullish(),
});

/** Runtime callback on process exit. Anything but `completed` is applied as `failed` (DOMAIN.md §3). */
export const AgentCompletedBodySchema = z.object({
  status: z.string().min(1).max(100),
  reason: z.string().max(10_000).nullish(),
});

export const ContainerStatusBodySchema = z.object({
  status: z.string().min(1).max(100),
  exit_reason: z.string().max(10_000).nullish(),
});

export const HeartbeatBodySchema = z.object({
  last_event_type: z.string().max(200).nullish(),
  last_event_at: z.iso.datetime({ offset: true }).nullish(),
  active_tools: z.array(z.string().max(200)).max(100).nullish(),
  /** The mayor says `waiting` while it is idle in chat and `working` while it acts (DOMAIN.md §2). Only
   *  the mayor may say `waiting`; absent means "working" for an agent that was idle (proof of life). */
  status: z.enum(["working", "waiting"]).optional(),
});

export const RequestChangesBodySchema = z.object({
  feedback: z.string().trim().min(1, "Say what has to change.").max(100_000),
  files: z.array(z.string().max(1000)).max(500).optional(),
});

export const EscalateBodySchema = z.object({
  title: Title,
  body: Text.nullish(),
  /** the escalation's severity */
  priority: PrioritySchema.optional(),
  metadata: Metadata.optional(),
});

/** `data` is a JSON string (DOMAIN.md §8.1); it is stored parsed, as jsonb. */
export const CheckpointBodySchema = z.object({
  data: z.string().transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "data must be a JSON string (JSON.stringify your checkpoint)." });
      return z.NEVER;
    }
  }),
});

export const MailSendBodySchema = z.object({
  to_agent_id: Id,
  subject: Title,
  body: Text,
});

export const BeadStatusBodySchema = z.object({ bead_id: Id });

export const SlingBodySchema = z.object({
  rig_id: Id,
  title: Title,
  body: Text.nullish(),
  metadata: Metadata.optional(),
  labels: Labels.optional(),
  priority: PrioritySchema.optional(),
});

export const MAX_CONVOY_TASKS = 200;

export const SlingBatchBodySchema = z.object({
  rig_id: Id,
  convoy_title: Title,
  tasks: z
    .array(
      z.object({
        title: Title,
        body: Text.nullish(),
        /** 0-based indices of the tasks this one waits for */
        depends_on: z.array(z.number().int()).max(MAX_CONVOY_TASKS).nullish(),
      }),
    )
    .min(1, "A convoy needs at least one task.")
    .max(MAX_CONVOY_TASKS),
  merge_mode: ConvoyMergeModeSchema.optional(),
  parallel: z.boolean().optional(),
  staged: z.boolean().optional(),
  metadata: Metadata.optional(),
});

export const MAX_LIST_BEADS = 200;

export const ListBeadsBodySchema = z.object({
  rig_id: Id.optional(),
  status: z.union([BeadStatusSchema, z.array(BeadStatusSchema).min(1).max(5)]).optional(),
  type: z.union([BeadTypeSchema, z.array(BeadTypeSchema).min(1).max(7)]).optional(),
  limit: z.number().int().min(1).max(MAX_LIST_BEADS).optional(),
});

export const BeadUpdateBodySchema = z
  .object({
    bead_id: Id,
    title: Title.optional(),
    body: Text.nullish(),
    status: BeadStatusSchema.optional(),
    priority: PrioritySchema.optional(),
    /** replaces the labels */
    labels: Labels.optional(),
    reason: z.string().max(1000).optional(),
  })
  .refine((b) => b.title !== undefined || b.body !== undefined || b.status !== undefined || b.priority !== undefined || b.labels !== undefined, {
    message: "Nothing to update: give at least one of title, body, status, priority, labels.",
  });

export const ConvoyRefBodySchema = z.object({ convoy_id: Id });

/** The mayor's answer to the town's people, shown in the Mayor conversation. */
export const ReplyBodySchema = z.object({
  text: z.string().trim().min(1, "Say something: the reply is empty.").max(20_000),
});
