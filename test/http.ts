import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import WebSocket from "ws";
import type { Db } from "@/db";
import { contextFromHeaders } from "@/server/api/context";
import { appRouter, type AppRouter } from "@/server/api/root";
import { ByteQueue } from "@/server/console/byte-queue";
import type { Transport } from "@/test/rfb-test-client";

/**
 * Test clients over the real wire formats: tRPC over HTTP (with the production context built from
 * the request's cookie), and the console WebSocket.
 */

/** The app's tRPC endpoint as a fetch handler on `db`, with the same context the portal builds. */
export const trpcHandler =
  (db: Db, clientIp = "127.0.0.1") =>
  (req: Request) =>
    fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      createContext: ({ req: r }) => {
        const h = new Headers(r.headers);
        h.set("x-stratus-client-ip", clientIp);
        return contextFromHeaders(db, h);
      },
    });

/** A typed tRPC client sending `cookie`: against a fetch handler, or a URL of a running server. */
export function trpcClient(target: string | ((req: Request) => Promise<Response>), cookie?: string) {
  const url = typeof target === "string" ? `${target}/api/trpc` : "http://portal.test/api/trpc";
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url,
        transformer: superjson,
        headers: () => (cookie ? { cookie } : {}),
        fetch: typeof target === "string" ? undefined : (input, init) => target(new Request(input as string, init as RequestInit)),
      }),
    ],
  });
}

/** The tRPC error code of a failed call, or "OK". */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (e instanceof TRPCClientError) return String((e.data as { code?: string } | undefined)?.code ?? e.message);
    if (e && typeof e === "object" && "code" in e) return String(e.code);
    throw e;
  }
}

export type WsTransport = Transport & { closeInfo: { code: number; reason: string } | null };
export type Opened = { ws: WebSocket; transport: WsTransport };
export type Refused = { status: number; body: string };

/** Opens a WebSocket; resolves with it, or with the HTTP status its upgrade was refused with. */
export function connectWs(url: string, headers: Record<string, string> = {}): Promise<Opened | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["binary"], { headers });
    const queue = new ByteQueue();
    let closeInfo: { code: number; reason: string } | null = null;
    const closed = new Promise<void>((r) =>
      ws.on("close", (code, reason) => {
        closeInfo = { code, reason: reason.toString() };
        queue.fail(new Error(`closed ${code} ${reason.toString()}`));
        r();
      }),
    );
    ws.on("message", (d: Buffer) => queue.push(d));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", (e) => (ws.readyState === ws.CLOSED ? undefined : reject(e)));
    ws.on("open", () =>
      resolve({
        ws,
        transport: {
          queue,
          write: (b: Buffer) => ws.send(b),
          close: () => ws.close(),
          closed,
          get closeInfo() {
            return closeInfo;
          },
        } as unknown as WsTransport,
      }),
    );
  });
}
