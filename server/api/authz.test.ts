import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import type { Caller } from "@/server/authz/caller";
import { appRouter } from "./root";
import { authzProbes, type Victim } from "@/test/authz-probes";
import { cloudStackProbes } from "@/test/cloudstack-probes";
import { commands } from "@/server/cloudstack/commands";
import { handleCloudStackRequest } from "@/server/cloudstack/api";
import { signRequest, type Pair } from "@/server/cloudstack/signature";
import { issueApiKey, type IssuedKey } from "@/server/services/api-keys";

/**
 * Every tRPC procedure, called by a user of another account and by a reseller of a sibling domain
 * with inputs aimed at the victim's objects (tenant "acme-dev" in domain "Acme Cloud"), must neither
 * return nor change anything of the victim's. A procedure without a probe fails the test: add one
 * in test/authz-probes.ts with every new procedure.
 */
let h: DbHandle;
let victim: Victim;
let attackers: Record<string, Caller>;

/**
 * Every table but the audit log, the login throttle (the attacker's own failed attempts) and alert
 * subscriptions (a user's own preferences, keyed by the caller's user id: no input names another's),
 * as text: any cross-scope change shows up as a difference.
 */
async function snapshot(db: Db): Promise<string> {
  const tables = await db.execute<{ tablename: string }>(
    // api_rate_windows: the attacker's own request counters, like the login throttle; api_seen_signatures: its own requests' hashes.
    sql`select tablename from pg_tables where schemaname = 'public' and tablename not in ('events', 'login_throttle', 'api_rate_windows', 'api_seen_signatures', 'alert_subscriptions') order by tablename`,
  );
  const names = rowsOf<{ tablename: string }>(tables).map((r) => r.tablename);
  const parts: string[] = [];
  for (const n of names) {
    const res = await db.execute(sql.raw(`select * from "${n}" order by 1`));
    const rows = rowsOf(res);
    parts.push(`${n}:${JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`);
  }
  return parts.join("\n");
}

beforeAll(async () => {
  h = await openTestDb();
  const t = await seedTenancy(h.db);
  victim = await authzProbes.setUp(h.db, t);
  attackers = { "user of another account": t.callers.tenant2, "reseller of a sibling domain": t.callers.reseller2 };
});
afterAll(() => h.close());

function procedurePaths(): string[] {
  return Object.keys((appRouter._def as unknown as { procedures: Record<string, unknown> }).procedures).sort();
}

async function call(caller: Caller, path: string, input: unknown): Promise<{ ok: true; data: unknown } | { ok: false; code: string }> {
  const segments = path.split(".");
  let fn: unknown = api(h.db, caller);
  for (const s of segments) fn = (fn as Record<string, unknown>)[s];
  try {
    const data = await (fn as (i: unknown) => Promise<unknown>)(input);
    return { ok: true, data };
  } catch (e) {
    if (e instanceof TRPCError) return { ok: false, code: e.code };
    throw e;
  }
}

