import { describe, expect, it } from "vitest";
import { handleTrpcRequest, mutationRequestProblem } from "@/server/api/http";

/**
 * tRPC mutations come only from the portal's own pages (or configured origins): browsers send the
 * session cookie with cross-site requests, so Origin and the JSON content type are checked before
 * any procedure runs.
 */
const mutation = (headers: Record<string, string>) =>
  new Request("http://portal.test/api/trpc/zone.create", {
    method: "POST",
    headers: { host: "portal.test", ...headers },
    body: JSON.stringify({ json: { name: "evil" } }),
  });

describe("mutation origin", () => {
  it.each([
    ["another site", { origin: "https://evil.example", "content-type": "application/json" }],
    ["a look-alike host", { origin: "https://portal.test.evil.example", "content-type": "application/json" }],
    ["the null origin (sandboxed frame, file:)", { origin: "null", "content-type": "application/json" }],
    ["a cross-site fetch without Origin", { "sec-fetch-site": "cross-site", "content-type": "application/json" }],
    ["a same-site (sibling subdomain) fetch without Origin", { "sec-fetch-site": "same-site", "content-type": "application/json" }],
    ["a same-origin form post (not JSON)", { origin: "http://portal.test", "content-type": "application/x-www-form-urlencoded" }],
    ["a cross-site text/plain post", { origin: "https://evil.example", "content-type": "text/plain" }],
    ["multipart", { origin: "http://portal.test", "content-type": "multipart/form-data; boundary=x" }],
  ])("refuses %s with 403 before anything runs", async (_what, headers) => {
    let contextCreated = false;
    const res = await handleTrpcRequest(mutation(headers), () => {
      contextCreated = true;
      return Promise.reject(new Error("must not get here"));
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { json: { message: string; data: { code: string } } } };
    expect(body.error.json.data.code).toBe("FORBIDDEN");
    expect(contextCreated).toBe(false);
  });

  it("lets same-origin, configured and non-browser mutations through", () => {
    const json = { "content-type": "application/json" };
    expect(mutationRequestProblem(mutation({ ...json, origin: "http://portal.test" }), [])).toBeNull();
    expect(mutationRequestProblem(mutation({ ...json, origin: "https://portal.test" }), [])).toBeNull(); // TLS ended at a proxy
    expect(
      mutationRequestProblem(mutation({ "content-type": "application/json; charset=utf-8", origin: "http://portal.test" }), []),
    ).toBeNull();
    expect(mutationRequestProblem(mutation({ ...json, origin: "https://admin.example.com" }), ["https://admin.example.com"])).toBeNull();
    expect(
      mutationRequestProblem(mutation({ ...json, origin: "https://admin.example.com" }), ["https://other.example.com"]),
    ).not.toBeNull();
    expect(mutationRequestProblem(mutation({ ...json, "sec-fetch-site": "same-origin" }), [])).toBeNull();
    expect(mutationRequestProblem(mutation(json), [])).toBeNull(); // curl, scripts: no cookies of a victim
  });

  it("reaches the router for a same-origin mutation", async () => {
    let contextCreated = false;
    const res = await handleTrpcRequest(mutation({ origin: "http://portal.test", "content-type": "application/json" }), () => {
      contextCreated = true;
      return Promise.resolve({ db: undefined as never, caller: null });
    });
    expect(contextCreated).toBe(true);
    expect(res.status).toBe(401); // signed out: the procedure's own answer, not the origin check's
  });

  it("leaves queries (GET) alone: they cannot change anything", async () => {
    const res = await handleTrpcRequest(
      new Request(`http://portal.test/api/trpc/zone.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, {
        headers: { host: "portal.test", origin: "https://evil.example" },
      }),
      () => Promise.resolve({ db: undefined as never, caller: null }),
    );
    expect(res.status).toBe(401);
  });
});
