import type { DbHandle } from "@/db";
import { type Caller, ownedBy } from "@/server/authz/caller";
import type { Change } from "@/server/core/changes";
import { subscribeChanges } from "./feed";

export interface ChangeStreamOptions {
  handle: DbHandle;
  caller: Caller;
  /** Re-checks the session now and then: the caller as it is now (its scope may have moved), null once it ended. */
  recheck?: () => Promise<Caller | null>;
  recheckMs?: number;
  heartbeatMs?: number;
  /** The request's signal: the browser went away. */
  signal?: AbortSignal;
}

/** What a stream may queue for a client that does not read before it is closed (it reconnects and re-reads). */
const MAX_BACKLOG = 1000;

/** The changes one caller may hear of: the visibility rule of its scope (authz/caller.ts ownedBy). */
export const visibleTo = (caller: Caller, c: Change) => ownedBy(caller, c);

/**
 * One browser tab's server-sent-events stream: every change the caller may see, as
 * `data: {"kind","id"}` (a job's with its "resourceType"; no owner fields: a client re-reads
 * through its scoped queries), a comment line as heartbeat (keeps proxies from timing the
 * connection out), and `event: end` then close when the session ended. Resolves once the process's LISTEN is in place.
 */
export async function openChangeStream(o: ChangeStreamOptions): Promise<ReadableStream<Uint8Array>> {
  const enc = new TextEncoder();
  let caller = o.caller;
  let ctl: ReadableStreamDefaultController<Uint8Array> | null = null;
  let closed = false;
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = () => {};
  const stop = () => {
    if (closed) return;
    closed = true;
    timers.forEach(clearInterval);
    unsubscribe();
    try {
      ctl?.close();
    } catch {
      /* already closed by the reader */
    }
  };
  const send = (text: string) => {
    if (closed || !ctl) return;
    // A reader that stopped reading: drop it rather than queue without bound; its EventSource reconnects.
    if ((ctl.desiredSize ?? 0) < -MAX_BACKLOG) return stop();
    ctl.enqueue(enc.encode(text));
  };
  unsubscribe = await subscribeChanges(o.handle, (c) => {
    if (visibleTo(caller, c)) send(`data: ${JSON.stringify({ kind: c.kind, id: c.id, resourceType: c.resourceType })}\n\n`);
  });
  if (o.signal?.aborted) {
    unsubscribe();
    closed = true;
  }
  o.signal?.addEventListener("abort", stop, { once: true });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      ctl = controller;
      if (closed) return controller.close();
      // retry: the browser's own reconnect delay; the first comment flushes the headers at once.
      send("retry: 5000\n: connected\n\n");
      timers.push(setInterval(() => send(": ping\n\n"), o.heartbeatMs ?? 25_000));
      if (o.recheck) {
        const recheck = o.recheck;
        let checking = false;
        timers.push(
          setInterval(() => {
            if (checking) return;
            checking = true;
            void recheck()
              .then((now) => {
                if (now) caller = now;
                else {
                  send(`event: end\ndata: {"reason":"session"}\n\n`);
                  stop();
                }
              })
              .catch(() => undefined)
              .finally(() => (checking = false));
          }, o.recheckMs ?? 30_000),
        );
      }
    },
    cancel: stop,
  });
}
