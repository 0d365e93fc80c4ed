import { describe, expect, it } from "vitest";
import { ACTION_PHASES, ACTION_TYPES, hasSideEffect, hasStatePart } from "./actions";

describe("actions", () => {
  it("covers every action of DOMAIN.md §4 except report_wasteland_done, plus our start_mayor", () => {
    expect([...ACTION_TYPES].sort()).toEqual(
      [
        "transition_bead", "assign_bead", "clear_bead_assignee", "create_mr_bead", "create_landing_mr", "close_sibling_mrs",
        "set_review_pr_url", "transition_agent", "reset_agent_dispatch_attempts", "hook_agent", "unhook_agent",
        "clear_agent_checkpoint", "delete_agent", "update_convoy_progress", "set_convoy_ready_to_land", "close_convoy",
        "fail_convoy", "create_triage_request", "notify_mayor", "emit_event", "dispatch_agent", "stop_agent", "poll_pr",
        "merge_pr", "send_nudge", "start_mayor",
      ].sort(),
    );
    expect(ACTION_TYPES).not.toContain("report_wasteland_done");
  });

  it("dispatch_agent is split: a state part in the state phase and a runtime side effect", () => {
    expect(ACTION_PHASES.dispatch_agent).toBe("split");
    expect(hasStatePart("dispatch_agent")).toBe(true);
    expect(hasSideEffect("dispatch_agent")).toBe(true);
  });

  it("stop_agent and merge_pr are pure side effects; transitions are pure state", () => {
    expect(hasStatePart("stop_agent")).toBe(false);
    expect(hasStatePart("merge_pr")).toBe(false);
    expect(hasSideEffect("transition_bead")).toBe(false);
    expect(hasSideEffect("notify_mayor")).toBe(false);
  });
});
