import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { rowsOf } from "@/db/rows";
import { networkOfferings, networks, nics, publicIps } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";
import { accountOwner, writeLimits } from "@/server/core/limits";

/**
 * Allocation under real concurrency (PostgreSQL, a pool of connections): networks created at once
 * never share a VLAN, concurrent deploys onto one network never share an address, and two first
 * deploys of an account make one default network. PGlite is one connection, so only here.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  if (testDbKind() !== "postgres") throw new Error("concurrency.postgres.test.ts needs TEST_DB=postgres");
  h = await openTestDb();
  t = await seedTenancy(h.db);
  for (const c of [t.callers.tenant, t.callers.globex, t.callers.tenant2]) {
    const owner = await accountOwner(h.db, c.accountId);
    await writeLimits(
      h.db,
      { accountId: owner.id },
      { instances: null, vcpus: null, memory_mib: null, volumes: null, primary_storage_gib: null, networks: null },
    );
  }
});
afterAll(async () => {
  await h?.close();
});

describe(`network allocation under concurrency (${testDbKind()})`, () => {
  it("two first deploys of an account at once make one default network, counted once", async () => {
    const choices = await deployChoicesByName(h.db);
    const c = api(h.db, t.callers.tenant2);
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.instance.deploy({ ...choices, name: `first-${i}` })));
    const owner = await accountOwner(h.db, t.callers.tenant2.accountId);
    const defaults = await h.db
      .select()
      .from(networks)
      .where(and(eq(networks.accountId, owner.id), eq(networks.isDefault, true)));
    expect(defaults).toHaveLength(1);
    const ips = (await h.db.select({ ip: nics.ip }).from(nics).where(eq(nics.networkId, defaults[0]!.id))).map((r) => r.ip);
    expect(new Set(ips).size).toBe(6);
    const used = rowsOf<{ used: number }>(
      await h.db.execute(
        sql`select used::int as used from resource_counters where account_id = ${owner.id} and resource_type = 'networks'`,
      ),
    );
    expect(Number(used[0]!.used)).toBe(1);
  });

  it("30 networks created at once by three accounts take 30 different VLANs", async () => {
    const [offering] = await h.db.select().from(networkOfferings).where(eq(networkOfferings.name, "Default isolated"));
    const { zoneId } = await deployChoicesByName(h.db);
    const callers = [t.callers.tenant, t.callers.globex, t.callers.tenant2];
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        api(h.db, callers[i % 3]!).network.create({ name: `par-${i}`, zoneId, networkOfferingId: offering!.id }),
      ),
    );
    const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
    expect(failed).toEqual([]);
    const vlans = (await h.db.select({ v: networks.vlan }).from(networks).where(eq(networks.zoneId, zoneId))).map((r) => r.v);
    expect(new Set(vlans).size).toBe(vlans.length);
  });

  it("20 concurrent acquires of public IPs by three accounts: every address different, one source NAT per network", async () => {
    const { zoneId } = await deployChoicesByName(h.db);
    await api(h.db, t.callers.admin).publicIpRange.add({
      zoneId,
      gateway: "198.51.100.1",
      prefixLength: 24,
      vlan: null,
      startIp: "198.51.100.10",
      endIp: "198.51.100.60",
    });
    const callers = [t.callers.tenant, t.callers.globex, t.callers.tenant2];
    const nets = await Promise.all(callers.map(async (c) => (await api(h.db, c).network.list({ search: "par-" })).items[0]!));
    const results = await Promise.allSettled(
      Array.from({ length: 21 }, (_, i) => api(h.db, callers[i % 3]!).publicIp.acquire({ networkId: nets[i % 3]!.id })),
    );
    const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
    expect(failed).toEqual([]);
    const rows = await h.db.select().from(publicIps).where(eq(publicIps.zoneId, zoneId));
    expect(new Set(rows.map((r) => r.address)).size).toBe(21);
    for (const n of nets) expect(rows.filter((r) => r.networkId === n.id && r.isSourceNat)).toHaveLength(1);
  });

  it("40 concurrent deploys onto one /26 network: every NIC a different address, none reserved", async () => {
    const c = api(h.db, t.callers.globex);
    const { zoneId, ...rest } = await deployChoicesByName(h.db);
    const [offering] = await h.db.select().from(networkOfferings).where(eq(networkOfferings.name, "Default isolated"));
    const net = await c.network.create({ name: "busy", zoneId, networkOfferingId: offering!.id, cidr: "172.16.5.0/26" });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => c.instance.deploy({ zoneId, ...rest, name: `busy-${i}`, networks: [{ networkId: net.id }] })),
    );
    const failed = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
    expect(failed).toEqual([]);
    const ips = (await h.db.select({ ip: nics.ip }).from(nics).where(eq(nics.networkId, net.id))).map((r) => r.ip!);
    expect(ips).toHaveLength(40);
    expect(new Set(ips).size).toBe(40);
    for (const ip of ips) expect(["172.16.5.0", "172.16.5.1", "172.16.5.63"]).not.toContain(ip);
  });
});
