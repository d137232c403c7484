import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A webhook receiver on 127.0.0.1 for tests: answers 500 to the first `failFirst` attempts of each
 * delivery (by its X-Stratus-Delivery id), then 200, and keeps every request it got.
 */
export function webhookReceiver(failFirst = 0) {
  const got: { headers: http.IncomingHttpHeaders; body: string; status: number }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const before = got.filter((g) => g.headers["x-stratus-delivery"] === req.headers["x-stratus-delivery"]).length;
      const status = before < failFirst ? 500 : 200;
      got.push({ headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  return new Promise<{ url: string; got: typeof got; close: () => Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        got,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}
