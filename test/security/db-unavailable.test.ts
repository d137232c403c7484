import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Db, openDb } from "@/db";
import { handleTrpcRequest } from "@/server/api/http";
import { resolveCaller } from "@/server/auth/session";
import type { Caller } from "@/server/authz/caller";
import { openTestDb } from "@/test/db";
import { callerFor, seedTenancy } from "@/test/fixtures";

/**
 * While PostgreSQL restarts, a call must not answer with the failed SQL and its parameters (seen:
 * "Failed query: select "users"."id", … where "users"."id" = $1 params: <uuid>" from the session
 * lookup in the context). Errors from the context and from procedures go through one formatter:
 * an unreachable database is 503 with Retry-After; details go to the server log only.
 */
let closedPglite: Db;
let admin: Caller;
const unreachablePg = openDb({ url: "postgres://postgres@127.0.0.1:1/stratus_nowhere", max: 1 });

beforeAll(async () => {
  const h = await openTestDb();
  await seedTenancy(h.db);
  admin = await callerFor(h.db, "admin");
  await h.close(); // PGlite closed, or the PostgreSQL database dropped and its pool ended
  closedPglite = h.db;
});
afterAll(() => unreachablePg.close().catch(() => undefined));

const listRequest = () =>
  new Request(`http://portal.test/api/trpc/instance.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, {
    headers: { host: "portal.test" },
  });

async function expectUnavailable(res: Response, secrets: string[]) {
  const body = await res.text();
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("5");
  const json = JSON.parse(body) as { error: { json: { message: string; data: { code: string; retryAfterSeconds?: number } } } };
  expect(json.error.json.message).toBe("The database is briefly unavailable; please retry in 5 seconds");
  expect(json.error.json.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 5 });
  for (const s of ["select", "Failed query", "params", "users", "stack", ...secrets])
    expect(body.toLowerCase()).not.toContain(s.toLowerCase());
}

describe("a database that is briefly unreachable", () => {
  const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
  afterAll(() => log.mockRestore());

  it("answers a failed session lookup in the context with 503 and no SQL", async () => {
    for (const db of [closedPglite, unreachablePg.db]) {
      const res = await handleTrpcRequest(listRequest(), async () => ({ db, caller: await resolveCaller(db, admin.userId, 0) }));
      await expectUnavailable(res, [admin.userId]);
    }
    // The details are in the server log.
    expect(log.mock.calls.flat().map(String).join(" ")).toMatch(/failed/);
  });

  it("answers a failed query in a procedure with 503 and no SQL", async () => {
    for (const db of [closedPglite, unreachablePg.db]) {
      const res = await handleTrpcRequest(listRequest(), () => Promise.resolve({ db, caller: admin }));
      await expectUnavailable(res, [admin.accountId]);
    }
  });

  it("answers any other fault in the context with a generic 500", async () => {
    const res = await handleTrpcRequest(listRequest(), () =>
      Promise.reject(new Error('Failed query: select "secret" from "users" params: 42')),
    );
    const body = await res.text();
    expect(res.status).toBe(500);
    expect((JSON.parse(body) as { error: { json: { message: string } } }).error.json.message).toBe(
      "Something went wrong on the server; the error was logged",
    );
    expect(body).not.toContain("secret");
    expect(body).not.toContain("Failed query");
  });
});
