// GET /api/health — for load balancers and uptime checks (issue 16): 200 when the database answers, 503 when
// it does not, with the ticker's last sweep. No auth, no town data, never cached. Logic: server/services/health.ts.
import { checkHealth } from "@/server/services/health";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const { status, body } = await checkHealth();
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

export { GET as HEAD };
