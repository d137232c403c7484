import { TRPCError } from "@trpc/server";
import { and, eq, ne } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { clusters, diskOfferings, hosts, instances, pods, volumes, zones } from "@/db/schema";
import { testDbKind } from "@/test/db";
import { api } from "@/test/fixtures";
import { deployChoicesByName, waitForJob } from "@/test/orchestrator";
import { simulatorCloud } from "@/test/simulator-cloud";

/**
 * Starting a stopped VM checks that the host the planner chose reaches the pools of its volumes, as
 * attach and migrate do: when its cluster's hosts cannot take it, a host of another cluster cannot
 * open a volume on a cluster-scoped pool, and the start is refused saying so, holding nothing.
 */
const cloud = simulatorCloud();

describe(`starting a VM whose volume lies on a cluster's pool (${testDbKind()})`, () => {
  it("is refused on a host of another cluster with the reason, and starts once its cluster has room again", async () => {
    const { h, t } = cloud;
    const admin = api(h.db, t.callers.admin);
    const tenant = api(h.db, t.callers.tenant);
    const [zone] = await h.db.select().from(zones).where(eq(zones.name, "Zone 1"));
    const [c1] = await h.db.select().from(clusters).where(eq(clusters.name, "Cluster 1"));
    const [pod] = await h.db.select().from(pods).where(eq(pods.zoneId, zone!.id));
    const c1Pool = await admin.storagePool.create({
      zoneId: zone!.id,
      clusterId: c1!.id,
      name: "cluster-1-only",
      type: "simulator",
      path: "sim://cluster-1-only",
      capacityGib: 100,
      tags: ["c1"],
    });
    const [vm] = await tenant.instance.deploy({ ...(await deployChoicesByName(h.db)), name: "pinned" });
    expect((await waitForJob(h.db, vm!.jobId)).status).toBe("succeeded");
    // Its data disk's offering asks for Cluster 1's pool (storage tags), so the planner puts it there.
    const [custom] = await h.db
      .update(diskOfferings)
      .set({ storageTags: ["c1"] })
      .where(eq(diskOfferings.name, "Custom disk"))
      .returning();
    const vol = await tenant.volume.create({
      name: "pinned-data",
      zoneId: zone!.id,
      diskOfferingId: custom!.id,
      sizeGib: 1,
      instanceId: vm!.id,
    });
    expect((await waitForJob(h.db, vol.jobId)).status).toBe("succeeded");
    expect((await h.db.select().from(volumes).where(eq(volumes.id, vol.id)))[0]!.storagePoolId).toBe(c1Pool.id);
    expect((await waitForJob(h.db, (await tenant.instance.stop({ id: vm!.id })).jobId)).status).toBe("succeeded");

    // Cluster 1 has no room now (its hosts in maintenance); Cluster 2's host has.
    const c2 = await admin.cluster.create({ podId: pod!.id, name: "Cluster 2", hypervisorType: "simulator" });
    const other = await admin.host.create({
      clusterId: c2.id,
      hypervisorType: "simulator",
      name: "sim-host-c2",
      address: "sim://sim-host-c2",
      cpuCores: 32,
      cpuMhz: 2400,
      memoryMib: 131072,
      tags: [],
    });
    await h.db.update(hosts).set({ state: "maintenance" }).where(eq(hosts.clusterId, c1!.id));
    try {
      const err = await tenant.instance.start({ id: vm!.id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect([(err as TRPCError).code, (err as TRPCError).message]).toEqual([
        "PRECONDITION_FAILED",
        "Cannot start pinned on host sim-host-c2 (its last host has no room now): that host cannot reach volume pinned-root on pool cluster-1-only, volume pinned-data on pool cluster-1-only. Free room on a host that reaches them, or ask an administrator to migrate them",
      ]);
      // Nothing held: the VM is Stopped and the other host reserved nothing.
      const [row] = await h.db.select().from(instances).where(eq(instances.id, vm!.id));
      expect([row!.state, row!.capacityReserved]).toEqual(["stopped", false]);
      const [o] = await h.db.select().from(hosts).where(eq(hosts.id, other.id));
      expect([o!.cpuUsedMhz, o!.memoryUsedMib]).toEqual([0, 0]);
    } finally {
      await h.db
        .update(hosts)
        .set({ state: "enabled" })
        .where(and(eq(hosts.clusterId, c1!.id), ne(hosts.state, "enabled")));
    }
    expect((await waitForJob(h.db, (await tenant.instance.start({ id: vm!.id })).jobId)).status).toBe("succeeded");
    const [started] = await h.db.select().from(instances).where(eq(instances.id, vm!.id));
    expect((await h.db.select().from(hosts).where(eq(hosts.id, started!.hostId!)))[0]!.clusterId).toBe(c1!.id);
  });
});
