"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { allLivePrefixes, invalidatedByMessage, liveMessage, reconnectDelayMs } from "@/lib/live";

/** Changes arriving within this window are applied together (one refetch per query, not one per change). */
const BATCH_MS = 250;

/**
 * The tab's one live stream (/api/stream, server-sent events), mounted once in the app shell: each
 * change invalidates the matching tRPC queries by router prefix, so open lists, cards and the bell
 * re-read without polling. Reconnects with backoff when the stream closes (server restart, session
 * end) and then re-reads everything it covers, since changes may have been missed meanwhile. The
 * state is on <html data-live-stream> (open, connecting, closed) for tests and debugging.
 */
export function LiveUpdates() {
  const queryClient = useQueryClient();
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let flush: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let opened = false;
    let stopped = false;
    const pending = new Set<string>();
    const setState = (s: "open" | "connecting" | "closed") => (document.documentElement.dataset.liveStream = s);

    const invalidate = (prefixes: readonly string[]) => {
      prefixes.forEach((p) => pending.add(p));
      flush ??= setTimeout(() => {
        flush = undefined;
        const now = [...pending];
        pending.clear();
        for (const p of now) void queryClient.invalidateQueries({ queryKey: [[p]] });
      }, BATCH_MS);
    };
    const connect = () => {
      setState("connecting");
      const es = new EventSource("/api/stream");
      source = es;
      es.onopen = () => {
        failures = 0;
        setState("open");
        if (opened) invalidate(allLivePrefixes);
        opened = true;
      };
      es.onmessage = (ev: MessageEvent<string>) => {
        const m = liveMessage(ev.data);
        if (m) invalidate(invalidatedByMessage(m));
      };
      const reconnect = () => {
        es.close();
        if (stopped) return;
        setState("closed");
        retry = setTimeout(connect, reconnectDelayMs(++failures));
      };
      // Session ended: wait before trying again (the page itself will ask the user to sign in).
      es.addEventListener("end", () => {
        failures = Math.max(failures, 5);
        reconnect();
      });
      // The browser retries a dropped connection by itself; a refused one (401, restart) closes it: ours.
      es.onerror = () => {
        if (es.readyState === EventSource.CLOSED) reconnect();
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearTimeout(flush);
      source?.close();
      setState("closed");
    };
  }, [queryClient]);
  return null;
}
