/**
 * Errors services throw; the tRPC layer maps them to status codes. `field` names the input field a
 * user mistake is about, so forms can show the message beside it.
 */
export type ServiceErrorCode = "NOT_FOUND" | "BAD_REQUEST" | "CONFLICT" | "FORBIDDEN" | "PRECONDITION_FAILED" | "TOO_MANY_REQUESTS";

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

/** The PostgreSQL error code (SQLSTATE) of an error, whichever driver raised it, looking through `cause`s. */
export function pgErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = typeof e === "object" && e !== null && "code" in e ? e.code : undefined;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** unique_violation. */
export const isUniqueViolation = (err: unknown) => pgErrorCode(err) === "23505";

/**
 * A reference blocked the change: foreign_key_violation (23503, NO ACTION keys) or
 * restrict_violation (23001, what our `onDelete: "restrict"` keys raise when a referenced row is deleted).
 */
export const isForeignKeyViolation = (err: unknown) => ["23503", "23001"].includes(pgErrorCode(err) ?? "");

/** deadlock_detected or serialization_failure: the whole transaction may simply be run again. */
export const isRetryableConflict = (err: unknown) => ["40P01", "40001"].includes(pgErrorCode(err) ?? "");

/** SQLSTATEs that mean "the server is not there right now", not "this statement is wrong". */
const UNAVAILABLE_SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/;
/** Socket errors (node) and connection states (postgres.js) of a database that cannot be reached. */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * Is this (or what caused it) a database that is briefly unreachable: PostgreSQL restarting or
 * refusing connections, a dropped connection, a closed PGlite? Such errors are answered with 503
 * and a retry hint rather than as a fault.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 6 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_CODES.has(code))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === "string" && /^PGlite is closed/.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
