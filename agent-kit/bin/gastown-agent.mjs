#!/usr/bin/env node
// gastown-agent: the one entry of the agent kit (SPEC.md §4.4b). Plain ESM so `node` runs it from any
// cwd; it registers tsx (with the repository's tsconfig, found from this file, not from the cwd) and
// imports the kit's TypeScript, which imports the server's zod schemas directly.
//   gastown-agent mcp [--extra-tools <module>]   stdio MCP server `gastown` for GASTOWN_AGENT_ROLE
//   gastown-agent gt <tool> [--json '{…}'] [--field value …]
//   gastown-agent run <claude|codex> …            launch a coding agent (src/launchers/)
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.resolve(here, "../src");
register({ tsconfig: path.resolve(here, "../../tsconfig.json") });

const USAGE = `usage: gastown-agent <command>

  mcp [--extra-tools <module>]     serve the agent API's tools for your role over MCP (stdio)
  gt <tool> [--field value …]      call one tool from a shell; gt --help lists them
  run <claude|codex> [args …]      prepare the workspace and run a coding agent with the MCP server

Environment: GASTOWN_API_URL, GASTOWN_AGENT_TOKEN, GASTOWN_AGENT_ROLE (see agent-kit/README.md).`;

const importSrc = (file) => import(pathToFileURL(path.join(src, file)).href);

async function main(argv) {
  const [command, ...rest] = argv;
  switch (command) {
    case "mcp": {
      const { runMcpServer } = await importSrc("mcp.ts");
      let extraTools;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === "--extra-tools" && rest[i + 1]) {
          // A module exporting createExtraTools(env): the launcher's kit-local tools (e.g. a refinery's).
          const mod = await import(pathToFileURL(path.resolve(rest[++i])).href);
          if (typeof mod.createExtraTools !== "function") throw new Error(`${rest[i]} does not export createExtraTools(env).`);
          extraTools = mod.createExtraTools;
        } else {
          process.stderr.write(`gastown-agent mcp: unknown argument ${rest[i]}\n`);
          return 2;
        }
      }
      await runMcpServer({ extraTools });
      return 0;
    }
    case "gt": {
      const { runGtCli } = await importSrc("cli.ts");
      return runGtCli(rest);
    }
    case "run": {
      const launchers = path.join(src, "launchers/index.ts");
      if (!existsSync(launchers)) {
        process.stderr.write("gastown-agent run: the launchers are not part of this build yet (agent-kit/src/launchers/index.ts is missing).\n");
        return 2;
      }
      const { runLauncher } = await importSrc("launchers/index.ts");
      return runLauncher(rest);
    }
    case undefined:
      process.stderr.write(`${USAGE}\n`);
      return 2;
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`gastown-agent: unknown command ${String(command).slice(0, 60)}\n\n${USAGE}\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Only the message (the kit's errors name variables, never their values); no stack with env in it.
  process.stderr.write(`gastown-agent: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
