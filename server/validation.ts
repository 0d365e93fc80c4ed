// Boundary checks shared by the tRPC layer and the agent API.

/** True when any string (key or value) in a parsed JSON value contains a NUL character, which Postgres
 *  text and jsonb cannot store. */
export function containsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(containsNul);
  if (value && typeof value === "object") return Object.entries(value).some(([k, v]) => k.includes("\u0000") || containsNul(v));
  return false;
}
