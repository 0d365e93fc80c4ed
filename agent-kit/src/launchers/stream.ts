// Claude Code's `--output-format stream-json --verbose` (one JSON object a line) turned into what the
// launcher needs: readable lines for the agent's log (the bounded log the Agents page shows), the
// activity a heartbeat reports (last_event_type / last_event_at / active_tools), the session id (to
// `--resume` the mayor's conversation), the final text, and which tools were called with what outcome
// (to know whether the agent already called gt_done). Anything that is not JSON is passed through.

export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** Undefined while running; then whether the tool reported an error. */
  ok?: boolean;
  resultText?: string;
}

export interface Activity {
  lastEventType: string | null;
  lastEventAt: string | null;
  activeTools: string[];
}

export interface StreamState {
  sessionId: string | null;
  finalText: string;
  /** The `result` line's verdict (is_error or a non-success subtype); null before it arrives. */
  resultError: boolean | null;
  resultSubtype: string | null;
  calls: ToolCall[];
  activity: Activity;
}

export function newStreamState(): StreamState {
  return { sessionId: null, finalText: "", resultError: null, resultSubtype: null, calls: [], activity: { lastEventType: null, lastEventAt: null, activeTools: [] } };
}

const clip = (text: string, max = 400) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

function blocks(content: unknown): Array<Record<string, unknown>> {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? (content as Array<Record<string, unknown>>) : [];
}

function resultText(content: unknown): string {
  return blocks(content)
    .map((b) => (b.type === "text" ? String(b.text ?? "") : ""))
    .join("\n");
}

/** A short view of a tool's input for the log (a file path, a command), not whole file contents. */
function describeInput(name: string, input: Record<string, unknown>): string {
  for (const key of ["command", "file_path", "path", "pattern", "url"]) if (typeof input[key] === "string") return clip(String(input[key]), 200);
  if (name.startsWith("mcp__")) return clip(JSON.stringify(input), 200);
  return "";
}

/**
 * Feeds one line of Claude's stdout into the state; returns the readable lines to print for it.
 * `now` is injected for tests.
 */
export function consumeStreamLine(state: StreamState, line: string, now: () => Date = () => new Date()): string[] {
  const trimmed = line.trim();
  if (!trimmed) return [];
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(trimmed);
  } catch {
    return [trimmed];
  }
  if (!event || typeof event !== "object") return [trimmed];
  const touch = (type: string) => {
    state.activity.lastEventType = type;
    state.activity.lastEventAt = now().toISOString();
  };
  const active = () => state.calls.filter((c) => c.ok === undefined).map((c) => c.name);
  if (typeof event.session_id === "string") state.sessionId = event.session_id;

  switch (event.type) {
    case "system": {
      if (event.subtype === "init") {
        touch("session_start");
        const servers = Array.isArray(event.mcp_servers) ? (event.mcp_servers as Array<{ name?: string; status?: string }>) : [];
        const mcp = servers.map((s) => `${s.name}:${s.status}`).join(", ");
        return [`[claude] session ${String(event.session_id ?? "?").slice(0, 8)} started (model ${String(event.model ?? "?")}${mcp ? `; mcp ${mcp}` : ""})`];
      }
      return [];
    }
    case "assistant": {
      const out: string[] = [];
      const message = (event.message ?? {}) as { content?: unknown };
      for (const b of blocks(message.content)) {
        if (b.type === "text" && String(b.text ?? "").trim()) {
          touch("assistant_text");
          out.push(`[claude] ${clip(String(b.text))}`);
        } else if (b.type === "tool_use") {
          const call: ToolCall = { id: String(b.id ?? ""), name: String(b.name ?? "?"), input: (b.input ?? {}) as Record<string, unknown> };
          state.calls.push(call);
          touch(`tool_use:${call.name}`.slice(0, 200));
          const detail = describeInput(call.name, call.input);
          out.push(`[claude] → ${call.name}${detail ? ` ${detail}` : ""}`);
        }
      }
      state.activity.activeTools = active();
      return out;
    }
    case "user": {
      const out: string[] = [];
      const message = (event.message ?? {}) as { content?: unknown };
      for (const b of blocks(message.content)) {
        if (b.type !== "tool_result") continue;
        const call = state.calls.find((c) => c.id === b.tool_use_id);
        const ok = b.is_error !== true;
        const text = resultText(b.content);
        if (call) {
          call.ok = ok;
          call.resultText = text;
        }
        touch(`tool_result:${call?.name ?? "?"}`.slice(0, 200));
        out.push(`[claude] ← ${call?.name ?? "tool"} ${ok ? "ok" : "ERROR"}${text ? `: ${clip(text, 200)}` : ""}`);
      }
      state.activity.activeTools = active();
      return out;
    }
    case "result": {
      touch("result");
      state.resultSubtype = typeof event.subtype === "string" ? event.subtype : null;
      state.resultError = event.is_error === true || (state.resultSubtype !== null && state.resultSubtype !== "success");
      if (typeof event.result === "string") state.finalText = event.result;
      state.activity.activeTools = [];
      const turns = typeof event.num_turns === "number" ? `, ${event.num_turns} turns` : "";
      return [`[claude] finished: ${state.resultSubtype ?? "?"}${state.resultError ? " (error)" : ""}${turns}`];
    }
    default:
      return [];
  }
}

/** Whether a tool (by its bare name, e.g. `gt_done`) was called and succeeded. */
export function calledSuccessfully(state: Pick<StreamState, "calls">, bareName: string): boolean {
  return state.calls.some((c) => c.ok === true && (c.name === bareName || c.name.endsWith(`__${bareName}`)));
}
