import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db";
import { events, hosts, zones } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";

/** Zones, pods and clusters through the real router (validation, permission, services, events). */
let close: () => Promise<void>;
let db: Db;
let admin: ReturnType<typeof api>;
let adminUserId: string;

beforeAll(async () => {
  const h = await openTestDb();
  close = h.close;
  db = h.db;
  const t = await seedTenancy(db);
  admin = api(db, t.callers.admin);
  adminUserId = t.callers.admin.userId;
});
afterAll(() => close());

/** Runs `fn`, expecting a TRPCError; returns it for closer checks. */
async function rejects(fn: () => Promise<unknown>): Promise<TRPCError & { shape?: unknown }> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCError);
    return e as TRPCError;
  }
  throw new Error("expected the call to fail");
}

async function eventsOf(resourceId: string) {
  return db.select().from(events).where(eq(events.resourceId, resourceId));
}

describe("zones", () => {
  it("lists the seeded zone with its counts and searches, sorts and pages", async () => {
    const page = await admin.zone.list({});
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({
      name: "Zone 1",
      podCount: 1,
      clusterCount: 1,
      hostCount: 4,
      storagePoolCount: 1,
      secondaryStoreCount: 1,
    });

    await admin.zone.create({ name: "Alpha zone" });
    await admin.zone.create({ name: "Beta zone", allocationAlgorithm: "random", description: "second site" });
    const sorted = await admin.zone.list({ sort: "name", dir: "desc", pageSize: 2 });
    expect(sorted.total).toBe(3);
    expect(sorted.items.map((z) => z.name)).toEqual(["Zone 1", "Beta zone"]);
    const page2 = await admin.zone.list({ sort: "name", dir: "desc", pageSize: 2, page: 2 });
    expect(page2.items.map((z) => z.name)).toEqual(["Alpha zone"]);
    const found = await admin.zone.list({ search: "second" });
    expect(found.items.map((z) => z.name)).toEqual(["Beta zone"]);
    // An unknown sort key is refused, naming the field (test/security/input.test.ts covers every list).
    await expect(admin.zone.list({ sort: "name; drop table zones" })).rejects.toThrow(/^sort: Sort must be one of/);
    const byDefault = await admin.zone.list({});
    expect(byDefault.items.map((z) => z.name)).toEqual(["Alpha zone", "Beta zone", "Zone 1"]);
  });

  it("creates, updates, disables and deletes a zone, recording an event for each change", async () => {
    const z = await admin.zone.create({ name: "Gamma", description: "lab" });
    expect(z).toMatchObject({ name: "Gamma", state: "enabled", allocationAlgorithm: "first_fit", description: "lab" });
    const u = await admin.zone.update({ id: z.id, name: "Gamma 2", allocationAlgorithm: "user_dispersing", description: "" });
    expect(u).toMatchObject({ name: "Gamma 2", allocationAlgorithm: "user_dispersing", description: null });
    expect((await admin.zone.setState({ id: z.id, state: "disabled" })).state).toBe("disabled");
    expect((await admin.zone.get({ id: z.id })).state).toBe("disabled");
    await admin.zone.delete({ id: z.id });
    expect((await rejects(() => admin.zone.get({ id: z.id }))).code).toBe("NOT_FOUND");

    const types = (await eventsOf(z.id)).map((e) => e.type).sort();
    expect(types).toEqual(["ZONE.CREATE", "ZONE.DELETE", "ZONE.DISABLE", "ZONE.UPDATE"]);
    const upd = (await eventsOf(z.id)).find((e) => e.type === "ZONE.UPDATE")!;
    expect(upd.actorUserId).toBe(adminUserId);
    expect(upd.details).toMatchObject({ changes: { name: ["Gamma", "Gamma 2"] } });
  });

  it("refuses a duplicate zone name with CONFLICT naming the field", async () => {
    const e = await rejects(() => admin.zone.create({ name: "Zone 1" }));
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toContain('"Zone 1"');
    const other = await admin.zone.create({ name: "Delta" });
    const e2 = await rejects(() => admin.zone.update({ id: other.id, name: "Zone 1" }));
    expect(e2.code).toBe("CONFLICT");
  });

  it("validates input with messages naming the field", async () => {
    const e = await rejects(() => admin.zone.create({ name: "  " }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/^name: Name is required/);
    const e2 = await rejects(() => admin.zone.create({ name: "ok", allocationAlgorithm: "best" as never }));
    expect(e2.message).toContain("allocationAlgorithm: Allocation algorithm must be");
    const e3 = await rejects(() => admin.zone.create({ name: "a/b" }));
    expect(e3.message).toContain("name: Name cannot contain slashes");
  });

  it("refuses to delete a zone that still holds pods and storage, naming them", async () => {
    const [z1] = await db.select().from(zones).where(eq(zones.name, "Zone 1"));
    const e = await rejects(() => admin.zone.delete({ id: z1!.id }));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toBe("Zone Zone 1 still has 1 pod, 1 primary storage pool and 1 secondary store; delete them first");
    expect((await admin.zone.get({ id: z1!.id })).name).toBe("Zone 1");
  });

  it("reports per-zone capacity with over-provisioning applied", async () => {
    const [z1] = await db.select().from(zones).where(eq(zones.name, "Zone 1"));
    await db.update(hosts).set({ cpuUsedMhz: 5000, memoryUsedMib: 8192 }).where(eq(hosts.name, "sim-host-1"));
    const [cap] = await admin.zone.capacity({ zoneId: z1!.id });
    // 4 hosts × 32 cores × 2400 MHz × cpuOvercommit 2; memory 4 × 131072 MiB × 1.
    expect(cap).toMatchObject({
      zoneName: "Zone 1",
      hosts: { total: 4, enabled: 4, disabled: 0, maintenance: 0 },
      cpuMhz: { used: 5000, total: 4 * 32 * 2400 * 2 },
      memoryMib: { used: 8192, total: 4 * 131072 },
      primaryStorageGib: { used: 0, total: 10240, physical: 10240, actualBytes: null },
      secondaryStorageGib: { total: 20480 },
    });
    // A host in maintenance takes no new VMs: its capacity leaves the totals (its VMs' use stays).
    await db.update(hosts).set({ state: "maintenance" }).where(eq(hosts.name, "sim-host-2"));
    const [inMaintenance] = await admin.zone.capacity({ zoneId: z1!.id });
    expect(inMaintenance).toMatchObject({
      hosts: { total: 4, enabled: 3, maintenance: 1 },
      cpuMhz: { used: 5000, total: 3 * 32 * 2400 * 2 },
      memoryMib: { total: 3 * 131072 },
    });
    await db.update(hosts).set({ state: "enabled" }).where(eq(hosts.name, "sim-host-2"));
    const all = await admin.zone.capacity();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const empty = all.find((c) => c.zoneName === "Alpha zone")!;
    expect(empty.cpuMhz).toEqual({ used: 0, total: 0 });
    await db.update(hosts).set({ cpuUsedMhz: 0, memoryUsedMib: 0 }).where(eq(hosts.name, "sim-host-1"));
  });
});

describe("pods", () => {
  it("creates pods with names unique within their zone only", async () => {
    const a = await admin.zone.create({ name: "Pod zone A" });
    const b = await admin.zone.create({ name: "Pod zone B" });
    const p = await admin.pod.create({ zoneId: a.id, name: "Rack 1" });
    expect(p).toMatchObject({ zoneId: a.id, name: "Rack 1", state: "enabled" });
    const e = await rejects(() => admin.pod.create({ zoneId: a.id, name: "Rack 1" }));
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toBe('Zone Pod zone A already has a pod named "Rack 1"');
    await admin.pod.create({ zoneId: b.id, name: "Rack 1" }); // same name, other zone: fine
    const p2 = await admin.pod.create({ zoneId: a.id, name: "Rack 2" });
    expect((await rejects(() => admin.pod.update({ id: p2.id, name: "Rack 1" }))).code).toBe("CONFLICT");
    expect((await admin.pod.update({ id: p2.id, name: "Rack 3" })).name).toBe("Rack 3");

    const list = await admin.pod.list({ zoneId: a.id, sort: "name" });
    expect(list.items.map((x) => [x.name, x.zoneName, x.clusterCount])).toEqual([
      ["Rack 1", "Pod zone A", 0],
      ["Rack 3", "Pod zone A", 0],
    ]);
    expect((await admin.pod.setState({ id: p2.id, state: "disabled" })).state).toBe("disabled");
    await admin.pod.delete({ id: p2.id });
    expect((await eventsOf(p2.id)).map((x) => x.type).sort()).toEqual(["POD.CREATE", "POD.DELETE", "POD.DISABLE", "POD.UPDATE"]);
  });

  it("needs an existing zone, named in the error", async () => {
    const e = await rejects(() => admin.pod.create({ zoneId: "00000000-0000-4000-8000-000000000000", name: "x" }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toBe("Zone not found");
    const e2 = await rejects(() => admin.pod.create({ zoneId: "nope", name: "x" }));
    expect(e2.code).toBe("BAD_REQUEST");
    expect(e2.message).toContain("zoneId: Must be a valid id");
  });

  it("refuses to delete a pod with clusters", async () => {
    const pods = await admin.pod.list({ search: "Pod 1" });
    const pod1 = pods.items.find((p) => p.name === "Pod 1")!;
    const e = await rejects(() => admin.pod.delete({ id: pod1.id }));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toBe("Pod Pod 1 still has 1 cluster and 4 hosts; delete them first");
  });
});

describe("clusters", () => {
  it("creates a cluster in a pod's zone with over-provisioning factors, and updates them", async () => {
    const z = await admin.zone.create({ name: "Cluster zone" });
    const p = await admin.pod.create({ zoneId: z.id, name: "P" });
    const c = await admin.cluster.create({ podId: p.id, name: "KVM 1", hypervisorType: "kvm", cpuOvercommit: 4.5, memoryOvercommit: 1.25 });
    expect(c).toMatchObject({
      podId: p.id,
      zoneId: z.id,
      hypervisorType: "kvm",
      cpuOvercommit: 4.5,
      memoryOvercommit: 1.25,
      state: "enabled",
    });
    const d = await admin.cluster.create({ podId: p.id, name: "Sim", hypervisorType: "simulator" });
    expect(d).toMatchObject({ cpuOvercommit: 1, memoryOvercommit: 1 });

    expect((await rejects(() => admin.cluster.create({ podId: p.id, name: "KVM 1", hypervisorType: "kvm" }))).code).toBe("CONFLICT");
    const u = await admin.cluster.update({ id: c.id, cpuOvercommit: 2, name: "KVM A" });
    expect(u).toMatchObject({ cpuOvercommit: 2, memoryOvercommit: 1.25, name: "KVM A" });

    const list = await admin.cluster.list({ podId: p.id, sort: "name" });
    expect(list.items.map((x) => [x.name, x.podName, x.zoneName, x.hostCount])).toEqual([
      ["KVM A", "P", "Cluster zone", 0],
      ["Sim", "P", "Cluster zone", 0],
    ]);
    expect((await admin.cluster.list({ zoneId: z.id, hypervisorType: "kvm" })).items.map((x) => x.name)).toEqual(["KVM A"]);
    await admin.cluster.setState({ id: d.id, state: "disabled" });
    await admin.cluster.delete({ id: d.id });
    expect((await eventsOf(d.id)).map((x) => x.type).sort()).toEqual(["CLUSTER.CREATE", "CLUSTER.DELETE", "CLUSTER.DISABLE"]);
  });

  it("validates over-provisioning factors and hypervisor type, naming the field", async () => {
    const p = (await admin.pod.list({ search: "Pod 1" })).items[0]!;
    const bad = [
      [{ cpuOvercommit: 0.5 }, "cpuOvercommit: CPU over-provisioning factor must be between 1 and 10"],
      [{ cpuOvercommit: 11 }, "cpuOvercommit: CPU over-provisioning factor must be between 1 and 10"],
      [{ memoryOvercommit: 1.234 }, "memoryOvercommit: Memory over-provisioning factor can have at most two decimals"],
      [{ memoryOvercommit: Number.NaN }, "memoryOvercommit: Memory over-provisioning factor must be a number"],
      [{ hypervisorType: "xen" }, "hypervisorType: Hypervisor type must be simulator or kvm"],
    ] as const;
    for (const [patch, message] of bad) {
      const e = await rejects(() => admin.cluster.create({ podId: p.id, name: "bad", hypervisorType: "kvm", ...(patch as object) }));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toContain(message);
    }
    const c = (await admin.cluster.list({ search: "Cluster 1" })).items[0]!;
    expect((await rejects(() => admin.cluster.update({ id: c.id, memoryOvercommit: -1 }))).message).toContain("memoryOvercommit:");
  });

  it("lists clusters with the capacity of their hosts and refuses to delete one with hosts or pools", async () => {
    const c = (await admin.cluster.list({ search: "Cluster 1" })).items[0]!;
    expect(c).toMatchObject({
      hostCount: 4,
      storagePoolCount: 1,
      cpuTotalMhz: 4 * 32 * 2400 * 2,
      memoryTotalMib: 4 * 131072,
      cpuUsedMhz: 0,
    });
    const e = await rejects(() => admin.cluster.delete({ id: c.id }));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toBe("Cluster Cluster 1 still has 4 hosts and 1 primary storage pool; delete them first");
  });

  it("turns a foreign-key violation on delete into a clear message", async () => {
    // A row the emptiness check does not count (as if added between the check and the delete):
    // a host pointing at an otherwise empty zone. The FK refuses the delete; the user gets a message.
    const c = (await admin.cluster.list({ search: "Cluster 1" })).items[0]!;
    const [zz] = await db.insert(zones).values({ name: "FK zone" }).returning();
    await db.insert(hosts).values({
      clusterId: c.id,
      podId: c.podId,
      zoneId: zz!.id,
      name: "fk-host",
      hypervisorType: "simulator",
      address: "sim://fk",
      cpuCores: 1,
      cpuMhz: 1,
      memoryMib: 1,
    });
    const e = await rejects(() => admin.zone.delete({ id: zz!.id }));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toContain("Zone FK zone is still in use");
    expect((await admin.zone.get({ id: zz!.id })).name).toBe("FK zone");
    await db.delete(hosts).where(eq(hosts.name, "fk-host"));
    await admin.zone.delete({ id: zz!.id });
  });
});
