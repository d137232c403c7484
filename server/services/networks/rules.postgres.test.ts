import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { networkRules, nics } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";

/**
 * Rules under real concurrency (PostgreSQL, a pool of connections): port forwards racing for the
 * same public port on one address make one rule; static NAT racing for one address makes one.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;

beforeAll(async () => {
  if (testDbKind() !== "postgres") throw new Error("rules.postgres.test.ts needs TEST_DB=postgres");
  h = await openTestDb();
  t = await seedTenancy(h.db);
});
afterAll(async () => {
  await h?.close();
});

describe(`network rules under concurrency (${testDbKind()})`, () => {
  it("port forwards racing for one public port: one wins, the others are CONFLICT; static NAT racing for one address: one wins", async () => {
    const choices = await deployChoicesByName(h.db);
    const tenant = api(h.db, t.callers.tenant);
    const vms = await tenant.instance.deploy({ ...choices, name: "race", count: 2 });
    const nicRows = await Promise.all(vms.map(async (v) => (await h.db.select().from(nics).where(eq(nics.instanceId, v.id)))[0]!));
    await api(h.db, t.callers.admin).publicIpRange.add({
      zoneId: choices.zoneId,
      gateway: "198.51.100.1",
      prefixLength: 24,
      vlan: null,
      startIp: "198.51.100.10",
      endIp: "198.51.100.19",
    });
    const networkId = nicRows[0]!.networkId;
    await tenant.publicIp.acquire({ networkId });
    const ip = await tenant.publicIp.acquire({ networkId });
    const ip2 = await tenant.publicIp.acquire({ networkId });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        tenant.networkRule.createPortForward({
          publicIpId: ip.id,
          protocol: "tcp",
          publicStartPort: 8080 + (i % 2),
          publicEndPort: 8081,
          privateStartPort: 80,
          privateEndPort: 81 - (i % 2),
          nicId: nicRows[i % 2]!.id,
        }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as { code: string }).code).toBe("CONFLICT");
    expect(await h.db.select().from(networkRules).where(eq(networkRules.publicIpId, ip.id))).toHaveLength(1);

    const nat = await Promise.allSettled(nicRows.map((n) => tenant.networkRule.enableStaticNat({ publicIpId: ip2.id, nicId: n.id })));
    expect(nat.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await h.db.select().from(networkRules).where(eq(networkRules.publicIpId, ip2.id))).toHaveLength(1);
  });
});
