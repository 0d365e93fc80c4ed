// GET/POST /api/auth/* — better-auth's sign-up, sign-in, sign-out and session endpoints, called by the browser.
import { toNextJsHandler } from "better-auth/next-js";
import { forgetSession, getAuth, handleAuthRequest } from "@/server/auth/auth";

export const dynamic = "force-dynamic";

const handler = (req: Request) => {
  // signing out ends the session in this process at once, not after the session memo's few seconds
  if (new URL(req.url).pathname.endsWith("/sign-out")) forgetSession(req.headers);
  return handleAuthRequest(getAuth(), req);
};
export const { GET, POST } = toNextJsHandler(handler);
