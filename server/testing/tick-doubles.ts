import type { AgentRuntime, AgentStartSpec, RuntimeAgentStatus, StartResult, StopResult } from "../adapters/agent-runtime/types";
import type { GitHub } from "../adapters/github/types";
import { mintAgentTokenSql } from "../secrets/agent-tokens";
import { getPool } from "../db/pool";
import { applyEvent } from "../domain/apply-event";
import type { AgentRole } from "../domain/types";
import type { TickDeps } from "../tick/types";

// In-memory doubles of the two ports the tick talks to (SPEC.md: only systems outside our control sit
// behind a port). Our own code — drain, domain, repo, executors — is the real thing.

export class RecordingRuntime implements AgentRuntime {
  readonly kind = "local" as const;
  /** the operator's name for it ("test" unless a test needs two runtimes apart) */
  constructor(readonly name: string = "test") {}
  starts: AgentStartSpec[] = [];
  stops: { agentId: string; reason: string }[] = [];
  statuses = new Map<string, RuntimeAgentStatus>();
  /** what start answers; a function may throw */
  onStart: (spec: AgentStartSpec) => StartResult | Promise<StartResult> = () => ({ started: true, pid: 4242, logPath: "/tmp/agent.log" });

  async start(spec: AgentStartSpec): Promise<StartResult> {
    this.starts.push(spec);
    const res = await this.onStart(spec);
    if (res.started) this.statuses.set(spec.agentId, { status: "running" });
    return res;
  }
  async stop(agentId: string, reason: string): Promise<StopResult> {
    this.stops.push({ agentId, reason });
    this.statuses.set(agentId, { status: "exited", exitCode: 143 });
    return { stopped: true };
  }
  async status(agentIds: string[]) {
    const out = new Map<string, RuntimeAgentStatus>();
    for (const id of agentIds) out.set(id, this.statuses.get(id) ?? { status: "running" });
    return out;
  }
  async readLog() {
    return "";
  }
}

/** A GitHub double that answers "no status" (tests of the real adapter use the fake GitHub server). */
export const unreachableGitHub = {
  webUrl: "https://github.com",
  samePrRepo: () => true,
  getPrStatus: async () => null,
  checkPrFeedback: async () => null,
  mergePr: async () => ({ merged: false, reason: "test double" }),
  createBranch: async () => ({ created: false, reason: "test double" }),
} as unknown as GitHub;

export function testTickDeps(over: Partial<TickDeps> & { runtime?: AgentRuntime | null } = {}): TickDeps & { captured: { err: unknown; tags: Record<string, string> }[] } {
  const captured: { err: unknown; tags: Record<string, string> }[] = [];
  const runtime = over.runtime === undefined ? new RecordingRuntime() : over.runtime;
  return {
    pool: getPool(),
    github: unreachableGitHub,
    runtimeFor: () => {
      if (!runtime) throw new Error("no runtime");
      return runtime;
    },
    resolveGitHubToken: (_town, t) => (typeof t === "string" && t.trim() !== "" ? t : null),
    repoRefusal: () => null,
    mintToken: (client, claims, now) => mintAgentTokenSql(client as never, { ...claims, role: claims.role as AgentRole }, now),
    applyEvent,
    apiUrl: "http://127.0.0.1:9",
    captureException: (err, tags) => captured.push({ err, tags }),
    instanceId: "test",
    ...over,
    captured,
  };
}
