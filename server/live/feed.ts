import type { DbHandle } from "@/db";
import { CHANGE_CHANNEL, type Change, parseChange } from "@/server/core/changes";
import { logger } from "@/server/log";
import { processSingleton } from "@/lib/process-singleton";

type Listener = (c: Change) => void;
interface Feed {
  listeners: Set<Listener>;
  listening: Promise<unknown>;
}

// Per database handle (one per process in production; tests open several), shared by both module copies.
const feeds = processSingleton("live.feeds", () => new WeakMap<DbHandle, Feed>());

/**
 * The process's one LISTEN on the change channel, fanned out to every live stream it serves: a
 * NOTIFY from any process sharing the database (PostgreSQL) reaches all of them. Started on the
 * first subscriber and kept for the life of the handle (closing the handle ends it). Resolves once
 * the LISTEN is in place, so a change committed after that is heard.
 */
export async function subscribeChanges(handle: DbHandle, fn: Listener): Promise<() => void> {
  let feed = feeds.get(handle);
  if (!feed) {
    const listeners = new Set<Listener>();
    const listening = handle.listen(CHANGE_CHANNEL, (payload) => {
      const change = parseChange(payload);
      if (!change) return;
      for (const l of listeners) {
        try {
          l(change);
        } catch (e) {
          logger().error({ err: e }, "[live] a stream failed to take a change");
        }
      }
    });
    feed = { listeners, listening };
    feeds.set(handle, feed);
    // A failed LISTEN is retried by the next subscriber, not cached.
    listening.catch(() => feeds.delete(handle));
  }
  feed.listeners.add(fn);
  const f = feed;
  try {
    await f.listening;
  } catch (e) {
    f.listeners.delete(fn);
    throw e;
  }
  return () => void f.listeners.delete(fn);
}

/** How many streams this process serves on `handle` (metrics, tests). */
export const subscriberCount = (handle: DbHandle) => feeds.get(handle)?.listeners.size ?? 0;
