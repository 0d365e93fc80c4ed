import { describe, expect, it } from "vitest";
import type { SqlClient } from "../db/pool";
import { enqueueEvents } from "./enqueue";

// The one enqueue path validates every payload with its event's zod schema before anything is written —
// the tick's raw-pg callers included (they used to skip the check).

function recordingClient() {
  const queries: { text: string; params?: unknown[] }[] = [];
  const client: SqlClient = {
    async query(text: string, params?: unknown[]) {
      queries.push({ text, params });
      return { rows: [{ event_id: `e${queries.length}` }], rowCount: 1, command: "", oid: 0, fields: [] } as never;
    },
  };
  return { client, queries };
}

const now = new Date("2026-01-01T00:00:00Z");

describe("enqueueEvents", () => {
  it("refuses an invalid payload and writes nothing (not even the valid events of the batch)", async () => {
    const { client, queries } = recordingClient();
    await expect(
      enqueueEvents(
        client,
        "town-1",
        [
          { eventType: "agent_completed", agentId: "a1", payload: { status: "completed", reason: "ok" } },
          { eventType: "pr_status_changed", beadId: "mr1", payload: { pr_url: 42, pr_state: "open" } },
        ],
        now,
      ),
    ).rejects.toMatchObject({ code: "invalid_payload" });
    expect(queries).toEqual([]);
  });

  it("refuses an unknown event type", async () => {
    const { client, queries } = recordingClient();
    await expect(enqueueEvents(client, "town-1", [{ eventType: "no_such_event", payload: {} }], now)).rejects.toMatchObject({ code: "invalid_payload" });
    expect(queries).toEqual([]);
  });

  it("inserts valid events and makes the town due in one statement", async () => {
    const { client, queries } = recordingClient();
    await enqueueEvents(client, "town-1", [{ eventType: "agent_completed", agentId: "a1", payload: { status: "completed", reason: "ok" } }], now);
    expect(queries).toHaveLength(1);
    expect(queries[0].text).toMatch(/INSERT INTO town_events/);
    expect(queries[0].text).toMatch(/UPDATE towns SET next_tick_at/);
    expect(queries[0].params?.[3]).toBe(true); // the due-time update is on
  });

  it("leaves the due time to a caller that makes the town due itself", async () => {
    const { client, queries } = recordingClient();
    await enqueueEvents(client, "town-1", [{ eventType: "agent_completed", agentId: "a1", payload: { status: "completed", reason: "ok" } }], now, { makeDue: false });
    expect(queries).toHaveLength(1);
    expect(queries[0].params?.[3]).toBe(false);
  });
});
