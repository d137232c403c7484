import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

/**
 * Routes the HTTP server's WebSocket upgrades: consoles to the console proxy; in development,
 * Next.js's own hot-reload socket (/_next/…) to Next; anything else gets a 404 and a closed socket
 * at once (left alone, an unanswered upgrade would hang open).
 */
export function upgradeRouter(opts: {
  consoles: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean };
  dev: boolean;
  next?: UpgradeHandler;
}) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (opts.consoles.handleUpgrade(req, socket, head)) return;
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (opts.dev && opts.next && path.startsWith("/_next/")) return void opts.next(req, socket, head);
    socket.on("error", () => undefined);
    socket.end(
      "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nNot found\n",
    );
    socket.destroy();
  };
}