describe(`authorisation of every procedure on ${testDbKind()}`, () => {
  it("has a probe for every procedure of the router", () => {
    const missing = procedurePaths().filter((p) => !(p in authzProbes.inputs));
    expect(missing, "add these procedures to test/authz-probes.ts").toEqual([]);
  });

  it("no procedure returns or changes another tenant's objects", async () => {
    const before = await snapshot(h.db);
    const leaks: string[] = [];
    for (const [who, caller] of Object.entries(attackers)) {
      for (const path of procedurePaths()) {
        const probe = authzProbes.inputs[path];
        if (!probe) continue;
        const input = probe(victim);
        const result = await call(caller, path, input);
        if (result.ok) {
          // Ids the attacker sent may be echoed back (e.g. per-id bulk results); anything else is a leak.
          const sent = JSON.stringify(input ?? null);
          const text = JSON.stringify(result.data);
          const leaked = victim.secrets.filter((s) => text.includes(s) && !sent.includes(s));
          if (leaked.length) leaks.push(`${path} as ${who} returned ${leaked.join(", ")}`);
        } else if (!["NOT_FOUND", "FORBIDDEN", "BAD_REQUEST", "PRECONDITION_FAILED"].includes(result.code)) {
          leaks.push(`${path} as ${who} failed with ${result.code}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(await snapshot(h.db)).toBe(before);
  });

  it("an object of another tenant is NOT_FOUND, never FORBIDDEN, for procedures the caller may use", async () => {
    const wrong: string[] = [];
    const tenant2 = attackers["user of another account"]!;
    const reseller2 = attackers["reseller of a sibling domain"]!;
    for (const path of authzProbes.targeted) {
      for (const caller of [tenant2, reseller2]) {
        const r = await call(caller, path, authzProbes.inputs[path]!(victim));
        if (!r.ok && r.code === "FORBIDDEN" && authzProbes.permitted(caller, path)) wrong.push(`${path} as ${caller.username}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("signed-out callers get UNAUTHORIZED from everything but session.me", async () => {
    for (const path of procedurePaths()) {
      if (path === "session.me") continue;
      const segments = path.split(".");
      let fn: unknown = api(h.db, null);
      for (const s of segments) fn = (fn as Record<string, unknown>)[s];
      const code = await (fn as (i: unknown) => Promise<unknown>)(authzProbes.inputs[path]?.(victim)).then(
        () => "OK",
        (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
      );
      expect(code, path).toBe("UNAUTHORIZED");
    }
  });
});

/**
 * The same attackers through the CloudStack API (/client/api), each with its own signed API key:
 * every command, aimed at the victim's objects, returns none of them and changes nothing; an
 * object of the victim's is "not found" (431), never a permission error naming it.
 */
describe(`authorisation of every CloudStack command on ${testDbKind()}`, () => {
  const keys: Record<string, IssuedKey> = {};
  async function cs(key: IssuedKey, params: Record<string, string>) {
    const pairs: Pair[] = [["apiKey", key.apiKey], ["response", "json"], ...Object.entries(params)];
    pairs.push(["signature", signRequest(pairs, key.secretKey)]);
    const r = await handleCloudStackRequest(h.db, pairs);
    return { status: r.status, text: r.text };
  }
  beforeAll(async () => {
    for (const [who, caller] of Object.entries(attackers)) {
      keys[who] = await issueApiKey(h.db, caller.userId, { name: "attacker" }, caller.userId);
      // One use first, so the key's last-used time is written before the tables are compared.
      await cs(keys[who], { command: "listCapabilities" });
    }
  });

  it("has a probe for every command", () => {
    expect(commands.map((c) => c.name).filter((n) => !(n in cloudStackProbes))).toEqual([]);
  });

  it("no command returns or changes another tenant's objects", async () => {
    const before = await snapshot(h.db);
    const leaks: string[] = [];
    for (const [who, key] of Object.entries(keys)) {
      for (const c of commands) {
        const params = cloudStackProbes[c.name]!(victim);
        const r = await cs(key, { command: c.name, ...params });
        const sent = JSON.stringify(params);
        const leaked = victim.secrets.filter((s) => r.text.includes(s) && !sent.includes(s));
        if (leaked.length) leaks.push(`${c.name} as ${who} (${r.status}) returned ${leaked.join(", ")}`);
        // 432: a command the attacker's role lacks (CloudStack's answer for it).
        if (![200, 431, 432, 531].includes(r.status)) leaks.push(`${c.name} as ${who} answered ${r.status}: ${r.text}`);
        if (r.status === 531 && /acme|not found/i.test(r.text))
          leaks.push(`${c.name} as ${who}: a permission error about the victim's object`);
      }
    }
    expect(leaks).toEqual([]);
    expect(await snapshot(h.db)).toBe(before);
  });
});
