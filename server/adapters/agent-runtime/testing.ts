import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AgentStartSpec } from "./types";

/**
 * Test helpers for the agent runtimes: a spec builder and a fake `http` runtime server on loopback that
 * speaks the SPEC.md §4.4 protocol, records every call, and can refuse, fail or hang on demand.
 */

export function agentSpec(overrides: Partial<AgentStartSpec> = {}): AgentStartSpec {
  return {
    agentId: "agent-1",
    role: "polecat",
    townId: "town-1",
    rigId: "rig-1",
    beadId: "bead-1",
    branch: "gt/toast/bead-1",
    targetBranch: "main",
    prUrl: null,
    gitUrl: "https://github.com/acme/widgets.git",
    prompt: "Implement the thing.",
    apiUrl: "http://127.0.0.1:1",
    agentToken: "agent-token-SECRET-1234567890",
    gitToken: "ghp_gitTokenSECRET0987654321",
    townEnv: {},
    ...overrides,
  };
}

export interface FakeRuntimeCall {
  method: string;
  path: string;
  body: unknown;
  /** Whether the expected bearer secret was presented (the header itself is not recorded). */
  authorized: boolean;
}

export type FakeRuntimeBehaviour =
  | "ok"
  | "hang"
  | "malformed"
  | { status: number; body?: unknown };

export interface FakeRuntimeServer {
  url: string;
  secret: string;
  calls: FakeRuntimeCall[];
  /** Agents the fake believes it runs: id → status / exit code. */
  agents: Map<string, { status: "running" | "exited"; exitCode?: number }>;
  /** How the next requests of an endpoint are answered (default "ok"). */
  behave(endpoint: "start" | "stop" | "status", behaviour: FakeRuntimeBehaviour): void;
  close(): Promise<void>;
}

export async function startFakeRuntime(options: { secret?: string } = {}): Promise<FakeRuntimeServer> {
  const secret = options.secret ?? "runtime-secret-XYZ-123456";
  const calls: FakeRuntimeCall[] = [];
  const agents = new Map<string, { status: "running" | "exited"; exitCode?: number }>();
  const behaviours: Record<"start" | "stop" | "status", FakeRuntimeBehaviour> = { start: "ok", stop: "ok", status: "ok" };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  function handle(req: IncomingMessage, res: ServerResponse, body: unknown) {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const authorized = req.headers.authorization === `Bearer ${secret}`;
    calls.push({ method: req.method ?? "", path, body, authorized });

    let endpoint: "start" | "stop" | "status" | null = null;
    let agentId = "";
    const stopMatch = path.match(/^\/agents\/([^/]+)\/stop$/);
    const statusMatch = path.match(/^\/agents\/([^/]+)\/status$/);
    if (req.method === "POST" && path === "/agents/start") endpoint = "start";
    else if (req.method === "POST" && stopMatch) [endpoint, agentId] = ["stop", decodeURIComponent(stopMatch[1])];
    else if (req.method === "GET" && statusMatch) [endpoint, agentId] = ["status", decodeURIComponent(statusMatch[1])];
    if (!endpoint) return send(res, 404, { error: "not found" });
    if (!authorized) return send(res, 401, { error: "unauthorized" });

    const behaviour = behaviours[endpoint];
    if (behaviour === "hang") return;
    if (behaviour === "malformed") {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end("{ nope");
    }
    if (behaviour !== "ok") return send(res, behaviour.status, behaviour.body ?? { error: "refused" });

    if (endpoint === "start") {
      const id = (body as { agent_id?: string } | undefined)?.agent_id;
      if (!id) return send(res, 400, { error: "agent_id required" });
      agents.set(id, { status: "running" });
      return send(res, 200, { started: true });
    }
    if (endpoint === "stop") {
      const agent = agents.get(agentId);
      if (!agent) return send(res, 404, { error: "unknown agent" });
      agents.set(agentId, { status: "exited", exitCode: 143 });
      return send(res, 200, { stopped: true });
    }
    const agent = agents.get(agentId);
    if (!agent) return send(res, 404, { status: "not_found" });
    return send(res, 200, agent.exitCode === undefined ? { status: agent.status } : { status: agent.status, exit_code: agent.exitCode });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = raw || undefined;
      try {
        if (raw) body = JSON.parse(raw);
      } catch {
        // keep raw
      }
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    secret,
    calls,
    agents,
    behave(endpoint, behaviour) {
      behaviours[endpoint] = behaviour;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Poll until `check` holds (tests of processes and timers). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, label = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
