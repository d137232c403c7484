import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db";
import { events, hosts, storagePools } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { hostRefOf } from "@/server/orchestrator/drivers/host-ref";
import { registerDriver } from "@/server/orchestrator/drivers/registry";
import { DriverError, type HypervisorDriver } from "@/server/orchestrator/drivers/types";

/** Hosts, primary storage pools and secondary stores through the real router. */
let close: () => Promise<void>;
let db: Db;
let admin: ReturnType<typeof api>;
let zoneId: string;
let podId: string;
let simCluster: string;
let kvmCluster: string;
let otherZoneCluster: string;

/**
 * Adding a KVM host asks its libvirt for its facts: these hosts are not real, so a stand-in answers
 * for 10.0.0.x (with the sizes the tests expect) and refuses anything else. Real libvirt is tested in
 * server/orchestrator/drivers/libvirt/.
 */
const kvmStandIn = {
  ping(host) {
    if (!/10\.0\.0\.|\/\/v\//.test(host.address)) return Promise.reject(new DriverError(`cannot connect to ${host.address}`, true));
    return Promise.resolve({
      cpuCores: 16,
      cpuMhz: 3000,
      memoryMib: 65536,
      cpuModel: "Test CPU",
      hypervisorVersion: "QEMU 7.2",
      libvirtVersion: "9.0.0",
      kvmAccelerated: true,
    });
  },
} as Partial<HypervisorDriver> as HypervisorDriver;

beforeAll(async () => {
  registerDriver("kvm", kvmStandIn);
  const h = await openTestDb();
  close = h.close;
  db = h.db;
  const t = await seedTenancy(db);
  admin = api(db, t.callers.admin);
  const c1 = (await admin.cluster.list({ search: "Cluster 1" })).items[0]!;
  zoneId = c1.zoneId;
  podId = c1.podId;
  simCluster = c1.id;
  kvmCluster = (await admin.cluster.create({ podId, name: "KVM", hypervisorType: "kvm", cpuOvercommit: 1.5, memoryOvercommit: 1.2 })).id;
  const z2 = await admin.zone.create({ name: "Zone 2" });
  const p2 = await admin.pod.create({ zoneId: z2.id, name: "Pod 2" });
  otherZoneCluster = (await admin.cluster.create({ podId: p2.id, name: "Far", hypervisorType: "simulator" })).id;
});
afterAll(() => close());

async function rejects(fn: () => Promise<unknown>): Promise<TRPCError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCError);
    return e as TRPCError;
  }
  throw new Error("expected the call to fail");
}

const kvmHost = (over: Record<string, unknown> = {}) => ({
  clusterId: kvmCluster,
  hypervisorType: "kvm" as const,
  name: "kvm-1",
  address: "qemu+ssh://root@10.0.0.5/system",
  cpuCores: 16,
  cpuMhz: 3000,
  memoryMib: 65536,
  tags: ["ssd"],
  ...over,
});

