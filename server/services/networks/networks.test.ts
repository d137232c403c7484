import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { events, networkOfferings, networks, nics, simulatorNetworks, usageEvents, zoneVlanRanges } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { deployChoicesByName, testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { accountLimits } from "@/server/core/limits";
import { reconcileNetworks } from "@/server/orchestrator/sync/networks";

/**
 * The network model on the simulator, through the real router: offerings, zone VLANs, isolated
 * networks with limits and usage, IPAM through deploys, NIC operations, the simulator's applied
 * spec and the reconciler's repair, and other tenants' networks NOT_FOUND.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let zoneId: string;
let isolated: string;
let l2: string;

beforeAll(async () => {
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  zoneId = (await deployChoicesByName(h.db)).zoneId;
  const byName = async (n: string) => (await h.db.select().from(networkOfferings).where(eq(networkOfferings.name, n)))[0]!.id;
  isolated = await byName("Default isolated");
  l2 = await byName("L2");
});
afterAll(async () => {
  await workers.stop();
  await h.close();
});

const tenant = () => api(h.db, t.callers.tenant);
const admin = () => api(h.db, t.callers.admin);
const used = async (type: string, accountId = t.tenantAccount.id) =>
  (await accountLimits(h.db, accountId)).find((r) => r.resourceType === type)!.used;
async function error(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError & { cause?: { field?: string } };
}
const fieldOf = (e: TRPCError) => (e.cause as { field?: string } | undefined)?.field;
async function ok<T extends { jobId: string }>(p: Promise<T>) {
  const r = await p;
  const job = await waitForJob(h.db, r.jobId);
  expect(job.status, job.error ?? "").toBe("succeeded");
  return r;
}

describe(`network model on the simulator (${testDbKind()})`, () => {
  it("seeds a default isolated offering and shared/L2 ones; an admin creates a domain-scoped one that other subtrees cannot see", async () => {
    const list = await admin().networkOffering.list({});
    expect(list.items.map((o) => [o.name, o.guestType]).sort()).toEqual([
      ["Default isolated", "isolated"],
      ["L2", "l2"],
      ["Shared", "shared"],
    ]);
    const bad = await error(admin().networkOffering.create({ name: "bad", guestType: "l2", services: ["Dhcp"], domainId: null }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/Services must be empty/);
    const acmeOnly = await api(h.db, t.callers.reseller).networkOffering.create({
      name: "Acme isolated",
      guestType: "isolated",
      services: ["Dhcp", "Dns", "SourceNat"],
      egressDefault: "deny",
      rateLimitMbps: 100,
      domainId: t.domains.acme.id,
    });
    expect(acmeOnly.egressDefault).toBe("deny");
    expect((await tenant().networkOffering.get({ id: acmeOnly.id })).name).toBe("Acme isolated");
    expect((await error(api(h.db, t.callers.globex).networkOffering.get({ id: acmeOnly.id }))).code).toBe("NOT_FOUND");
    expect((await error(tenant().networkOffering.create({ name: "x", guestType: "isolated", domainId: null }))).code).toBe("FORBIDDEN");
  });

  it("creates an isolated network: zone CIDR by default, gateway first address, VLAN from the zone, limit and usage counted", async () => {
    const before = await used("networks");
    const n = await tenant().network.create({ name: "web", zoneId, networkOfferingId: isolated });
    expect([n.cidr, n.gateway, n.state]).toEqual(["10.1.1.0/24", "10.1.1.1", "allocated"]);
    expect(n.vlan).toBeGreaterThanOrEqual(100);
    expect(await used("networks")).toBe(before + 1);
    const [fact] = await h.db
      .select()
      .from(usageEvents)
      .where(and(eq(usageEvents.resourceId, n.id), eq(usageEvents.type, "NETWORK.CREATE")));
    expect(fact).toBeDefined();
    const own = await tenant().network.create({
      name: "db",
      zoneId,
      networkOfferingId: isolated,
      cidr: "192.168.50.0/28",
      dnsDomain: "db.internal",
    });
    expect([own.cidr, own.gateway, own.dnsDomain]).toEqual(["192.168.50.0/28", "192.168.50.1", "db.internal"]);
    expect(own.vlan).not.toBe(n.vlan);
    const dup = await error(tenant().network.create({ name: "web", zoneId, networkOfferingId: isolated }));
    expect([dup.code, fieldOf(dup)]).toEqual(["CONFLICT", "name"]);
  });

  it("refuses bad CIDRs with a message naming the field", async () => {
    for (const [cidr, msg] of [
      ["8.8.8.0/24", /private range/],
      ["10.0.0.0/8", /between \/16 and \/29/],
      ["10.1.1.0/30", /between \/16 and \/29/],
      ["10.1.1.5/24", /no host bits/],
      ["banana", /IPv4 network/],
    ] as const) {
      const e = await error(tenant().network.create({ name: `bad-${cidr.length}`, zoneId, networkOfferingId: isolated, cidr }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toMatch(/CIDR/);
      expect(e.message).toMatch(msg);
    }
  });

  it("a zone's VLAN range runs out with an error naming the zone; ranges never overlap", async () => {
    const zn = await admin().zoneNetwork.get({ zoneId });
    expect(zn.ranges.map((r) => [r.startId, r.endId])).toEqual([[100, 3999]]);
    const overlap = await error(admin().zoneNetwork.addVlanRange({ zoneId, startId: 3990, endId: 4010 }));
    expect([overlap.code, fieldOf(overlap)]).toEqual(["CONFLICT", "startId"]);
    expect((await error(tenant().zoneNetwork.get({ zoneId }))).code).toBe("FORBIDDEN");
    // Shrink the zone to a single free id for a moment: the second network finds none.
    const [range] = await h.db.select().from(zoneVlanRanges).where(eq(zoneVlanRanges.zoneId, zoneId));
    const taken = (await h.db.select({ v: networks.vlan }).from(networks).where(eq(networks.zoneId, zoneId))).map((r) => r.v!);
    const free = Math.max(...taken) + 1;
    await h.db.update(zoneVlanRanges).set({ startId: 100, endId: free }).where(eq(zoneVlanRanges.id, range!.id));
    try {
      const last = await tenant().network.create({ name: "last-vlan", zoneId, networkOfferingId: isolated });
      expect(last.vlan).toBe(free);
      const e = await error(tenant().network.create({ name: "no-vlan", zoneId, networkOfferingId: isolated }));
      expect([e.code, fieldOf(e)]).toEqual(["PRECONDITION_FAILED", "zoneId"]);
      expect(e.message).toMatch(/VLAN ranges are exhausted/);
      await ok(tenant().network.delete({ id: last.id }));
    } finally {
      await h.db.update(zoneVlanRanges).set({ startId: 100, endId: 3999 }).where(eq(zoneVlanRanges.id, range!.id));
    }
  });

  it("the first deploy without networks creates the account's default network; NICs get unique addresses, never gateway", async () => {
    const choices = await deployChoicesByName(h.db);
    const before = await used("networks");
    const [a, b] = await tenant().instance.deploy({ ...choices, name: "nic", count: 2 });
    await waitForJob(h.db, a!.jobId);
    await waitForJob(h.db, b!.jobId);
    expect(await used("networks")).toBe(before + 1);
    const [def] = await h.db
      .select()
      .from(networks)
      .where(and(eq(networks.accountId, t.tenantAccount.id), eq(networks.isDefault, true)));
    expect(def!.state).toBe("implemented");
    const rows = await h.db.select().from(nics).where(eq(nics.networkId, def!.id));
    expect(rows.map((r) => r.ip).sort()).toEqual(["10.1.1.2", "10.1.1.3"]);
    // The simulated router holds both leases.
    const [applied] = await h.db
      .select()
      .from(simulatorNetworks)
      .where(and(eq(simulatorNetworks.networkId, def!.id), eq(simulatorNetworks.role, "router")));
    const spec = applied!.spec as { guest: { leases: { ip: string }[] } };
    expect(spec.guest.leases.map((l) => l.ip)).toEqual(["10.1.1.2", "10.1.1.3"]);
    // The instance page's NICs.
    const list = await tenant().nic.list({ instanceId: a!.id });
    expect(list).toHaveLength(1);
    expect(list[0]!.networkName).toBe(def!.name);
    // A second deploy reuses the default network.
    const [c] = await tenant().instance.deploy({ ...choices, name: "nic-c" });
    await waitForJob(h.db, c!.jobId);
    expect(await used("networks")).toBe(before + 1);
  });

  it("a deploy on chosen networks with a requested address; taken, reserved or outside addresses are refused naming the field", async () => {
    const choices = await deployChoicesByName(h.db);
    const net = (await tenant().network.list({ search: "db" })).items[0]!;
    const picks = await tenant().network.choices({ zoneId });
    expect(picks.networks.find((n) => n.id === net.id)!.nextIp).toBe("192.168.50.2");
    const [vm] = await tenant().instance.deploy({ ...choices, name: "fixed", networks: [{ networkId: net.id, ip: "192.168.50.9" }] });
    expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
    const taken = await error(
      tenant().instance.deploy({ ...choices, name: "fixed2", networks: [{ networkId: net.id, ip: "192.168.50.9" }] }),
    );
    expect([taken.code, fieldOf(taken)]).toEqual(["CONFLICT", "networks.0.ip"]);
    const gw = await error(tenant().instance.deploy({ ...choices, name: "fixed3", networks: [{ networkId: net.id, ip: "192.168.50.1" }] }));
    expect([gw.code, fieldOf(gw)]).toEqual(["BAD_REQUEST", "networks.0.ip"]);
    const out = await error(tenant().instance.deploy({ ...choices, name: "fixed4", networks: [{ networkId: net.id, ip: "10.9.9.9" }] }));
    expect([out.code, fieldOf(out)]).toEqual(["BAD_REQUEST", "networks.0.ip"]);
    // The /28 holds 13 addresses (16 less network, gateway, broadcast): fill it, then the pool is exhausted.
    const more = await tenant().instance.deploy({ ...choices, name: "fill", count: 12, networks: [{ networkId: net.id }] });
    for (const m of more) await waitForJob(h.db, m.jobId);
    const full = await error(tenant().instance.deploy({ ...choices, name: "one-too-many", networks: [{ networkId: net.id }] }));
    expect([full.code, fieldOf(full)]).toEqual(["PRECONDITION_FAILED", "networks.0.ip"]);
    expect(full.message).toMatch(/no free address/);
    const detail = await tenant().network.get({ id: net.id });
    expect([detail.addressesTotal, detail.addressesFree]).toEqual([13, 0]);
    expect(new Set(detail.vms.map((v) => v.ip)).size).toBe(13);
    // Expunging one frees its address for the next VM.
    await ok(tenant().instance.destroy({ id: more[0]!.id }));
    await ok(tenant().instance.expunge({ id: more[0]!.id }));
    const [again] = await tenant().instance.deploy({ ...choices, name: "after-expunge", networks: [{ networkId: net.id }] });
    expect((await waitForJob(h.db, again!.jobId)).status).toBe("succeeded");
    for (const m of [...more.slice(1), again!, vm!]) {
      await ok(tenant().instance.destroy({ id: m.id }));
      await ok(tenant().instance.expunge({ id: m.id }));
    }
  });

  it("NIC operations on a stopped VM: add on another network, change the address, remove; the default NIC stays", async () => {
    const choices = await deployChoicesByName(h.db);
    const web = (await tenant().network.list({ search: "web" })).items[0]!;
    const [vm] = await tenant().instance.deploy({ ...choices, name: "multi" });
    await waitForJob(h.db, vm!.jobId);
    expect((await error(tenant().nic.add({ instanceId: vm!.id, networkId: web.id }))).code).toBe("CONFLICT");
    await ok(tenant().instance.stop({ id: vm!.id }));
    const added = await tenant().nic.add({ instanceId: vm!.id, networkId: web.id, ip: "10.1.1.77" });
    expect([added.nic.ip, added.nic.deviceId]).toEqual(["10.1.1.77", 1]);
    const moved = await tenant().nic.updateIp({ instanceId: vm!.id, nicId: added.nic.id, ip: "10.1.1.78" });
    expect(moved.jobId).toBeDefined();
    expect((await tenant().nic.list({ instanceId: vm!.id })).map((n) => n.ip)).toContain("10.1.1.78");
    const def = (await tenant().nic.list({ instanceId: vm!.id })).find((n) => n.deviceId === 0)!;
    expect(fieldOf(await error(tenant().nic.remove({ instanceId: vm!.id, nicId: def.id })))).toBe("nicId");
    // Started again: the new network is implemented, the router has the lease.
    await ok(tenant().instance.start({ id: vm!.id }));
    const [w] = await h.db.select().from(networks).where(eq(networks.id, web.id));
    expect(w!.state).toBe("implemented");
    await ok(tenant().instance.stop({ id: vm!.id }));
    await tenant().nic.remove({ instanceId: vm!.id, nicId: added.nic.id });
    expect(await tenant().nic.list({ instanceId: vm!.id })).toHaveLength(1);
  });

  it("the reconciler repairs a router whose state was changed by hand, and says so", async () => {
    const [def] = await h.db
      .select()
      .from(networks)
      .where(and(eq(networks.accountId, t.tenantAccount.id), eq(networks.isDefault, true)));
    // The expunges above dropped leases the routers still hold: the first cycle applies them again, the next finds nothing.
    await reconcileNetworks(h.db);
    expect(await reconcileNetworks(h.db)).toEqual([]);
    await h.db
      .update(simulatorNetworks)
      .set({ spec: { tampered: true } })
      .where(and(eq(simulatorNetworks.networkId, def!.id), eq(simulatorNetworks.role, "router")));
    const repairs = await reconcileNetworks(h.db);
    expect(repairs.map((r) => r.networkId)).toEqual([def!.id]);
    expect(repairs[0]!.differences).toContain("guest differs");
    expect(await reconcileNetworks(h.db)).toEqual([]);
    const [ev] = await h.db
      .select()
      .from(events)
      .where(and(eq(events.resourceId, def!.id), eq(events.type, "NETWORK.REPAIRED")));
    expect(ev!.level).toBe("warn");
    // Restart re-applies the same spec.
    await ok(tenant().network.restart({ id: def!.id }));
  });

  it("public IPs: admin ranges, acquire (the first is source NAT) and release, limits, usage, the router's public side", async () => {
    const bad = await error(
      admin().publicIpRange.add({
        zoneId,
        gateway: "203.0.113.1",
        prefixLength: 24,
        vlan: null,
        startIp: "203.0.114.10",
        endIp: "203.0.114.11",
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/^startIp: First address must be in the gateway's network/);
    await admin().publicIpRange.add({
      zoneId,
      gateway: "203.0.113.1",
      prefixLength: 24,
      vlan: 50,
      startIp: "203.0.113.10",
      endIp: "203.0.113.12",
    });
    const overlap = await error(
      admin().publicIpRange.add({
        zoneId,
        gateway: "203.0.113.1",
        prefixLength: 24,
        vlan: null,
        startIp: "203.0.113.12",
        endIp: "203.0.113.20",
      }),
    );
    expect([overlap.code, fieldOf(overlap)]).toEqual(["CONFLICT", "startIp"]);
    expect((await error(tenant().publicIpRange.list({ zoneId }))).code).toBe("FORBIDDEN");

    const [def] = await h.db
      .select()
      .from(networks)
      .where(and(eq(networks.accountId, t.tenantAccount.id), eq(networks.isDefault, true)));
    const before = await used("public_ips");
    const first = await tenant().publicIp.acquire({ networkId: def!.id });
    const second = await tenant().publicIp.acquire({ networkId: def!.id });
    expect([first.address, first.isSourceNat, second.address, second.isSourceNat]).toEqual(["203.0.113.10", true, "203.0.113.11", false]);
    expect(await used("public_ips")).toBe(before + 2);
    const facts = await h.db.select().from(usageEvents).where(eq(usageEvents.type, "NET.IPASSIGN"));
    expect(facts.map((f) => f.resourceName).sort()).toEqual(["203.0.113.10", "203.0.113.11"]);
    // The implemented network is applied again: the router holds both addresses, the first as source NAT.
    await waitFor("the router's public side", async () => {
      const [r] = await h.db
        .select()
        .from(simulatorNetworks)
        .where(and(eq(simulatorNetworks.networkId, def!.id), eq(simulatorNetworks.role, "router")));
      const pub = (r?.spec as { public: { addresses: string[]; sourceNat: string; vlan: number } | null }).public;
      return pub?.addresses.length === 2 ? pub : null;
    }).then((pub) => expect([pub.sourceNat, pub.vlan]).toEqual(["203.0.113.10", 50]));
    // An L2 network has no router; another account's network is NOT_FOUND.
    const other = await error(api(h.db, t.callers.globex).publicIp.acquire({ networkId: def!.id }));
    expect(other.code).toBe("NOT_FOUND");
    expect((await error(api(h.db, t.callers.globex).publicIp.release({ id: first.id }))).code).toBe("NOT_FOUND");
    // The source NAT goes last; the range cannot be removed while addresses are in use.
    expect((await error(tenant().publicIp.release({ id: first.id }))).code).toBe("PRECONDITION_FAILED");
    const range = (await admin().publicIpRange.list({ zoneId }))[0]!;
    expect([range.used, range.size]).toEqual([2, 3]);
    expect((await error(admin().publicIpRange.remove({ id: range.id }))).code).toBe("PRECONDITION_FAILED");
    // The zone runs out after the third.
    const db = (await tenant().network.list({ search: "db" })).items[0]!;
    await tenant().publicIp.acquire({ networkId: db.id });
    const out = await error(tenant().publicIp.acquire({ networkId: db.id }));
    expect([out.code, fieldOf(out)]).toEqual(["PRECONDITION_FAILED", "networkId"]);
    await tenant().publicIp.release({ id: second.id });
    expect(await used("public_ips")).toBe(before + 2);
    expect((await tenant().publicIp.list({ networkId: def!.id })).map((i) => i.address)).toEqual(["203.0.113.10"]);
    // Deleting a network gives its addresses and their limit back (once the re-apply the acquire queued is done).
    await waitFor("the re-apply", async () => (await tenant().network.get({ id: db.id })).activeJob === null);
    await ok(tenant().network.delete({ id: db.id }));
    expect(await used("public_ips")).toBe(before + 1);
    await tenant().publicIp.release({ id: first.id });
    expect(await used("public_ips")).toBe(before);
  });

  it("a public range dedicated to a domain serves only its subtree's networks, before the shared ranges", async () => {
    const globex = () => api(h.db, t.callers.globex);
    const bad = await error(
      admin().publicIpRange.add({
        zoneId,
        gateway: "198.51.100.1",
        prefixLength: 24,
        vlan: null,
        startIp: "198.51.100.20",
        endIp: "198.51.100.21",
        domainId: "00000000-0000-4000-8000-000000000000",
      }),
    );
    expect([bad.code, fieldOf(bad)]).toEqual(["NOT_FOUND", "domainId"]);
    await admin().publicIpRange.add({
      zoneId,
      gateway: "198.51.100.1",
      prefixLength: 24,
      vlan: null,
      startIp: "198.51.100.20",
      endIp: "198.51.100.21",
      domainId: t.domains.globex.id,
    });
    const dedicated = (await admin().publicIpRange.list({ zoneId })).find((r) => r.startIp === "198.51.100.20")!;
    expect([dedicated.domainId, dedicated.domainName]).toEqual([t.domains.globex.id, "Globex"]);
    // Globex's network takes the dedicated addresses first.
    const gx = await globex().network.create({ name: "gx-net", zoneId, networkOfferingId: isolated });
    const g1 = await globex().publicIp.acquire({ networkId: gx.id });
    expect(g1.address).toBe("198.51.100.20");
    // Acme's networks never get them, even once the shared ranges run out.
    const acmeNet = await tenant().network.create({ name: "no-dedicated", zoneId, networkOfferingId: isolated });
    const got: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await tenant()
        .publicIp.acquire({ networkId: acmeNet.id })
        .catch(() => null);
      if (!r) break;
      got.push(r.address);
    }
    expect(got.length).toBeLessThan(10);
    expect(got.filter((a) => a.startsWith("198.51.100."))).toEqual([]);
    expect((await globex().publicIp.acquire({ networkId: gx.id })).address).toBe("198.51.100.21");
  });

  it("deletes: refused while NICs remain; an unused L2 network goes at once and gives back its limit and VLAN", async () => {
    const [def] = await h.db
      .select()
      .from(networks)
      .where(and(eq(networks.accountId, t.tenantAccount.id), eq(networks.isDefault, true)));
    expect((await error(tenant().network.delete({ id: def!.id }))).code).toBe("PRECONDITION_FAILED");
    const before = await used("networks");
    const n = await tenant().network.create({ name: "plain-l2", zoneId, networkOfferingId: l2 });
    expect([n.cidr, n.gateway]).toEqual([null, null]);
    expect(await used("networks")).toBe(before + 1);
    await ok(tenant().network.delete({ id: n.id }));
    expect(await used("networks")).toBe(before);
    expect(await h.db.select().from(networks).where(eq(networks.id, n.id))).toEqual([]);
    const [fact] = await h.db
      .select()
      .from(usageEvents)
      .where(and(eq(usageEvents.resourceId, n.id), eq(usageEvents.type, "NETWORK.DELETE")));
    expect(fact).toBeDefined();
  });

  it("an implemented network's delete removes it from the simulated hosts", async () => {
    const web = (await tenant().network.list({ search: "web" })).items[0]!;
    expect(web.state).toBe("implemented");
    await ok(tenant().network.delete({ id: web.id }));
    expect(await h.db.select().from(simulatorNetworks).where(eq(simulatorNetworks.networkId, web.id))).toEqual([]);
  });

  it("the networks limit refuses a network over it, naming the limit", async () => {
    await admin().limit.setForAccount({ accountId: t.tenantAccount.id, limits: { networks: await used("networks") } });
    const e = await error(tenant().network.create({ name: "over", zoneId, networkOfferingId: isolated }));
    expect([e.code, fieldOf(e)]).toEqual(["PRECONDITION_FAILED", "networks"]);
    await admin().limit.setForAccount({ accountId: t.tenantAccount.id, limits: { networks: 20 } });
  });

  it("other tenants' networks and NICs are NOT_FOUND", async () => {
    const [def] = await h.db
      .select()
      .from(networks)
      .where(and(eq(networks.accountId, t.tenantAccount.id), eq(networks.isDefault, true)));
    const other = api(h.db, t.callers.globex);
    for (const call of [
      () => other.network.get({ id: def!.id }),
      () => other.network.delete({ id: def!.id }),
      () => other.network.restart({ id: def!.id }),
    ])
      expect((await error(call())).code).toBe("NOT_FOUND");
    const vm = (await h.db.select().from(nics).where(eq(nics.networkId, def!.id)))[0]!;
    expect((await error(other.nic.list({ instanceId: vm.instanceId }))).code).toBe("NOT_FOUND");
    const choices = await deployChoicesByName(h.db);
    const e = await error(other.instance.deploy({ ...choices, name: "sneaky", networks: [{ networkId: def!.id }] }));
    expect([e.code, fieldOf(e)]).toEqual(["NOT_FOUND", "networks.0.networkId"]);
    expect((await other.network.list({})).items.map((n) => n.id)).not.toContain(def!.id);
  });
});
