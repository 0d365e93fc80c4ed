// POST /api/agent/<tool> — the agent API (SPEC.md §4.3). Called by running agents with their bearer token
// (gt_heartbeat every ~30 s per agent, gt_prime at start, gt_done once per task, other tools as the agent
// works) and by the agent runtime for agent_completed / container_status callbacks. Thin: everything is
// in server/agent-api (size → token → JSON → tool → body → role → one server function).
import { getDb } from "@/server/db/client";
import { defaultFeatureBranchCreator } from "@/server/agent-api/github";
import { handleAgentRequest } from "@/server/agent-api/handler";

export const dynamic = "force-dynamic";

export async function POST(req: Request, ctx: { params: Promise<{ tool: string }> }): Promise<Response> {
  const { tool } = await ctx.params;
  return handleAgentRequest(req, tool, { db: getDb(), now: new Date(), github: defaultFeatureBranchCreator() });
}
