import { TRPCError } from "@trpc/server";
import { isDomainError, type DomainErrorCode } from "../domain/errors";

// One table from domain error codes to tRPC codes (STYLE.md #6). Services, the tick and the domain throw
// `DomainError(code, message)` (server/domain/errors.ts); this edge maps it by type and code.
const CODE_TABLE = {
  not_found: "NOT_FOUND",
  entity_not_found: "NOT_FOUND",
  forbidden: "FORBIDDEN",
  invalid_transition: "CONFLICT",
  conflict: "CONFLICT",
  upstream_failed: "BAD_GATEWAY",
  bad_request: "BAD_REQUEST",
  invalid_payload: "BAD_REQUEST",
} as const satisfies Record<DomainErrorCode, TRPCError["code"]>;

export function toTRPCError(err: unknown): TRPCError | null {
  if (err instanceof TRPCError) return null;
  if (isDomainError(err)) return new TRPCError({ code: CODE_TABLE[err.code], message: err.message, cause: err });
  // Prisma unique violations are user-visible conflicts (e.g. a rig name taken), not server errors.
  if (err && typeof err === "object" && (err as { code?: string }).code === "P2002") {
    return new TRPCError({ code: "CONFLICT", message: "That name is already taken in this town." });
  }
  return null;
}
