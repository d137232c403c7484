/**
 * Errors services throw; the tRPC layer maps them to status codes. `field` names the input field a
 * user mistake is about, so forms can show the message beside it.
 */
export type ServiceErrorCode = "NOT_FOUND" | "BAD_REQUEST" | "CONFLICT" | "FORBIDDEN" | "PRECONDITION_FAILED";

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

export const notFound = (what: string) => new ServiceError("NOT_FOUND", `${what} not found`);
export const badRequest = (message: string, field?: string) => new ServiceError("BAD_REQUEST", message, field);
export const conflict = (message: string, field?: string) => new ServiceError("CONFLICT", message, field);
export const forbidden = (message: string) => new ServiceError("FORBIDDEN", message);

/** PostgreSQL unique_violation, whichever driver raised it. */
export function isUniqueViolation(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e === "object" && e !== null && "code" in e && (e as { code: unknown }).code === "23505") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
