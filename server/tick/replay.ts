import { parseTownEvent } from "../domain/events";
import { reconcileDetailed } from "../domain/reconcile";
import type { Action } from "../domain/actions";
import { actionTarget } from "../domain/actions";
import { loadWorld } from "./load-world";
import { PgTownRepo } from "./pg-repo";
import type { RecordedAction, TickDeps } from "./types";

// Replay of an event window (DOMAIN.md §10): inside a transaction that is always rolled back, re-apply every
// event created in [from, to] — processed or not — on top of the live state, reconcile, and snapshot the
// agents and non-terminal beads. No side effect ever runs. Event-emitted actions come first.

export const REPLAY_CAVEAT =
  "Events are re-applied on the live state, not on a snapshot from before the window; handlers that are not idempotent may behave differently than they did. Use this to debug event flow only. Nothing was changed.";

export interface ReplayResult {
  caveat: string;
  eventsReplayed: number;
  eventErrors: { eventId: string; eventType: string; error: string }[];
  actions: RecordedAction[];
  stateSnapshot: {
    agents: { id: string; name: string; role: string; status: string; hook: string | null; dispatchAttempts: number; lastActivityAt: Date | null }[];
    nonTerminalBeads: { id: string; type: string; status: string; title: string; assignee: string | null; dispatchAttempts: number }[];
  };
}

export const MAX_REPLAY_EVENTS = 5000;

export async function replayEventWindow(deps: Pick<TickDeps, "pool" | "applyEvent">, townId: string, window: { from: Date; to: Date; now: Date }): Promise<ReplayResult> {
  const client = await deps.pool.connect();
  try {
    await client.query("BEGIN");
    const repo = new PgTownRepo(client, townId);
    const { rows } = await client.query(
      `SELECT event_id, event_type, agent_id, bead_id, payload, created_at FROM town_events
        WHERE town_id = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY seq LIMIT $4`,
      [townId, window.from, window.to, MAX_REPLAY_EVENTS],
    );
    const eventActions: { action: Action; eventId: string }[] = [];
    const eventErrors: ReplayResult["eventErrors"] = [];
    for (const r of rows) {
      await client.query("SAVEPOINT ev");
      try {
        const event = parseTownEvent({ id: r.event_id, eventType: r.event_type, agentId: r.agent_id, beadId: r.bead_id, payload: r.payload, createdAt: r.created_at });
        for (const action of await deps.applyEvent(repo, event, window.now)) eventActions.push({ action, eventId: r.event_id });
        await client.query("RELEASE SAVEPOINT ev");
      } catch (err) {
        await client.query("ROLLBACK TO SAVEPOINT ev");
        eventErrors.push({ eventId: r.event_id, eventType: r.event_type, error: err instanceof Error ? err.message : String(err) });
      }
    }
    const world = await loadWorld(client, townId, window.now);
    const { actions } = reconcileDetailed(world, window.now, { precedingActions: eventActions.map((e) => e.action) });
    const recorded: RecordedAction[] = [
      ...eventActions.map(({ action, eventId }) => record(action, eventId)),
      ...actions.map((a) => record(a)),
    ];
    return {
      caveat: REPLAY_CAVEAT,
      eventsReplayed: rows.length,
      eventErrors,
      actions: recorded,
      stateSnapshot: {
        agents: world.agents.map((a) => ({
          id: a.id,
          name: a.name,
          role: a.role,
          status: a.status,
          hook: a.currentHookBeadId,
          dispatchAttempts: a.dispatchAttempts,
          lastActivityAt: a.lastActivityAt,
        })),
        nonTerminalBeads: world.beads
          .filter((b) => b.status !== "closed" && b.status !== "failed")
          .map((b) => ({ id: b.id, type: b.type, status: b.status, title: b.title, assignee: b.assigneeAgentBeadId, dispatchAttempts: b.dispatchAttempts })),
      },
    };
  } finally {
    await client.query("ROLLBACK").catch(() => {});
    client.release();
  }
}

function record(action: Action, eventId?: string): RecordedAction {
  return { type: action.type, rule: action.rule, reason: action.reason, target: actionTarget(action), ...(eventId ? { eventId } : {}), state: "no_state_part" };
}
