import { raiseEscalation, requestChanges } from "../../domain/operations";
import { prismaTownRepo } from "../../tick/pg-repo";
import { isTerminal } from "../../domain/types";
import { conflict, notFound } from "../errors";
import {
  beadDetail,
  enqueueTownEvent,
  getTownBead,
  inTownTransaction,
  json,
  loadCaller,
  sendMail,
} from "../store";
import { TOOL_CATALOG } from "../catalog";
import { defineTool } from "./define";

// Tools every agent has for its work: rework requests (refinery), escalations, mail, bead lookups.

/**
 * gt_request_changes (DOMAIN.md §6.2 rework loop): the refinery, hooked to an MR, asks for changes — the
 * domain's requestChanges writes the `gt:rework` issue that blocks the MR; B1 dispatches a polecat to it,
 * whose gt_done closes it, and the MR is then re-queued for review.
 */
export const gtRequestChanges = defineTool({
  ...TOOL_CATALOG.gt_request_changes,
  async run({ db, principal, now }, input) {
    return inTownTransaction(db, principal.townId, now, async (tx) => {
      const townId = principal.townId;
      const agent = await loadCaller(tx, principal);
      if (!agent.currentHookBeadId) throw conflict("You are not hooked to a merge request; gt_request_changes needs the MR you are reviewing.");
      await getTownBead(tx, townId, agent.currentHookBeadId); // 404 when it is gone
      const repo = prismaTownRepo(tx, townId);
      const mr = (await repo.getBead(agent.currentHookBeadId))!;
      if (mr.type !== "merge_request") throw conflict(`Your hooked bead ${mr.id} is a ${mr.type}, not a merge request.`);
      if (isTerminal(mr.status)) throw conflict(`Merge request ${mr.id} is already ${mr.status}.`);
      const { rework, event } = await requestChanges(repo, mr, { feedback: input.feedback, files: input.files, agentId: principal.agentId }, now);
      // The agent API's timeline convention: each bead an agent creates has a `created` event naming it.
      await tx.beadEvent.create({
        data: { townId, beadId: rework.id, agentId: principal.agentId, eventType: "created", newValue: rework.status, metadata: json({ type: rework.type }), createdAt: now },
      });
      await enqueueTownEvent(tx, townId, event.eventType, { beadId: event.beadId, agentId: event.agentId, payload: event.payload }, now);
      return { status: 201, body: { rework_bead_id: rework.id, mr_bead_id: mr.id } };
    });
  },
});

/**
 * gt_escalate (DOMAIN.md §5.4): the domain's escalation (operations.ts raiseEscalation), raised by the
 * calling agent about its current work; above `low` the mayor gets mail from it and the town a
 * notification people see on the overview.
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
      const raised = await raiseEscalation(
        prismaTownRepo(tx, townId),
        {
          title: input.title,
          body: input.body ?? null,
          severity,
          rigId: agent.bead.rigId,
          metadata: {
            ...(input.metadata ?? {}),
            source_agent_id: principal.agentId,
            ...(hook ? { source_bead_id: hook } : {}),
            ...(convoy ? { convoy_id: convoy.dependsOnBeadId } : {}),
          },
          raisedBy: { agentId: principal.agentId, name: agent.bead.title },
        },
        now,
      );
      // The agent API's timeline convention: each bead an agent creates has a `created` event naming it.
      const created = [raised.escalation, raised.triageRequest, raised.mayorMail].filter((b) => b !== null);
      await tx.beadEvent.createMany({
        data: created.map((b) => ({ townId, beadId: b.id, agentId: principal.agentId, eventType: "created", newValue: b.status, metadata: json({ type: b.type }), createdAt: now })),
      });
      if (raised.mayorMail) {
        await tx.beadEvent.create({
          data: { townId, beadId: raised.mayorMail.id, agentId: principal.agentId, eventType: "mail_sent", newValue: raised.mayorMail.assigneeAgentBeadId, createdAt: now },
        });
      }
      return { status: 201, body: { escalation_id: raised.escalation.id, severity, mayor_notified: raised.mayorMail !== null } };
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
