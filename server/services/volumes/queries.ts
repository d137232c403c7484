import { and, asc, desc, eq, ilike, ne, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { DbOrTx } from "@/db";
import { accounts, diskOfferings, instances, jobs, storagePools, volumes, zones } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import type { ListVolumesInput, VolumeSortKey } from "@/lib/validation/volumes";
import { getAccountInScope } from "@/server/services/accounts";
import { listEvents } from "@/server/services/events";
import { activeJobsOf, pageTotal, sortColumn } from "@/server/services/paging";
import { volumeScope } from "@/server/authz/scopes";
import { getVolumeInScope } from "./access";
import { getInstanceInScope } from "@/server/services/instances/access";

const vm = alias(instances, "vm");

const sortable = {
  name: volumes.name,
  state: volumes.state,
  type: volumes.type,
  sizeGib: volumes.sizeGib,
  createdAt: volumes.createdAt,
  zoneName: zones.name,
  accountName: accounts.name,
  instanceName: vm.name,
} satisfies Record<VolumeSortKey, unknown>;

const columns = {
  id: volumes.id,
  name: volumes.name,
  type: volumes.type,
  state: volumes.state,
  sizeGib: volumes.sizeGib,
  deviceTarget: volumes.deviceTarget,
  createdAt: volumes.createdAt,
  expungeAfter: volumes.expungeAfter,
  zoneId: volumes.zoneId,
  zoneName: zones.name,
  accountId: volumes.accountId,
  accountName: accounts.name,
  diskOfferingId: volumes.diskOfferingId,
  offeringName: diskOfferings.name,
  instanceId: volumes.instanceId,
  instanceName: vm.name,
  instanceState: vm.state,
  storagePoolId: volumes.storagePoolId,
  poolName: storagePools.name,
};

const base = (db: DbOrTx) =>
  db
    .select(columns)
    .from(volumes)
    .innerJoin(zones, eq(zones.id, volumes.zoneId))
    .innerJoin(accounts, eq(accounts.id, volumes.accountId))
    .leftJoin(diskOfferings, eq(diskOfferings.id, volumes.diskOfferingId))
    .leftJoin(vm, eq(vm.id, volumes.instanceId))
    .leftJoin(storagePools, eq(storagePools.id, volumes.storagePoolId));

/** Pools are infrastructure: only the root admin sees which pool a volume lies on (as in CloudStack). */
function redact<T extends { storagePoolId: string | null; poolName: string | null }>(caller: Caller, row: T): T {
  return isRootAdmin(caller) ? row : { ...row, storagePoolId: null, poolName: null };
}

/** Volumes in the caller's scope, one page, with the names the list shows and the job in flight. */
export async function listVolumes(db: DbOrTx, caller: Caller, input: Partial<ListVolumesInput>) {
  const conds: (SQL | undefined)[] = [volumeScope(caller)];
  if (!input.includeExpunged) conds.push(ne(volumes.state, "expunged"));
  if (input.state) conds.push(eq(volumes.state, input.state));
  if (input.type) conds.push(eq(volumes.type, input.type));
  if (input.zoneId) conds.push(eq(volumes.zoneId, input.zoneId));
  if (input.accountId) conds.push(eq(volumes.accountId, (await getAccountInScope(db, caller, input.accountId)).id));
  if (input.instanceId) conds.push(eq(volumes.instanceId, (await getInstanceInScope(db, caller, input.instanceId)).id));
  if (input.search) conds.push(ilike(volumes.name, `%${escapeLike(input.search)}%`));
  const where = and(...conds);
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const col = sortColumn(sortable, input.sort);
  const dir = input.dir === "asc" ? asc : desc;
  const order = col ? [dir(col), desc(volumes.id)] : [desc(volumes.createdAt), desc(volumes.id)];
  const [rows, counted] = await Promise.all([
    base(db)
      .where(where)
      .orderBy(...order)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    pageTotal(db, volumes, where, (page - 1) * pageSize),
  ]);
  const jobByVolume = await activeJobsOf(
    db,
    rows.map((r) => r.id),
  );
  return {
    items: rows.map((r) => ({ ...redact(caller, r), activeJob: jobByVolume.get(r.id) ?? null })),
    ...counted,
    page,
    pageSize,
  };
}

/** One volume with what its page shows: names, the offering's bounds, the job in flight, recent jobs and events. */
export async function getVolumeDetail(db: DbOrTx, caller: Caller, id: string) {
  const vol = await getVolumeInScope(db, caller, id);
  const [[row], [offering], recentJobs, events] = await Promise.all([
    base(db).where(eq(volumes.id, vol.id)),
    vol.diskOfferingId
      ? db
          .select({ customSize: diskOfferings.customSize, minGib: diskOfferings.minGib, maxGib: diskOfferings.maxGib })
          .from(diskOfferings)
          .where(eq(diskOfferings.id, vol.diskOfferingId))
      : Promise.resolve([]),
    db.select().from(jobs).where(eq(jobs.resourceId, vol.id)).orderBy(desc(jobs.createdAt)).limit(10),
    listEvents(db, caller, { resourceId: vol.id, pageSize: 50 }),
  ]);
  return {
    ...redact(caller, row!),
    destroyedAt: vol.destroyedAt,
    offeringMaxGib: offering?.customSize ? offering.maxGib : null,
    activeJob: recentJobs.find((j) => j.status === "queued" || j.status === "running") ?? null,
    recentJobs,
    events: events.items,
  };
}
