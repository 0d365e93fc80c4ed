import { enqueueTownEvent, inTownTransaction } from "../store";
import { TOOL_CATALOG } from "../catalog";
import { defineTool } from "./define";

// gt_done and the runtime callbacks only record facts (DOMAIN.md §3, §11 #1): the tick applies them in
// seq order on its next drain. Nothing here looks at the agent's hook — an agent unhooked a moment ago
// still gets its late done/exit recorded, and agentDone / agentCompleted decide what it means.

export const gtDone = defineTool({
  ...TOOL_CATALOG.gt_done,
  async run({ db, principal, now }, input) {
    const eventId = await inTownTransaction(db, principal.townId, now, (tx) =>
      enqueueTownEvent(
        tx,
        principal.townId,
        "agent_done",
        { agentId: principal.agentId, payload: { branch: input.branch, pr_url: input.pr_url ?? null, summary: input.summary ?? null } },
        now,
      ),
    );
    return { status: 202, body: { accepted: true, event_id: eventId, message: "Done recorded; the next tick unhooks you and moves your work on. Nothing more to do: you may exit." } };
  },
});

export const agentCompleted = defineTool({
  ...TOOL_CATALOG.agent_completed,
  async run({ db, principal, now }, input) {
    const eventId = await inTownTransaction(db, principal.townId, now, (tx) =>
      enqueueTownEvent(tx, principal.townId, "agent_completed", { agentId: principal.agentId, payload: { status: input.status, reason: input.reason ?? null } }, now),
    );
    return { status: 202, body: { accepted: true, event_id: eventId } };
  },
});

export const containerStatus = defineTool({
  ...TOOL_CATALOG.container_status,
  async run({ db, principal, now }, input) {
    const eventId = await inTownTransaction(db, principal.townId, now, (tx) =>
      enqueueTownEvent(
        tx,
        principal.townId,
        "container_status",
        { agentId: principal.agentId, payload: { status: input.status, exit_reason: input.exit_reason ?? null } },
        now,
      ),
    );
    return { status: 202, body: { accepted: true, event_id: eventId } };
  },
});