describe("hosts", () => {
  it("adds a host, deriving pod and zone from its cluster, and lists it with capacity", async () => {
    const h = await admin.host.create(kvmHost());
    expect(h).toMatchObject({ clusterId: kvmCluster, podId, zoneId, state: "enabled", cpuUsedMhz: 0, tags: ["ssd"] });
    const row = await admin.host.get({ id: h.id });
    expect(row).toMatchObject({
      clusterName: "KVM",
      podName: "Pod 1",
      zoneName: "Zone 1",
      cpuTotalMhz: 16 * 3000 * 1.5,
      memoryTotalMib: Math.floor(65536 * 1.2),
    });
    const byCluster = await admin.host.list({ clusterId: kvmCluster });
    expect(byCluster.items.map((x) => x.name)).toEqual(["kvm-1"]);
    expect((await admin.host.list({ zoneId })).total).toBe(5);
    expect((await admin.host.list({ tag: "gpu" })).items.map((x) => x.name)).toEqual(["sim-host-4"]);
    expect((await admin.host.list({ search: "10.0.0.5" })).items.map((x) => x.name)).toEqual(["kvm-1"]);
    const sorted = await admin.host.list({ sort: "memoryTotalMib", dir: "desc", pageSize: 1 });
    expect(sorted.items[0]!.name).toMatch(/^sim-host-/);
    const [ev] = await db.select().from(events).where(eq(events.resourceId, h.id));
    expect(ev).toMatchObject({ type: "HOST.CREATE" });
  });

  it("requires the host's hypervisor to match its cluster's", async () => {
    const e = await rejects(() => admin.host.create(kvmHost({ clusterId: simCluster, name: "wrong", address: "qemu:///system" })));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toBe("Cluster Cluster 1 is a simulator cluster; its hosts must use the simulator hypervisor too");
    expect((e.cause as { field?: string } | undefined)?.field).toBe("hypervisorType");
  });

  it("validates sizes, tags and the address, naming the field", async () => {
    const cases = [
      [{ cpuCores: 0 }, "cpuCores: CPU cores must be greater than 0"],
      [{ cpuCores: -4 }, "cpuCores: CPU cores must be greater than 0"],
      [{ cpuCores: 2.5 }, "cpuCores: CPU cores must be a whole number"],
      [{ cpuMhz: Number.NaN }, "cpuMhz: CPU MHz must be a number"],
      [{ memoryMib: -1 }, "memoryMib: Memory (MiB) must be greater than 0"],
      [{ tags: ["bad tag"] }, "tags.0: Tags may contain letters"],
      [{ address: "10.0.0.9" }, "address: Address must be a libvirt URI of an allowed kind"],
      [{ address: "" }, "address: Address is required"],
      [{ name: "" }, "name: Name is required"],
    ] as const;
    for (const [patch, message] of cases) {
      const e = await rejects(() => admin.host.create(kvmHost({ name: "v", address: "qemu+ssh://root@v/system", ...patch })));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toContain(message);
    }
  });

  it("refuses duplicate names and addresses with CONFLICT", async () => {
    const e = await rejects(() => admin.host.create(kvmHost({ address: "qemu+ssh://root@10.0.0.6/system" })));
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toBe('A host named "kvm-1" already exists');
    const e2 = await rejects(() => admin.host.create(kvmHost({ name: "kvm-2" })));
    expect(e2.code).toBe("CONFLICT");
    expect(e2.message).toBe("Host kvm-1 already has the address qemu+ssh://root@10.0.0.5/system");
  });

  it("updates a host but never below the capacity VMs have reserved", async () => {
    const [h] = await db.select().from(hosts).where(eq(hosts.name, "kvm-1"));
    const u = await admin.host.update({ id: h!.id, cpuCores: 24, tags: ["ssd", "nvme"] });
    expect(u).toMatchObject({ cpuCores: 24, tags: ["ssd", "nvme"], memoryMib: 65536 });
    await db.update(hosts).set({ cpuUsedMhz: 30000, memoryUsedMib: 40000 }).where(eq(hosts.id, h!.id));
    // 8 × 2000 × 1.5 = 24,000 MHz < 30,000 reserved.
    const e = await rejects(() => admin.host.update({ id: h!.id, cpuCores: 8, cpuMhz: 2000 }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toContain("below the 30,000 MHz already reserved");
    const e2 = await rejects(() => admin.host.update({ id: h!.id, memoryMib: 30000 }));
    expect(e2.message).toContain("below the 40,000 MiB already reserved");
    expect((await admin.host.update({ id: h!.id, memoryMib: 40000 })).memoryMib).toBe(40000); // 48,000 MiB with × 1.2
  });

  it("keeps a KVM host's libvirt domain type override (kvm, qemu or automatic) and ignores it on other hypervisors", async () => {
    const forced = await admin.host.create(kvmHost({ name: "kvm-tcg", address: "qemu+ssh://root@10.0.0.7/system", domainType: "qemu" }));
    expect(forced).toMatchObject({ domainType: "qemu", kvmAccelerated: true });
    // The driver gets the override, not what the probe found.
    expect(hostRefOf(forced).domainType).toBe("qemu");
    const toKvm = await admin.host.update({ id: forced.id, domainType: "kvm" });
    expect(toKvm.domainType).toBe("kvm");
    // Leaving it out changes nothing; null goes back to automatic (kvm here: acceleration works).
    expect((await admin.host.update({ id: forced.id, name: "kvm-forced" })).domainType).toBe("kvm");
    const auto = await admin.host.update({ id: forced.id, domainType: null });
    expect(auto.domainType).toBeNull();
    expect(hostRefOf(auto).domainType).toBe("kvm");
    expect(hostRefOf({ ...auto, kvmAccelerated: false }).domainType).toBe("qemu");
    expect((await admin.host.get({ id: forced.id })).domainType).toBeNull();

    const bad = await rejects(() => admin.host.update({ id: forced.id, domainType: "xen" as never }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("domainType: Domain type must be kvm or qemu");
    const sim = await admin.host.create({
      clusterId: simCluster,
      hypervisorType: "simulator",
      name: "sim-typed",
      address: "sim://typed",
      cpuCores: 4,
      cpuMhz: 2000,
      memoryMib: 4096,
      tags: [],
      domainType: "kvm",
    });
    expect(sim.domainType).toBeNull();
    expect((await admin.host.update({ id: sim.id, domainType: "qemu" })).domainType).toBeNull();
    await admin.host.delete({ id: sim.id });
    await admin.host.delete({ id: forced.id });
  });

  it("moves a host through disabled and maintenance and back, with events", async () => {
    const [h] = await db.select().from(hosts).where(eq(hosts.name, "kvm-1"));
    for (const state of ["disabled", "maintenance", "enabled"] as const) {
      expect((await admin.host.setState({ id: h!.id, state })).state).toBe(state);
    }
    const types = (await db.select().from(events).where(eq(events.resourceId, h!.id))).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["HOST.DISABLE", "HOST.MAINTENANCE", "HOST.ENABLE"]));
    const e = await rejects(() => admin.host.setState({ id: h!.id, state: "broken" as never }));
    expect(e.message).toContain("state: State must be enabled, disabled or maintenance");
  });

  it("refuses to delete a host with reserved capacity, then deletes it once empty", async () => {
    const [h] = await db.select().from(hosts).where(eq(hosts.name, "kvm-1"));
    const e = await rejects(() => admin.host.delete({ id: h!.id }));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toBe(
      "Host kvm-1 still has 30,000 MHz of CPU and 40,000 MiB of memory reserved by VMs; put it in maintenance, then stop or destroy its VMs first",
    );
    await db.update(hosts).set({ cpuUsedMhz: 0, memoryUsedMib: 0 }).where(eq(hosts.id, h!.id));
    await admin.host.delete({ id: h!.id });
    expect((await rejects(() => admin.host.get({ id: h!.id }))).code).toBe("NOT_FOUND");
    const types = (await db.select().from(events).where(eq(events.resourceId, h!.id))).map((e) => e.type);
    expect(types).toContain("HOST.DELETE");
  });
});

describe("primary storage pools", () => {
  it("creates zone-wide and cluster-scoped pools; the cluster must be in the zone", async () => {
    const zw = await admin.storagePool.create({
      zoneId,
      name: "zone-wide",
      type: "simulator",
      path: "sim://zw",
      capacityGib: 500,
      tags: [],
    });
    expect(zw.clusterId).toBeNull();
    const cs = await admin.storagePool.create({
      zoneId,
      clusterId: kvmCluster,
      name: "kvm-local",
      type: "local_dir",
      path: "/var/lib/stratus/p1",
      capacityGib: 100,
      tags: ["ssd"],
    });
    expect(cs.clusterId).toBe(kvmCluster);
    const row = await admin.storagePool.get({ id: cs.id });
    expect(row).toMatchObject({ zoneName: "Zone 1", clusterName: "KVM", scope: "cluster" });
    expect((await admin.storagePool.get({ id: zw.id })).scope).toBe("zone");
    expect((await admin.storagePool.list({ scope: "zone" })).items.map((p) => p.name)).toEqual(["zone-wide"]);
    expect((await admin.storagePool.list({ clusterId: kvmCluster })).items.map((p) => p.name)).toEqual(["kvm-local"]);

    const e = await rejects(() =>
      admin.storagePool.create({ zoneId, clusterId: otherZoneCluster, name: "x", type: "simulator", path: "sim://x", capacityGib: 1 }),
    );
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toBe("Cluster Far is not in zone Zone 1");
  });

  it("validates capacity, path and name uniqueness", async () => {
    const base = { zoneId, name: "p", type: "simulator" as const, path: "sim://p", capacityGib: 10 };
    expect((await rejects(() => admin.storagePool.create({ ...base, capacityGib: -5 }))).message).toContain(
      "capacityGib: Capacity (GiB) must be greater than 0",
    );
    expect((await rejects(() => admin.storagePool.create({ ...base, capacityGib: 0 }))).message).toContain("capacityGib:");
    expect((await rejects(() => admin.storagePool.create({ ...base, type: "local_dir", path: "relative/dir" }))).message).toContain(
      "path: Path of a local directory pool must be an absolute path",
    );
    const dup = await rejects(() => admin.storagePool.create({ ...base, name: "primary-1" }));
    expect(dup.code).toBe("CONFLICT");
    expect(dup.message).toBe('A storage pool named "primary-1" already exists');
  });

  it("updates, maintains and deletes a pool, refusing while volumes use it", async () => {
    const [p] = await db.select().from(storagePools).where(eq(storagePools.name, "kvm-local"));
    expect((await admin.storagePool.update({ id: p!.id, capacityGib: 200, tags: ["nvme"] })).capacityGib).toBe(200);
    await db.update(storagePools).set({ usedGib: 150 }).where(eq(storagePools.id, p!.id));
    const shrink = await rejects(() => admin.storagePool.update({ id: p!.id, capacityGib: 100 }));
    expect(shrink.message).toBe("Capacity × over-provisioning cannot be below the 150 GiB already allocated to volumes");
    expect((await admin.storagePool.setState({ id: p!.id, state: "maintenance" })).state).toBe("maintenance");
    const del = await rejects(() => admin.storagePool.delete({ id: p!.id }));
    expect(del.code).toBe("PRECONDITION_FAILED");
    expect(del.message).toContain(
      "still has 150 GiB used by VM disks; put it in maintenance, then destroy and expunge the VMs whose disks it holds",
    );
    await db.update(storagePools).set({ usedGib: 0 }).where(eq(storagePools.id, p!.id));
    await admin.storagePool.delete({ id: p!.id });
    const types = (await db.select().from(events).where(eq(events.resourceId, p!.id))).map((e) => e.type).sort();
    expect(types).toEqual(["STORAGE_POOL.CREATE", "STORAGE_POOL.DELETE", "STORAGE_POOL.MAINTENANCE", "STORAGE_POOL.UPDATE"]);
  });
});

describe("secondary storage", () => {
  it("creates, updates, lists and deletes secondary stores per zone", async () => {
    const s = await admin.secondaryStore.create({ zoneId, name: "nfs-1", path: "nfs://10.0.0.2/export", capacityGib: 2048 });
    expect(s.zoneId).toBe(zoneId);
    expect((await admin.secondaryStore.update({ id: s.id, capacityGib: 4096 })).capacityGib).toBe(4096);
    const list = await admin.secondaryStore.list({ zoneId, sort: "name" });
    expect(list.items.map((x) => [x.name, x.zoneName])).toEqual([
      ["nfs-1", "Zone 1"],
      ["secondary-1", "Zone 1"],
    ]);
    expect((await rejects(() => admin.secondaryStore.create({ zoneId, name: "nfs-1", path: "nfs://b/x", capacityGib: 1 }))).code).toBe(
      "CONFLICT",
    );
    expect((await rejects(() => admin.secondaryStore.create({ zoneId, name: "n", path: "has space", capacityGib: 1 }))).message).toContain(
      "path: Path cannot contain spaces",
    );
    await admin.secondaryStore.delete({ id: s.id });
    expect((await admin.secondaryStore.list({ zoneId })).total).toBe(1);
  });
});
