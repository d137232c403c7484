import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "@/db";
import { env } from "@/server/env";
import { logger } from "@/server/log";
import { requestIdFrom, runWithRequest } from "./context";
import { checkHealth } from "./health";
import { observeHttp, renderMetrics, type ScrapeSources } from "./metrics";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return !!m && timingSafeEqual(digest(m[1]!), digest(token));
}

/**
 * `/metrics` and `/api/health`, served by the custom server itself (server.ts) rather than by a
 * Next.js route: the figures live in this process's memory, which the Next.js bundle does not
 * share. Returns false for any other path.
 */
export function telemetryRoutes(src: ScrapeSources & { db: Db }) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      void serveMetrics(req, res, src);
      return true;
    }
    if (path === "/api/health") {
      void serveHealth(req, res, src.db);
      return true;
    }
    return false;
  };
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, src: ScrapeSources) {
  const token = env().STRATUS_METRICS_TOKEN;
  // Off unless a token is configured: as if there were no such page.
  if (!token) return send(res, 404, "text/plain; charset=utf-8", "Not Found\n");
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "Method Not Allowed\n");
  if (!bearerMatches(req.headers.authorization, token)) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
    return send(res, 401, "text/plain; charset=utf-8", "Unauthorized\n");
  }
  try {
    const m = await renderMetrics(src);
    send(res, 200, m.contentType, m.body);
  } catch {
    send(res, 500, "text/plain; charset=utf-8", "metrics failed\n");
  }
}

async function serveHealth(req: IncomingMessage, res: ServerResponse, db: Db) {
  const h = await checkHealth(db);
  res.setHeader("Cache-Control", "no-store");
  send(res, h.ok ? 200 : 503, "application/json", JSON.stringify(h));
}

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.end(body);
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps the server's request handler: every request gets an id (x-request-id, in its log line, its
 * response, and the jobs it queues), its duration is observed, it is logged once as JSON, and
 * `/metrics` and `/api/health` are answered here; everything else goes to `next`.
 */
export function instrumentRequests(src: ScrapeSources & { db: Db }, next: Handler): Handler {
  const telemetry = telemetryRoutes(src);
  const log = logger();
  return (req, res) => {
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    req.headers["x-request-id"] = requestId;
    res.setHeader("X-Request-Id", requestId);
    const started = performance.now();
    res.on("finish", () => {
      const seconds = (performance.now() - started) / 1000;
      observeHttp(req.method ?? "GET", req.url ?? "/", res.statusCode, seconds);
      if (!req.url?.startsWith("/_next/"))
        log.info(
          { requestId, method: req.method, path: (req.url ?? "/").split("?")[0], status: res.statusCode, ms: Math.round(seconds * 1000) },
          "request",
        );
    });
    runWithRequest({ requestId }, () => {
      if (!telemetry(req, res)) next(req, res);
    });
  };
}
