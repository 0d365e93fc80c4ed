// GET/POST /api/auth/* — better-auth's sign-up, sign-in, sign-out and session endpoints, called by the browser.
import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/server/auth/auth";

export const dynamic = "force-dynamic";

const handler = (req: Request) => getAuth().handler(req);
export const { GET, POST } = toNextJsHandler(handler);
