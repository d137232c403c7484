import { expect } from "vitest";
import type { DbHandle } from "@/db";
import { handleChangeStream } from "@/server/api/stream";
import type { Caller } from "@/server/authz/caller";
import { signInAs } from "@/test/sessions";

/** A stream read in the background: `messages()` are its data lines, `done` its end. */
export interface CollectedStream {
  text: string;
  done: boolean;
  messages: () => { kind: string; id: string; resourceType?: string }[];
  has: (kind: string, id: string) => boolean;
  cancel: () => Promise<void>;
}

function collect(body: ReadableStream<Uint8Array>): CollectedStream {
  const reader = body.getReader();
  const dec = new TextDecoder();
  const s: CollectedStream = {
    text: "",
    done: false,
    messages: () =>
      s.text
        .split("\n\n")
        .filter((b) => b.startsWith("data: "))
        .map((b) => JSON.parse(b.slice(6)) as { kind: string; id: string; resourceType?: string }),
    has: (kind, id) => s.messages().some((m) => m.kind === kind && m.id === id),
    cancel: () => reader.cancel(),
  };
  void (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (r.done) return void (s.done = true);
      s.text += dec.decode(r.value);
    }
  })();
  return s;
}

/**
 * Opens /api/stream as a caller signed in by a real session cookie and checks the SSE headers;
 * `cancelAll` ends every stream it opened (afterAll).
 */
export function liveStreams(handle: () => DbHandle, secret: string) {
  const open: CollectedStream[] = [];
  return {
    connect: async (c: Caller, timing: { recheckMs?: number; heartbeatMs?: number } = {}) => {
      const h = handle();
      const login = await signInAs(h.db, c, secret);
      const res = await handleChangeStream(new Request("http://stratus.test/api/stream", { headers: { cookie: login.cookie } }), h, timing);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(res.headers.get("cache-control")).toContain("no-transform");
      expect(res.headers.get("x-accel-buffering")).toBe("no");
      const stream = collect(res.body!);
      open.push(stream);
      return { login, stream };
    },
    cancelAll: async () => {
      for (const s of open) await s.cancel().catch(() => undefined);
    },
  };
}
