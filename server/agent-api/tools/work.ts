import { LABELS } from "../../domain/constants";
import { escalationTriageOptions, triageRequestBead } from "../../domain/operations";
import { isTerminal, type Priority } from "../../domain/types";
import { conflict, notFound } from "../errors";
import {
  asRecord,
  beadDetail,
  enqueueTownEvent,
  findMayor,
  getTownBead,
  inTownTransaction,
  insertBead,
  json,
  loadCaller,
  sendMail,
} from "../store";
import { TOOL_CATALOG } from "../catalog";
import { defineTool } from "./define";

// Tools every agent has for its work: rework requests (refinery), escalations, mail, bead lookups.

/** Rework bead bodies are long; the audit row keeps the start (DOMAIN.md §6.2). */
const REWORK_EVENT_FEEDBACK_CHARS = 500;

/**
 * gt_request_changes (DOMAIN.md §6.2 rework loop): the refinery, hooked to an MR, asks for changes. A
 * `gt:rework` issue under the MR blocks it; B1 dispatches a polecat to it, whose gt_done closes it, and
 * the MR is then re-queued for review.
 */
export const gtRequestChanges = defineTool({
  ...TOOL_CATALOG.gt_request_changes,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const townId = principal.townId;
      const agent = await loadCaller(tx, principal);
      if (!agent.currentHookBeadId) throw conflict("You are not hooked to a merge request; gt_request_changes needs the MR you are reviewing.");
      const mr = await getTownBead(tx, townId, agent.currentHookBeadId);
      if (mr.type !== "merge_request") throw conflict(`Your hooked bead ${mr.id} is a ${mr.type}, not a merge request.`);
      if (isTerminal(mr.status)) throw conflict(`Merge request ${mr.id} is already ${mr.status}.`);
      const review = await tx.reviewMetadata.findUnique({ where: { beadId: mr.id } });
      const sourceId = asRecord(mr.metadata).source_bead_id;
      const source =
        typeof sourceId === "string"
          ? await tx.bead.findFirst({ where: { id: sourceId, townId } })
          : ((await tx.beadDependency.findFirst({ where: { beadId: mr.id, townId, dependencyType: "tracks" }, include: { dependsOn: true } }))?.dependsOn ?? null);

      const rework = await insertBead(
        tx,
        townId,
        {
          type: "issue",
          status: "open",
          title: `Rework: ${source?.title ?? mr.title}`,
          body: input.feedback,
          priority: source?.priority ?? mr.priority,
          rigId: mr.rigId,
          parentBeadId: mr.id,
          labels: json([LABELS.rework]),
          metadata: json({
            rework_for: source?.id ?? null,
            mr_bead_id: mr.id,
            branch: review?.branch ?? null,
            target_branch: review?.targetBranch ?? null,
            files: input.files ?? [],
          }),
          createdBy: principal.agentId,
        },
        now,
        principal.agentId,
      );
      // The MR is blocked by its rework: R2/R3 leave it alone while the rework is in flight.
      await tx.beadDependency.create({ data: { townId, beadId: mr.id, dependsOnBeadId: rework.id, dependencyType: "blocks", createdAt: now } });
      await tx.beadEvent.create({
        data: {
          townId,
          beadId: mr.id,
          agentId: principal.agentId,
          eventType: "rework_requested",
          newValue: rework.id,
          metadata: json({ rework_bead_id: rework.id, feedback: input.feedback.slice(0, REWORK_EVENT_FEEDBACK_CHARS), files: input.files ?? [] }),
          createdAt: now,
        },
      });
      await enqueueTownEvent(tx, townId, "bead_created", { beadId: rework.id, agentId: principal.agentId, payload: { bead_type: "issue", rig_id: mr.rigId, has_blockers: false } }, now);
      return { status: 201, body: { rework_bead_id: rework.id, mr_bead_id: mr.id } };
    });
  },
});

const SEVERITY_PRIORITY: Record<Priority, Priority> = { critical: "critical", high: "high", medium: "medium", low: "medium" };

/**
 * gt_escalate (DOMAIN.md §5.4): an escalation bead with its severity, about the agent's current work;
 * above `low` the mayor gets mail and the town a notification people see on the overview.
 */
