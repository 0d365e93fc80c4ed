import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A scripted stand-in for the Anthropic Messages API (STACK.md §9), so the REAL Claude Code binary can be
// driven offline and deterministically. Claude Code calls `POST /v1/messages?beta=true` with `stream: true`
// and reads an SSE stream; this server answers each request of a conversation from a script and ASSERTS
// what it receives: the tools offered (e.g. the gastown MCP tools), and the tool results of the previous
// turn. A mismatch is recorded in `failures` and answered with a 400, so the agent stops and the test
// reports why. Requests that are not part of a scripted conversation (title generation, quota checks,
// token counting: they carry no tools) get a harmless answer and are not counted as steps.

export interface ModelToolUse {
  type: "tool_use";
  name: string;
  input: Record<string, unknown>;
}
export interface ModelText {
  type: "text";
  text: string;
}
export type ModelBlock = ModelToolUse | ModelText;

/** What Claude Code sent, reduced to what scripts look at. */
export interface ModelRequest {
  model: string;
  system: string;
  tools: string[];
  messages: Array<{ role: "user" | "assistant"; content: unknown }>;
  /** The tool results of the last user message, by the name of the tool that was called. */
  toolResults: Array<{ name: string; isError: boolean; text: string; input: Record<string, unknown> }>;
  /** Text of the first user message (the prompt the conversation started with). */
  prompt: string;
}

export interface ScriptStep {
  /** Throw (e.g. with expect()) when the request is not what this step expects. */
  check?: (req: ModelRequest) => void;
  /** The assistant's answer: text and/or tool calls. Tool calls end the turn with `tool_use`. */
  reply: (req: ModelRequest) => ModelBlock[];
}

export interface ModelScript {
  name: string;
  /** Which conversation this script plays, from its first request (e.g. the prompt names the role). */
  match: (req: ModelRequest) => boolean;
  steps: ScriptStep[];
}

export interface ScriptedModel {
  /** Base URL for ANTHROPIC_BASE_URL. */
  url: string;
  /** Every mismatch or unexpected request, in words. Empty when the scripts were followed. */
  failures: string[];
  /** Scripted steps played, per script name (side requests are not counted). */
  played: Record<string, number>;
  /** Scripted requests as received (for assertions after the run). */
  requests: Array<{ script: string; step: number; request: ModelRequest }>;
  /** Side requests answered harmlessly (path + a short description). */
  sideRequests: string[];
  /** Replace the scripts (a test may run several conversations one after another). */
  setScripts(scripts: ModelScript[]): void;
  close(): Promise<void>;
}

export const tool = (name: string, input: Record<string, unknown> = {}): ModelToolUse => ({ type: "tool_use", name, input });
export const say = (text: string): ModelText => ({ type: "text", text });

const RequestBodySchema = {
  parse(raw: unknown): { model: string; system: string; tools: string[]; messages: ModelRequest["messages"]; stream: boolean } {
    const body = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
    const system = Array.isArray(body.system)
      ? body.system.map((b) => (b && typeof b === "object" && "text" in b ? String((b as { text: unknown }).text) : "")).join("\n")
      : typeof body.system === "string"
        ? body.system
        : "";
    const tools = Array.isArray(body.tools) ? body.tools.map((t) => String((t as { name?: unknown })?.name ?? "")) : [];
    const messages = Array.isArray(body.messages) ? (body.messages as ModelRequest["messages"]) : [];
    return { model: String(body.model ?? "claude"), system, tools, messages, stream: body.stream === true };
  },
};

function blocksOf(content: unknown): Array<Record<string, unknown>> {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? (content as Array<Record<string, unknown>>) : [];
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return blocksOf(content)
    .map((b) => (b.type === "text" ? String(b.text ?? "") : b.type === "tool_result" ? textOf(b.content) : ""))
    .join("\n");
}

/** The request as scripts see it: tool results matched to the tool_use blocks that asked for them. */
export function describeRequest(body: ReturnType<typeof RequestBodySchema.parse>): ModelRequest {
  const uses = new Map<string, { name: string; input: Record<string, unknown> }>();
  for (const m of body.messages) {
    if (m.role !== "assistant") continue;
    for (const b of blocksOf(m.content)) if (b.type === "tool_use") uses.set(String(b.id), { name: String(b.name), input: (b.input ?? {}) as Record<string, unknown> });
  }
  const last = body.messages.at(-1);
  const toolResults =
    last?.role === "user"
      ? blocksOf(last.content)
          .filter((b) => b.type === "tool_result")
          .map((b) => {
            const use = uses.get(String(b.tool_use_id));
            return { name: use?.name ?? "?", input: use?.input ?? {}, isError: b.is_error === true, text: textOf(b.content) };
          })
      : [];
  const firstUser = body.messages.find((m) => m.role === "user");
  return { model: body.model, system: body.system, tools: body.tools, messages: body.messages, toolResults, prompt: firstUser ? textOf(firstUser.content) : "" };
}

