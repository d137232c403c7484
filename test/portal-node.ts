import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Db } from "@/db";
import { contextFromHeaders } from "@/server/api/context";
import { appRouter } from "@/server/api/root";
import { handleCloudStackHttp } from "@/server/cloudstack/api";
import { stampClientIp, trustedProxies } from "@/server/auth/client-ip";
import { createConsoleProxy } from "@/server/console/proxy";
import { env } from "@/server/env";
import { upgradeRouter } from "@/server/upgrade";

/**
 * A portal without Next.js's pages: the tRPC API, the CloudStack API (/client/api) with the portal's own request context
 * (contextFromHeaders) and the console WebSocket proxy on one HTTP server. scripts/portal-node.ts
 * runs one as its own process; the multi-process tests run two on one database.
 */
export async function startPortalNode(
  db: Db,
  opts: { log?: (m: string) => void; port?: number } = {},
): Promise<{ port: number; server: Server; close(): void }> {
  const proxies = trustedProxies(env().STRATUS_TRUSTED_PROXIES);
  const server = createServer((req, res) => {
    stampClientIp(req, proxies);
    const cloudStack = req.url?.startsWith("/client/api");
    if (!req.url?.startsWith("/api/trpc") && !cloudStack) {
      res.statusCode = 404;
      return res.end("Not found\n");
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const body = req.method === "GET" || !chunks.length ? undefined : Buffer.concat(chunks);
      const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url}`, { method: req.method, headers, body });
      void (
        cloudStack
          ? handleCloudStackHttp(db, request)
          : fetchRequestHandler({
              endpoint: "/api/trpc",
              req: request,
              router: appRouter,
              createContext: ({ req: r }) => contextFromHeaders(db, r.headers),
            })
      )
        .then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
          res.end(Buffer.from(await response.arrayBuffer()));
        })
        .catch((e: unknown) => {
          res.statusCode = 500;
          res.end(String(e));
        });
    });
  });
  const consoles = createConsoleProxy({ db, log: opts.log });
  server.on("upgrade", upgradeRouter({ consoles, dev: false }));
  await new Promise<void>((r) => server.listen(opts.port ?? 0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close() {
      server.close();
      server.closeAllConnections();
      consoles.close();
    },
  };
}
