import type { z } from "zod";
import type { PrismaClient } from "../../db/generated/client";
import type { AgentRole } from "../../domain/types";
import type { CreateBranchResult } from "../../adapters/github/types";
import type { TownRef } from "../../adapters/github/tenancy";
import type { AgentPrincipal } from "../../secrets/agent-tokens";

// What every agent tool is: a body schema, the roles allowed to call it (all when absent), and one server
// function. The route does the rest (size, auth, JSON, lookup, parse, role) before `run` sees anything.

/** Creating a convoy's feature branch on GitHub (DOMAIN.md §6.6): best effort, after the commit. */
export interface FeatureBranchCreator {
  /** `town` and `townToken` go to the shared token resolver (SPEC.md §5 Tenants). */
  createBranch(input: { town: TownRef; townToken: string | null; repoUrl: string; branch: string; fromBranch?: string }): Promise<CreateBranchResult>;
}

export interface ToolContext {
  db: PrismaClient;
  principal: AgentPrincipal;
  now: Date;
  github?: FeatureBranchCreator | null;
  /** the token signing key the route verified with (tests pass their own); minting uses the same */
  tokenKey?: string;
}

export interface ToolResult {
  /** 200 unless said otherwise (202 for the tools that only enqueue an event) */
  status?: number;
  body: Record<string, unknown>;
}

export interface AgentTool<S extends z.ZodType = z.ZodType> {
  schema: S;
  roles?: readonly AgentRole[];
  /** one line for the unknown-tool answer and the docs */
  description: string;
  run(ctx: ToolContext, input: z.output<S>): Promise<ToolResult>;
}

export function defineTool<S extends z.ZodType>(tool: AgentTool<S>): AgentTool<S> {
  return tool;
}
