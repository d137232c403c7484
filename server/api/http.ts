import { fetchRequestHandler, type FetchCreateContextFn } from "@trpc/server/adapters/fetch";
import { appRouter, type AppRouter } from "@/server/api/root";
import { createRequestContext } from "@/server/api/context";
import { DB_RETRY_AFTER_SECONDS, INTERNAL_MESSAGE } from "@/server/api/trpc";
import { allowedOrigins, crossSiteProblem } from "@/server/net/origin";
import { isDatabaseUnavailable } from "@/server/core/errors";

/**
 * Why a request may not run a mutation (null when it may). Browsers send cookies with cross-site
 * requests, so a mutation must come from a page of this portal: its Origin (sent by browsers on
 * every POST) must be the portal's own, NEXTAUTH_URL's, or one in STRATUS_ALLOWED_ORIGINS
 * (`crossSiteProblem`), and its body JSON (a cross-site HTML form can only send form encodings and
 * text/plain without a CORS preflight, which we never grant).
 */
export function mutationRequestProblem(req: Request, allowed: readonly string[] = allowedOrigins()): string | null {
  const contentType = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== "application/json") return "Mutations must send Content-Type: application/json";
  return originProblem(req, allowed);
}

/** Why a request is cross-site (null when it comes from a page of this portal, or from no browser). */
export function originProblem(req: Request, allowed: readonly string[] = allowedOrigins()): string | null {
  return crossSiteProblem((name) => req.headers.get(name), allowed);
}

/** A tRPC-shaped JSON error the client understands, for requests refused before tRPC runs. */
function refuse(status: number, code: string, message: string) {
  return Response.json({ error: { json: { message, code: -32003, data: { code, httpStatus: status } } } }, { status });
}

/**
 * The tRPC HTTP endpoint: checks where a mutation comes from, then runs the router. Errors from
 * creating the context (the session lookup) and from procedures both go through the router's one
 * error formatter; this adds Retry-After when the database is unreachable and logs every fault.
 */
export async function handleTrpcRequest(req: Request, createContext: FetchCreateContextFn<AppRouter> = createRequestContext) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    const problem = mutationRequestProblem(req);
    if (problem) return refuse(403, "FORBIDDEN", problem);
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext,
    // Procedure faults were logged by the error middleware (which replaced their messages);
    // faults creating the context still carry the raw message, and are logged here.
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR" && error.message !== INTERNAL_MESSAGE) {
        console.error(`[trpc] ${path ?? "request"} failed:`, error.cause ?? error);
      }
    },
    responseMeta({ errors }) {
      const unavailable = errors.some((e) => e.code === "SERVICE_UNAVAILABLE" || isDatabaseUnavailable(e.cause ?? e));
      return unavailable ? { headers: new Headers({ "Retry-After": String(DB_RETRY_AFTER_SECONDS) }) } : {};
    },
  });
}
