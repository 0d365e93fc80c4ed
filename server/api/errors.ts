import { TRPCError } from "@trpc/server";

// One table from domain error codes to tRPC codes (STYLE.md #6). Domain code throws
// `DomainError(code, message)`; we match on the `code` so this module does not depend on where it is defined.
const CODE_TABLE = {
  not_found: "NOT_FOUND",
  entity_not_found: "NOT_FOUND",
  forbidden: "FORBIDDEN",
  invalid_transition: "CONFLICT",
  conflict: "CONFLICT",
  upstream_failed: "BAD_GATEWAY",
  bad_request: "BAD_REQUEST",
  invalid_payload: "BAD_REQUEST",
} as const satisfies Record<string, TRPCError["code"]>;

export type DomainErrorCode = keyof typeof CODE_TABLE;

/** Errors our services throw for expected failures; mapped to a 4xx by the tRPC layer. */
export class AppError extends Error {
  readonly name = "DomainError";
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function toTRPCError(err: unknown): TRPCError | null {
  if (err instanceof TRPCError) return null;
  if (err instanceof Error && err.name === "DomainError" && "code" in err) {
    const code = CODE_TABLE[(err as Error & { code: DomainErrorCode }).code];
    if (code) return new TRPCError({ code, message: err.message, cause: err });
  }
  // Prisma unique violations are user-visible conflicts (e.g. a rig name taken), not server errors.
  if (err && typeof err === "object" && (err as { code?: string }).code === "P2002") {
    return new TRPCError({ code: "CONFLICT", message: "That name is already taken in this town." });
  }
  return null;
}
