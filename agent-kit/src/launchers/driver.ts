import type { AgentRole } from "../../../server/domain/types";
import type { Activity, ToolCall } from "./stream";

// What the launcher needs from a coding-agent CLI (Claude Code, Codex): run one headless turn in a
// directory with the gastown MCP server attached and the role's tools allowed; report activity while it
// runs and, at the end, the outcome. The launcher (worker.ts, mayor.ts) owns everything else.

export interface McpServerCommand {
  command: string;
  args: string[];
}

export interface TurnRequest {
  role: AgentRole;
  prompt: string;
  /** The repository (polecat/refinery) or the agent's working directory (mayor). */
  cwd: string;
  /** The agent's env: the launcher's, without the GitHub token; carries GASTOWN_AGENT_TOKEN for the MCP server. */
  env: NodeJS.ProcessEnv;
  mcp: McpServerCommand;
  /** Bare MCP tool names the role may call (gt_prime, review_pass …). */
  mcpTools: string[];
  /** The agent's own tools a role may use (polecat: write and commit; refinery: read only). */
  access: "write" | "read";
  /** Extra allowed tool patterns from the operator (`--allow-tool`). */
  extraAllowedTools: string[];
  /** Continue this session (the mayor's chat). */
  resumeSessionId?: string | null;
  /** A folder of the run, outside the repository, for config files. */
  runDir: string;
  model?: string;
  onLog: (line: string) => void;
  onActivity: (activity: Activity) => void;
  stop: AbortSignal;
}

export interface TurnResult {
  /** Process exit code (null when killed or not started). */
  exitCode: number | null;
  stopped: boolean;
  /** The agent reported a failed run (error result), or could not be started. */
  failed: boolean;
  failureReason?: string;
  sessionId: string | null;
  finalText: string;
  calls: ToolCall[];
}

export interface AgentDriver {
  name: "claude" | "codex";
  runTurn(request: TurnRequest): Promise<TurnResult>;
}
