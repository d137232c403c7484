import { z } from "zod";
import { createTRPCRouter, permissionProcedure } from "@/server/api/trpc";
import { idSchema } from "@/lib/validation/common";
import {
  allocationStates,
  createClusterInput,
  createHostInput,
  createPodInput,
  createSecondaryStoreInput,
  createStoragePoolInput,
  createZoneInput,
  hostStates,
  hostStatuses,
  hypervisorTypeSchema,
  infraIdInput,
  setClusterStateInput,
  setHostStateInput,
  setPodStateInput,
  setStoragePoolStateInput,
  setZoneStateInput,
  updateClusterInput,
  updateHostInput,
  updatePodInput,
  updateSecondaryStoreInput,
  updateStoragePoolInput,
  updateZoneInput,
} from "@/lib/validation/infrastructure";
import { listInputOf, sortKeysOf } from "@/server/services/paging";
import { zoneCapacity } from "@/server/services/infrastructure/capacity";
import * as clusters from "@/server/services/infrastructure/clusters";
import * as hosts from "@/server/services/infrastructure/hosts";
import * as pods from "@/server/services/infrastructure/pods";
import * as storage from "@/server/services/infrastructure/storage";
import * as zones from "@/server/services/infrastructure/zones";

const read = () => permissionProcedure("infra.read");
const manage = () => permissionProcedure("infra.manage");
const allocationState = z.enum(allocationStates).optional();

const zoneRouter = createTRPCRouter({
  list: read()
    .input(listInputOf(sortKeysOf(zones.zoneSort)).extend({ state: allocationState }))
    .query(({ ctx, input }) => zones.listZones(ctx.db, ctx.caller, input)),
  get: read()
    .input(infraIdInput)
    .query(({ ctx, input }) => zones.getZone(ctx.db, ctx.caller, input.id)),
  capacity: read()
    .input(z.object({ zoneId: idSchema.optional() }).default({}))
    .query(({ ctx, input }) => zoneCapacity(ctx.db, ctx.caller, input)),
  create: manage()
    .input(createZoneInput)
    .mutation(({ ctx, input }) => zones.createZone(ctx.db, ctx.caller, input)),
  update: manage()
    .input(updateZoneInput)
    .mutation(({ ctx, input }) => zones.updateZone(ctx.db, ctx.caller, input)),
  setState: manage()
    .input(setZoneStateInput)
    .mutation(({ ctx, input }) => zones.setZoneState(ctx.db, ctx.caller, input)),
  delete: manage()
    .input(infraIdInput)
    .mutation(({ ctx, input }) => zones.deleteZone(ctx.db, ctx.caller, input.id)),
});

const podRouter = createTRPCRouter({
  list: read()
    .input(listInputOf(sortKeysOf(pods.podSort)).extend({ zoneId: idSchema.optional(), state: allocationState }))
    .query(({ ctx, input }) => pods.listPods(ctx.db, ctx.caller, input)),
  get: read()
    .input(infraIdInput)
    .query(({ ctx, input }) => pods.getPod(ctx.db, ctx.caller, input.id)),
  create: manage()
    .input(createPodInput)
    .mutation(({ ctx, input }) => pods.createPod(ctx.db, ctx.caller, input)),
  update: manage()
    .input(updatePodInput)
    .mutation(({ ctx, input }) => pods.updatePod(ctx.db, ctx.caller, input)),
  setState: manage()
    .input(setPodStateInput)
    .mutation(({ ctx, input }) => pods.setPodState(ctx.db, ctx.caller, input)),
  delete: manage()
    .input(infraIdInput)
    .mutation(({ ctx, input }) => pods.deletePod(ctx.db, ctx.caller, input.id)),
});

const clusterRouter = createTRPCRouter({
  list: read()
    .input(
      listInputOf(sortKeysOf(clusters.clusterSort)).extend({
        zoneId: idSchema.optional(),
        podId: idSchema.optional(),
        hypervisorType: hypervisorTypeSchema.optional(),
        state: allocationState,
      }),
    )
    .query(({ ctx, input }) => clusters.listClusters(ctx.db, ctx.caller, input)),
  get: read()
    .input(infraIdInput)
    .query(({ ctx, input }) => clusters.getCluster(ctx.db, ctx.caller, input.id)),
  create: manage()
    .input(createClusterInput)
    .mutation(({ ctx, input }) => clusters.createCluster(ctx.db, ctx.caller, input)),
  update: manage()
    .input(updateClusterInput)
    .mutation(({ ctx, input }) => clusters.updateCluster(ctx.db, ctx.caller, input)),
  setState: manage()
    .input(setClusterStateInput)
    .mutation(({ ctx, input }) => clusters.setClusterState(ctx.db, ctx.caller, input)),
  delete: manage()
    .input(infraIdInput)
    .mutation(({ ctx, input }) => clusters.deleteCluster(ctx.db, ctx.caller, input.id)),
});

