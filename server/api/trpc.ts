import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Db } from "@/db";
import type { Caller } from "@/server/authz/caller";
import { can, type Permission } from "@/server/authz/permissions";
import { ServiceError } from "@/server/services/errors";

export interface Context {
  db: Db;
  caller: Caller | null;
  /** The caller's sign-in (id and version from the session JWT), for things bound to it such as console tickets. */
  session?: { id: string | null; version: number } | null;
  /** The client's address (server.ts sets it from the socket or a trusted proxy), for the throttle. */
  ip?: string;
}

/** "field.path: message; …" — what a user reads when input is rejected. */
const zodMessage = (e: ZodError) => e.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const field =
      error.cause instanceof ServiceError
        ? error.cause.field
        : zod?.issues[0]?.path.map(String).join(".") || undefined;
    return {
      ...shape,
      // Bad input: a message naming the field. Internal faults: a generic message, never a stack.
      message: zod ? zodMessage(zod) : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        field,
        fieldErrors: zod ? Object.fromEntries(zod.issues.map((i) => [i.path.join("."), i.message])) : undefined,
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
      console.error(`[trpc] ${path} failed:`, err.cause ?? err);
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on the server; the error was logged" });
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
