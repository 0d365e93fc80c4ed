import fc from "fast-check";

// Inputs a careless or hostile client might send: objects whose keys are mostly ones our procedures and
// tools know (so zod has to look at the values) mixed with unknown keys, and values of every JSON shape,
// including huge strings, odd numbers, nulls, nested junk and strings that look like ids or SQL.

const KNOWN_KEYS = [
  "townId", "rigId", "beadId", "agentId", "convoyId", "eventId", "userId", "name", "title", "body", "gitUrl",
  "defaultBranch", "status", "type", "label", "labels", "priority", "cursor", "limit", "search", "email", "role",
  "overrides", "payload", "eventType", "note", "ids", "from", "to", "tasks", "mergeMode", "staged", "config",
  "bead_id", "rig_id", "agent_id", "convoy_id", "to_agent_id", "subject", "branch", "pr_url", "summary", "reason",
  "feedback", "files", "data", "metadata", "depends_on", "convoy_title", "parallel", "merge_mode", "last_event_type",
  "last_event_at", "active_tools", "exit_reason", "cancel_status", "mr_bead_id", "ready_since", "checked_at",
];

const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("", " ", "'; DROP TABLE beads; --", "../../etc/passwd", "\u0000", "null", "NaN", "https://github.com/a/b/pull/1", "2026-11-25T10:00:00Z", "not-a-date", "😀".repeat(5)),
  fc.string({ minLength: 5000, maxLength: 5000 }).map((s) => s || "x".repeat(5000)),
);
const oddNumber = fc.oneof(fc.integer(), fc.double({ noNaN: false }), fc.constantFrom(0, -1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2));

export const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    oddString,
    oddNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ maxLength: 8 })), tie("value"), { maxKeys: 4 }),
  ),
})).value;

export const inputObject = fc.dictionary(fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ maxLength: 10 })), jsonValue, { maxKeys: 6 });

/** Anything at all, including non-objects, as a request body or tRPC input. */
export const anyInput = fc.oneof({ weight: 4, arbitrary: inputObject }, { weight: 1, arbitrary: jsonValue });