const hostRouter = createTRPCRouter({
  list: read()
    .input(
      listInputOf(sortKeysOf(hosts.hostSort)).extend({
        zoneId: idSchema.optional(),
        podId: idSchema.optional(),
        clusterId: idSchema.optional(),
        state: z.enum(hostStates).optional(),
        status: z.enum(hostStatuses).optional(),
        hypervisorType: hypervisorTypeSchema.optional(),
        tag: z.string().trim().max(64).optional(),
      }),
    )
    .query(({ ctx, input }) => hosts.listHosts(ctx.db, ctx.caller, input)),
  get: read()
    .input(infraIdInput)
    .query(({ ctx, input }) => hosts.getHost(ctx.db, ctx.caller, input.id)),
  create: manage()
    .input(createHostInput)
    .mutation(({ ctx, input }) => hosts.createHost(ctx.db, ctx.caller, input)),
  update: manage()
    .input(updateHostInput)
    .mutation(({ ctx, input }) => hosts.updateHost(ctx.db, ctx.caller, input)),
  setState: manage()
    .input(setHostStateInput)
    .mutation(({ ctx, input }) => hosts.setHostState(ctx.db, ctx.caller, input)),
  delete: manage()
    .input(infraIdInput)
    .mutation(({ ctx, input }) => hosts.deleteHost(ctx.db, ctx.caller, input.id)),
});

const storagePoolRouter = createTRPCRouter({
  list: read()
    .input(
      listInputOf(sortKeysOf(storage.storagePoolSort)).extend({
        zoneId: idSchema.optional(),
        clusterId: idSchema.optional(),
        scope: z.enum(["zone", "cluster"]).optional(),
        state: z.enum(hostStates).optional(),
      }),
    )
    .query(({ ctx, input }) => storage.listStoragePools(ctx.db, ctx.caller, input)),
  get: read()
    .input(infraIdInput)
    .query(({ ctx, input }) => storage.getStoragePool(ctx.db, ctx.caller, input.id)),
  create: manage()
    .input(createStoragePoolInput)
    .mutation(({ ctx, input }) => storage.createStoragePool(ctx.db, ctx.caller, input)),
  update: manage()
    .input(updateStoragePoolInput)
    .mutation(({ ctx, input }) => storage.updateStoragePool(ctx.db, ctx.caller, input)),
  setState: manage()
    .input(setStoragePoolStateInput)
    .mutation(({ ctx, input }) => storage.setStoragePoolState(ctx.db, ctx.caller, input)),
  delete: manage()
    .input(infraIdInput)
    .mutation(({ ctx, input }) => storage.deleteStoragePool(ctx.db, ctx.caller, input.id)),
  /** Measures now what the pool's volumes take on disk (libvirt: vol-info allocation), stored on the pool. */
  measure: manage()
    .input(infraIdInput)
    .mutation(({ ctx, input }) => storage.measureStoragePool(ctx.db, ctx.caller, input.id)),
});

const secondaryStoreRouter = createTRPCRouter({
  list: read()
    .input(listInputOf(sortKeysOf(storage.secondaryStoreSort)).extend({ zoneId: idSchema.optional() }))
    .query(({ ctx, input }) => storage.listSecondaryStores(ctx.db, ctx.caller, input)),
  get: read()
    .input(infraIdInput)
    .query(({ ctx, input }) => storage.getSecondaryStore(ctx.db, ctx.caller, input.id)),
  create: manage()
    .input(createSecondaryStoreInput)
    .mutation(({ ctx, input }) => storage.createSecondaryStore(ctx.db, ctx.caller, input)),
  update: manage()
    .input(updateSecondaryStoreInput)
    .mutation(({ ctx, input }) => storage.updateSecondaryStore(ctx.db, ctx.caller, input)),
  delete: manage()
    .input(infraIdInput)
    .mutation(({ ctx, input }) => storage.deleteSecondaryStore(ctx.db, ctx.caller, input.id)),
});

/** zone, pod, cluster, host, storagePool, secondaryStore routers (root admin: infra.read / infra.manage). */
export const infrastructureRouters = {
  zone: zoneRouter,
  pod: podRouter,
  cluster: clusterRouter,
  host: hostRouter,
  storagePool: storagePoolRouter,
  secondaryStore: secondaryStoreRouter,
};