export const gtEscalate = defineTool({
  ...TOOL_CATALOG.gt_escalate,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const townId = principal.townId;
      const agent = await loadCaller(tx, principal);
      const severity = input.priority ?? "medium";
      const hook = agent.currentHookBeadId;
      const convoy = hook
        ? await tx.beadDependency.findFirst({ where: { beadId: hook, townId, dependencyType: "tracks", dependsOn: { type: "convoy" } }, select: { dependsOnBeadId: true } })
        : null;
      const escalation = await insertBead(
        tx,
        townId,
        {
          type: "escalation",
          status: "open",
          title: input.title,
          body: input.body ?? null,
          rigId: agent.bead.rigId,
          priority: SEVERITY_PRIORITY[severity],
          labels: json([LABELS.escalation, `severity:${severity}`]),
          metadata: json({
            ...(input.metadata ?? {}),
            source_agent_id: principal.agentId,
            ...(hook ? { source_bead_id: hook } : {}),
            ...(convoy ? { convoy_id: convoy.dependsOnBeadId } : {}),
          }),
          createdBy: principal.agentId,
        },
        now,
        principal.agentId,
      );
      await tx.escalationMetadata.create({ data: { beadId: escalation.id, townId, severity } });
      // its triage request (DOMAIN.md §5.4), resolved on the escalations page (or by a triage agent later)
      const request = triageRequestBead(
        {
          triageType: "escalation",
          reason: input.title,
          agent: { id: principal.agentId, rigId: agent.bead.rigId, currentHookBeadId: hook },
          options: escalationTriageOptions(severity),
          context: { escalation_bead_id: escalation.id, severity, ...(hook ? { source_bead_id: hook } : {}) },
        },
        now,
      );
      await insertBead(
        tx,
        townId,
        { type: request.type, status: request.status, title: request.title, rigId: request.rigId, priority: request.priority, labels: json(request.labels), metadata: json(request.metadata), createdBy: request.createdBy },
        now,
        principal.agentId,
      );
      await tx.beadEvent.create({
        data: { townId, beadId: escalation.id, agentId: principal.agentId, eventType: "escalated", newValue: severity, createdAt: now },
      });
      let mayorMailed = false;
      if (severity !== "low") {
        const mayor = await findMayor(tx, townId);
        if (mayor && mayor.beadId !== principal.agentId) {
          await sendMail(
            tx,
            townId,
            {
              fromAgentId: principal.agentId,
              toAgentId: mayor.beadId,
              subject: `Escalation (${severity}) from ${agent.bead.title}: ${input.title}`.slice(0, 200),
              body: `${input.body ?? ""}\n\nEscalation bead: ${escalation.id}`.trim(),
            },
            now,
          );
          mayorMailed = true;
        }
        await tx.notification.create({
          data: { townId, kind: "escalation", message: `Escalation (${severity}) from ${agent.bead.title}: ${input.title}`, beadId: escalation.id, createdAt: now },
        });
      }
      return { status: 201, body: { escalation_id: escalation.id, severity, mayor_notified: mayorMailed } };
    });
  },
});

export const gtMailSend = defineTool({
  ...TOOL_CATALOG.gt_mail_send,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const recipient = await tx.agentMetadata.findFirst({ where: { beadId: input.to_agent_id, townId: principal.townId }, select: { beadId: true } });
      if (!recipient) throw notFound(`Agent ${input.to_agent_id} not found in this town.`);
      const mail = await sendMail(tx, principal.townId, { fromAgentId: principal.agentId, toAgentId: recipient.beadId, subject: input.subject, body: input.body }, now);
      // (made due: working agents get their mail pushed by the tick's housekeeping)
      return { status: 201, body: { mail_id: mail.id } };
    });
  },
});

/** A bead of the caller's town with its satellites. Mail is private to its sender, recipient and the mayor. */
export const gtBeadStatus = defineTool({
  ...TOOL_CATALOG.gt_bead_status,
  async run({ db, principal }, input) {
    const bead = await db.bead.findFirst({
      where: { id: input.bead_id, townId: principal.townId },
      include: {
        review: true,
        convoy: true,
        escalation: true,
        hookedBy: { select: { beadId: true, role: true, status: true } },
        dependencies: { select: { dependsOnBeadId: true, dependencyType: true, dependsOn: { select: { status: true, type: true } } } },
      },
    });
    const privateMail =
      bead?.type === "message" &&
      principal.role !== "mayor" &&
      bead.assigneeAgentBeadId !== principal.agentId &&
      bead.createdBy !== principal.agentId;
    if (!bead || privateMail) throw notFound(`Bead ${input.bead_id} not found in this town.`);
    return {
      body: {
        bead: {
          ...beadDetail(bead),
          review: bead.review
            ? { branch: bead.review.branch, target_branch: bead.review.targetBranch, pr_url: bead.review.prUrl, retry_count: bead.review.retryCount }
            : null,
          convoy: bead.convoy
            ? {
                total_beads: bead.convoy.totalBeads,
                closed_beads: bead.convoy.closedBeads,
                feature_branch: bead.convoy.featureBranch,
                merge_mode: bead.convoy.mergeMode ?? "review-then-land",
                staged: bead.convoy.staged,
                landed_at: bead.convoy.landedAt?.toISOString() ?? null,
              }
            : null,
          escalation: bead.escalation ? { severity: bead.escalation.severity, acknowledged: bead.escalation.acknowledged } : null,
          hooked_by: bead.hookedBy.map((a) => ({ agent_id: a.beadId, role: a.role, status: a.status })),
          depends_on: bead.dependencies.map((d) => ({ bead_id: d.dependsOnBeadId, type: d.dependencyType, status: d.dependsOn.status, bead_type: d.dependsOn.type })),
        },
      },
    };
  },
});
