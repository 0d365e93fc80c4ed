import path from "node:path";
import { fileURLToPath } from "node:url";
import { AgentEnvError, createAgentApi, readAgentEnv } from "../api-client";
import { redactToken } from "../workspace";
import { LAUNCHER_USAGE, UsageError, parseLauncherArgs } from "./args";
import { createClaudeDriver } from "./claude";
import { createCodexDriver } from "./codex";
import type { LauncherContext } from "./context";
import { runMayor } from "./mayor";
import { EXIT_FAILED, EXIT_STOPPED, runWorker } from "./worker";

// `gastown-agent run <claude|codex> …` (SPEC.md §4.4b): what the `local` runtime starts for an agent, in the
// agent's working directory with the env contract. Reads the env, picks the driver, runs the mayor's chat
// loop or a polecat's/refinery's single run, and turns SIGTERM into a clean stop (the agent process is
// told to stop, nothing is pushed or reported, exit 143). Everything it prints goes to the agent's log
// with every token it knows replaced.

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/gastown-agent.mjs");

export async function runLauncher(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options;
  try {
    options = parseLauncherArgs(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`gastown-agent run: ${error.message}\n\n${LAUNCHER_USAGE}\n`);
      return 2;
    }
    throw error;
  }
  let agentEnv;
  try {
    agentEnv = readAgentEnv(env);
  } catch (error) {
    if (error instanceof AgentEnvError) {
      process.stderr.write(`gastown-agent run: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }

  let token = agentEnv.token;
  const api = createAgentApi({ apiUrl: agentEnv.apiUrl, token, onTokenRefresh: (next) => (token = next) });
  const gitToken = env.GASTOWN_GIT_TOKEN || null;
  const log = (line: string) => process.stdout.write(`${redactToken(api.redact(line), gitToken)}\n`);

  const stopper = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopper.signal.aborted) log(`[gastown] ${signal}: stopping the agent`);
    stopper.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const driver = options.agent === "claude" ? createClaudeDriver({ bin: options.bin, graceMs: options.stopGraceMs }) : createCodexDriver({ bin: options.bin, graceMs: options.stopGraceMs });
  const ctx: LauncherContext = {
    env,
    agentEnv,
    api,
    driver,
    options,
    workDir: process.cwd(),
    mcp: { command: process.execPath, args: [BIN, "mcp"] },
    log,
    stop: stopper.signal,
    currentToken: () => token,
  };
  log(`[gastown] ${options.agent} launcher for ${agentEnv.role} ${agentEnv.agentId ?? "?"}${agentEnv.beadId ? ` on bead ${agentEnv.beadId}` : ""}`);
  try {
    const code = agentEnv.role === "mayor" ? await runMayor(ctx) : await runWorker(ctx);
    return stopper.signal.aborted ? EXIT_STOPPED : code;
  } catch (error) {
    log(`[gastown] launcher failed: ${error instanceof Error ? error.message : String(error)}`);
    return stopper.signal.aborted ? EXIT_STOPPED : EXIT_FAILED;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
