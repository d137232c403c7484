import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { accounts, resourceCounters } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";
import { accountLimits, adjust, consume, defaultAccountLimits, domainLimits, LimitExceededError, release, writeLimits } from "./limits";
import { createAccount } from "@/server/services/accounts";

let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(() => h.close());

const used = (rows: { resourceType: string; used: number }[], type: string) => rows.find((r) => r.resourceType === type)!.used;

describe(`limits on ${testDbKind()}`, () => {
  it("counts an account's use on the account and every ancestor domain", async () => {
    const a = t.tenantAccount.id;
    await h.db.transaction((tx) => consume(tx, a, { instances: 2, vcpus: 4 }));
    expect(used(await accountLimits(h.db, a), "instances")).toBe(2);
    expect(used(await domainLimits(h.db, t.domains.acme.id), "vcpus")).toBe(4);
    expect(used(await domainLimits(h.db, t.domains.root.id), "instances")).toBe(2);
    expect(used(await domainLimits(h.db, t.domains.globex.id), "instances")).toBe(0);
    await h.db.transaction((tx) => release(tx, a, { instances: 2, vcpus: 4 }));
    expect(used(await accountLimits(h.db, a), "instances")).toBe(0);
    expect(used(await domainLimits(h.db, t.domains.root.id), "vcpus")).toBe(0);
  });

  it("refuses a consume over the account limit and leaves every counter unchanged", async () => {
    const a = t.tenantAccount.id;
    await writeLimits(h.db, { accountId: a }, { public_ips: 1 });
    await h.db.transaction((tx) => consume(tx, a, { public_ips: 1 }));
    const err = await h.db.transaction((tx) => consume(tx, a, { public_ips: 1, networks: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as Error).message).toMatch(/Public IPs limit reached for account acme-dev: 1 of 1 in use/);
    expect(used(await accountLimits(h.db, a), "networks")).toBe(0);
    expect(used(await domainLimits(h.db, t.domains.acme.id), "networks")).toBe(0);
    await h.db.transaction((tx) => release(tx, a, { public_ips: 1 }));
  });

  it("adjusts in one signed call: takes the increase against its limit, gives the decrease back, or changes nothing", async () => {
    const a = t.tenantAccount.id;
    await h.db.transaction((tx) => consume(tx, a, { vcpus: 4, memory_mib: 4096 }));
    await writeLimits(h.db, { accountId: a }, { vcpus: 6 });
    try {
      await h.db.transaction((tx) => adjust(tx, a, { vcpus: 2, memory_mib: -1024 }));
      expect([used(await accountLimits(h.db, a), "vcpus"), used(await accountLimits(h.db, a), "memory_mib")]).toEqual([6, 3072]);
      expect(used(await domainLimits(h.db, t.domains.root.id), "memory_mib")).toBe(3072);
      // Over the limit: refused as a whole, the decrease in the same call not applied either.
      const err = await h.db.transaction((tx) => adjust(tx, a, { vcpus: 1, memory_mib: -1024 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LimitExceededError);
      expect([used(await accountLimits(h.db, a), "vcpus"), used(await accountLimits(h.db, a), "memory_mib")]).toEqual([6, 3072]);
      // A decrease goes through even above a limit lowered meanwhile.
      await writeLimits(h.db, { accountId: a }, { vcpus: 2 });
      await h.db.transaction((tx) => adjust(tx, a, { vcpus: -1, memory_mib: 1024 }));
      expect([used(await accountLimits(h.db, a), "vcpus"), used(await accountLimits(h.db, a), "memory_mib")]).toEqual([5, 4096]);
    } finally {
      await writeLimits(h.db, { accountId: a }, { vcpus: null });
      await h.db.transaction((tx) => release(tx, a, { vcpus: 5, memory_mib: 4096 }));
    }
  });

  it("enforces an ancestor domain's limit on its accounts", async () => {
    await writeLimits(h.db, { domainId: t.domains.acme.id }, { templates: 3 });
    await h.db.transaction((tx) => consume(tx, t.tenantAccount.id, { templates: 3 }));
    const err = await h.db.transaction((tx) => consume(tx, t.tenantAccount.id, { templates: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as LimitExceededError).owner).toEqual({ kind: "domain", name: "Acme Cloud" });
    await h.db.transaction((tx) => release(tx, t.tenantAccount.id, { templates: 3 }));
  });

  it("100 concurrent consumes against a limit of 10 grant exactly 10, and the counters are exact", async () => {
    const { account } = await createAccount(h.db, t.callers.admin, {
      domainId: t.domains.initech.id,
      name: "race",
      type: "user",
      username: "race-user",
      password: "password-race",
    });
    await writeLimits(h.db, { accountId: account.id }, { instances: 10, vcpus: null, memory_mib: null });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => h.db.transaction((tx) => consume(tx, account.id, { instances: 1, vcpus: 2, memory_mib: 512 }))),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.filter((r) => r.status === "rejected" && r.reason instanceof LimitExceededError).length;
    expect(ok).toBe(10);
    expect(refused).toBe(90);
    const acc = await accountLimits(h.db, account.id);
    expect(used(acc, "instances")).toBe(10);
    expect(used(acc, "vcpus")).toBe(20);
    expect(used(acc, "memory_mib")).toBe(5120);
    const initech = await domainLimits(h.db, t.domains.initech.id);
    expect(used(initech, "instances")).toBe(10);
    expect(used(initech, "vcpus")).toBe(20);
  });

  it("an account created with limits starts with them over the built-in defaults; a reseller cannot exceed its own domain's", async () => {
    const { account } = await createAccount(h.db, t.callers.admin, {
      domainId: t.domains.initech.id,
      name: "sized",
      type: "user",
      username: "sized-user",
      password: "password-sized",
      limits: { instances: 3, memory_mib: null },
    });
    const rows = await accountLimits(h.db, account.id);
    const max = (type: string) => rows.find((r) => r.resourceType === type)!.max;
    expect([max("instances"), max("memory_mib"), max("vcpus")]).toEqual([3, null, defaultAccountLimits.vcpus]);

    await writeLimits(h.db, { domainId: t.domains.initech.id }, { vcpus: 8 });
    const err = await createAccount(h.db, t.callers.reseller2, {
      domainId: t.domains.initech.id,
      name: "too-big",
      type: "user",
      username: "too-big-user",
      password: "password-too-big",
      limits: { vcpus: 9 },
    }).catch((e: unknown) => e);
    expect((err as { field?: string }).field).toBe("limits.vcpus");
    const [left] = await h.db.select().from(accounts).where(eq(accounts.name, "too-big"));
    expect(left).toBeUndefined();
    await writeLimits(h.db, { domainId: t.domains.initech.id }, { vcpus: null });
  });

  it("keeps used non-negative: releasing more than was consumed is an error, not silent drift", async () => {
    const err = await h.db.transaction((tx) => release(tx, t.tenantAccount.id, { snapshots: 1 })).catch((e: unknown) => e);
    expect(err).toBeTruthy();
    const [row] = await h.db.select().from(resourceCounters).where(eq(resourceCounters.accountId, t.tenantAccount.id));
    expect(row).toBeDefined();
    expect(used(await accountLimits(h.db, t.tenantAccount.id), "snapshots")).toBe(0);
  });
});
