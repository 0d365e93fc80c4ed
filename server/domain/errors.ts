// The one error type of the domain, the services, the tick and the agent API's tools for expected
// failures. The edges map `code` in one table each: server/api/errors.ts to tRPC codes and
// server/agent-api/errors.ts to HTTP statuses (both by `isDomainError`, never by the name string), and the
// tick poisons an event at once when its apply throws `entity_not_found` or `invalid_payload` (SPEC.md §2:
// those can never succeed).

export const DOMAIN_ERROR_CODES = [
  "not_found",
  "entity_not_found",
  "invalid_payload",
  "forbidden",
  "invalid_transition",
  "conflict",
  "upstream_failed",
  "bad_request",
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isDomainError(err: unknown, code?: DomainErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}

/** Errors that can never succeed on a retry: the tick poisons the event immediately instead of counting. */
export function isPermanentEventError(err: unknown): err is DomainError {
  return isDomainError(err, "entity_not_found") || isDomainError(err, "invalid_payload");
}
