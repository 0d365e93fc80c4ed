import { parsePrUrl } from "../../adapters/github/types";
import { githubWebUrl } from "../../services/github-url";
import { enqueueTownEvent, inTownTransaction } from "../store";
import { TOOL_CATALOG } from "../catalog";
import { badRequest } from "../errors";
import { defineTool } from "./define";

// gt_done and the runtime callbacks only record facts (DOMAIN.md §3, §11 #1): the tick applies them in
// seq order on its next drain. Nothing here looks at the agent's hook — an agent unhooked a moment ago
// still gets its late done/exit recorded, and agentDone / agentCompleted decide what it means.

export const gtDone = defineTool({
  ...TOOL_CATALOG.gt_done,
  async run({ db, principal, now }, input) {
    // A PR URL must be a pull request on GITHUB_WEB_URL's host (SPEC.md §4.5): refused now, with the shape it
    // needs, rather than accepted and failed ten polls later. A blank one means "no PR".
    const prUrl = input.pr_url?.trim() ? input.pr_url.trim() : null;
    if (prUrl) {
      const web = githubWebUrl();
      if (!parsePrUrl(prUrl, web)) {
        const message = `pr_url must be a pull request on ${web}: ${web}/<owner>/<repo>/pull/<number>; got "${prUrl.slice(0, 200)}"`;
        throw badRequest(message, [{ path: ["pr_url"], message, code: "invalid_pr_url" }]);
      }
    }
    const eventId = await inTownTransaction(db, principal.townId, now, (tx) =>
      enqueueTownEvent(
        tx,
        principal.townId,
        "agent_done",
        { agentId: principal.agentId, payload: { branch: input.branch, pr_url: prUrl, summary: input.summary ?? null } },
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