function sse(res: ServerResponse, event: string, data: unknown) {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function writeMessage(res: ServerResponse, model: string, blocks: ModelBlock[], stream: boolean) {
  const id = `msg_${randomBytes(8).toString("hex")}`;
  const content = blocks.map((b) => (b.type === "tool_use" ? { ...b, id: `toolu_${randomBytes(8).toString("hex")}` } : b));
  const stopReason = blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  const usage = { input_tokens: 10, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id, type: "message", role: "assistant", model, content, stop_reason: stopReason, stop_sequence: null, usage }));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  sse(res, "message_start", {
    type: "message_start",
    message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  content.forEach((block, index) => {
    if (block.type === "text") {
      sse(res, "content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      sse(res, "content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } });
    } else {
      sse(res, "content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
      sse(res, "content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } });
    }
    sse(res, "content_block_stop", { type: "content_block_stop", index });
  });
  sse(res, "message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 10 } });
  sse(res, "message_stop", { type: "message_stop" });
  res.end();
}

function sendError(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ type: "error", error: { type: "invalid_request_error", message } }));
}

/** Starts the scripted model on 127.0.0.1 (a free port). */
export async function startScriptedModel(initial: ModelScript[] = []): Promise<ScriptedModel> {
  let scripts = initial;
  const failures: string[] = [];
  const played: Record<string, number> = {};
  const requests: ScriptedModel["requests"] = [];
  const sideRequests: string[] = [];
  // A conversation is known by its first user message; it keeps the script it was first matched to.
  const conversations = new Map<string, ModelScript>();

  function handle(req: IncomingMessage, raw: string, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "POST" && url.pathname === "/v1/messages/count_tokens") {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ input_tokens: 100 }));
    }
    if (req.method !== "POST" || url.pathname !== "/v1/messages") {
      sideRequests.push(`${req.method} ${url.pathname}`);
      // Unknown endpoints (telemetry, settings, quota): an empty JSON object is the harmless answer.
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end("{}");
    }
    let parsedJson: unknown;
    try {
      parsedJson = JSON.parse(raw);
    } catch {
      return sendError(res, 400, "scripted model: body is not JSON");
    }
    const body = RequestBodySchema.parse(parsedJson);
    const request = describeRequest(body);
    // Side requests (title generation, quota checks…) offer no tools; the agent's own turns always do.
    if (body.tools.length === 0) {
      sideRequests.push(`messages without tools (${body.model}): ${request.prompt.slice(0, 60).replace(/\s+/g, " ")}`);
      return writeMessage(res, body.model, [say("ok")], body.stream);
    }
    let script = conversations.get(request.prompt);
    if (!script) {
      script = scripts.find((s) => s.match(request));
      if (!script) {
        const failure = `no script matches a conversation starting with: ${request.prompt.slice(0, 200)}`;
        failures.push(failure);
        return sendError(res, 400, `scripted model: ${failure}`);
      }
      conversations.set(request.prompt, script);
    }
    // The step is the number of assistant turns so far: a retried request replays the same step.
    const stepIndex = body.messages.filter((m) => m.role === "assistant").length;
    const step = script.steps[stepIndex];
    if (!step) {
      const failure = `${script.name}: request ${stepIndex + 1} is beyond the script's ${script.steps.length} steps`;
      failures.push(failure);
      return sendError(res, 400, `scripted model: ${failure}`);
    }
    try {
      step.check?.(request);
    } catch (error) {
      const failure = `${script.name} step ${stepIndex + 1}: ${error instanceof Error ? error.message : String(error)}`;
      failures.push(failure);
      return sendError(res, 400, `scripted model: ${failure}`);
    }
    requests.push({ script: script.name, step: stepIndex, request });
    played[script.name] = Math.max(played[script.name] ?? 0, stepIndex + 1);
    writeMessage(res, body.model, step.reply(request), body.stream);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        handle(req, Buffer.concat(chunks).toString("utf8"), res);
      } catch (error) {
        failures.push(`scripted model crashed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendError(res, 500, "scripted model crashed");
        else res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failures,
    played,
    requests,
    sideRequests,
    setScripts(next) {
      scripts = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
