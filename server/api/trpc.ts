import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Db } from "@/db";
import type { Caller } from "@/server/authz/caller";
import { can, type Permission } from "@/server/authz/permissions";
import { isDatabaseUnavailable, ServiceError } from "@/server/core/errors";

export interface Context {
  db: Db;
  caller: Caller | null;
  /** The caller's sign-in (id and version from the session JWT), for things bound to it such as console tickets. */
  session?: { id: string | null; version: number } | null;
  /** The API key of a CloudStack API request (no sign-in behind it), for things bound to it such as console tickets. */
  apiKeyId?: string;
  /** The client's address (server.ts sets it from the socket or a trusted proxy), for the throttle. */
  ip?: string;
}

/** "field.path: message; …" — what a user reads when input is rejected. */
const zodMessage = (e: ZodError) => e.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");

/** Seconds a client should wait before retrying while the database is unreachable. */
export const DB_RETRY_AFTER_SECONDS = 5;
export const DB_UNAVAILABLE_MESSAGE = `The database is briefly unavailable; please retry in ${DB_RETRY_AFTER_SECONDS} seconds`;
export const INTERNAL_MESSAGE = "Something went wrong on the server; the error was logged";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  /**
   * The one place every error is shaped, whether a procedure threw it or creating the context did
   * (the session lookup runs SQL before any procedure): input mistakes name the field; a database
   * that cannot be reached is 503 with a retry hint; any other fault is a generic message. The
   * details (SQL, parameters, stacks) go to the server log only (the route's onError).
   */
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const field = error.cause instanceof ServiceError ? error.cause.field : zod?.issues[0]?.path.map(String).join(".") || undefined;
    const unavailable = error.code === "SERVICE_UNAVAILABLE" || isDatabaseUnavailable(error.cause ?? error);
    const internal = !unavailable && error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      message: zod ? zodMessage(zod) : unavailable ? DB_UNAVAILABLE_MESSAGE : internal ? INTERNAL_MESSAGE : shape.message,
      data: {
        code: unavailable ? ("SERVICE_UNAVAILABLE" as const) : shape.data.code,
        httpStatus: unavailable ? 503 : shape.data.httpStatus,
        path: shape.data.path,
        field,
        fieldErrors: zod ? Object.fromEntries(zod.issues.map((i) => [i.path.join("."), i.message])) : undefined,
        retryAfterSeconds: unavailable ? DB_RETRY_AFTER_SECONDS : undefined,
      },
    };
  },
});

/** Maps service errors to tRPC codes, and hides unexpected errors behind a generic message. */
const errorMapping = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const err = result.error;
    if (err.cause instanceof ZodError) {
      throw new TRPCError({ code: "BAD_REQUEST", message: zodMessage(err.cause), cause: err.cause });
    }
    if (err.cause instanceof ServiceError) {
      throw new TRPCError({ code: err.cause.code, message: err.cause.message, cause: err.cause });
    }
    if (err.code === "INTERNAL_SERVER_ERROR") {
      const cause = err.cause ?? err;
      if (isDatabaseUnavailable(cause)) {
        console.error(`[trpc] ${path}: database unavailable:`, cause);
        throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: DB_UNAVAILABLE_MESSAGE, cause });
      }
      console.error(`[trpc] ${path} failed:`, cause);
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: INTERNAL_MESSAGE });
    }
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errorMapping);

/** A signed-in caller whose user and account are enabled (checked on every request). */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.caller) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in" });
  return next({ ctx: { ...ctx, caller: ctx.caller } });
});

/**
 * A procedure that needs a permission (by account type). Which objects it may touch is decided by
 * the service inside its queries; out-of-scope objects are NOT_FOUND there.
 */
export function permissionProcedure(permission: Permission) {
  return protectedProcedure.use(({ ctx, next }) => {
    if (!can(ctx.caller.accountType, permission)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "You do not have permission to do this" });
    }
    return next();
  });
}
