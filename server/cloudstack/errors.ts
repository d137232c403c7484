import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { ServiceError } from "@/server/core/errors";

/**
 * CloudStack's error codes (ApiErrorCode), also the HTTP status of the answer: 401 unauthenticated,
 * 429 rate limited, 431 bad parameter (also an id that does not exist or is not the caller's, as
 * CloudStack answers it), 432 unsupported command, 530 internal/operation error, 531 permission.
 */
export type CsErrorCode = 401 | 429 | 431 | 432 | 530 | 531;

/** CloudStack's CSExceptionErrorCode for each (clients show it; few read it). */
const csCode: Record<CsErrorCode, number> = { 401: 9999, 429: 9999, 431: 4350, 432: 9999, 530: 9999, 531: 4365 };

export class CsError extends Error {
  constructor(
    readonly code: CsErrorCode,
    message: string,
  ) {
    super(message);
  }
  get csErrorCode() {
    return csCode[this.code];
  }
}

const zodText = (e: ZodError) => e.issues.map((i) => `${i.path.join(".") || "parameter"}: ${i.message}`).join("; ");

/** Any error from a command as a CsError: service and input errors keep their message; anything else is logged and hidden. */
export function toCsError(err: unknown, command: string): CsError {
  if (err instanceof CsError) return err;
  if (err instanceof ZodError) return new CsError(431, zodText(err));
  const cause = err instanceof TRPCError ? (err.cause ?? err) : err;
  if (cause instanceof ZodError) return new CsError(431, zodText(cause));
  const code = cause instanceof ServiceError ? cause.code : err instanceof TRPCError ? err.code : null;
  const message = cause instanceof Error ? cause.message : String(cause);
  switch (code) {
    case "NOT_FOUND":
    case "BAD_REQUEST":
      return new CsError(431, message);
    case "FORBIDDEN":
      return new CsError(531, message);
    case "UNAUTHORIZED":
      return new CsError(401, "unable to verify user credentials");
    case "TOO_MANY_REQUESTS":
      return new CsError(429, message);
    case "CONFLICT":
    case "PRECONDITION_FAILED":
      return new CsError(530, message);
    default:
      console.error(`[cloudstack] ${command} failed:`, err);
      return new CsError(530, "Internal error executing command, please contact your system administrator");
  }
}
