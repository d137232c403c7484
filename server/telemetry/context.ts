import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { processSingleton } from "@/lib/process-singleton";

/** What a log line of the current request (or of a job it queued) carries. */
export interface RequestContext {
  requestId: string;
}

/** One store per process (server.ts and the Next.js bundle load this module twice). */
const store = processSingleton("telemetry.requestContext", () => new AsyncLocalStorage<RequestContext>());

export const runWithRequest = <T>(ctx: RequestContext, fn: () => T): T => store.run(ctx, fn);
export const currentRequestId = (): string | undefined => store.getStore()?.requestId;

/** A client's x-request-id when it is a plain token (a proxy's), else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v && /^[A-Za-z0-9._:-]{8,128}$/.test(v) ? v : randomUUID();
}
