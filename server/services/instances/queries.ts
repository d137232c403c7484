import { and, asc, desc, eq, ilike, like, ne, or, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, computeOfferings, hosts, instances, jobs, nics, templates, zones } from "@/db/schema";
import { type Caller, escapeLike, isRootAdmin } from "@/server/authz/caller";
import { instanceScope } from "@/server/authz/scopes";
import type { InstanceSortKey, ListInstancesInput } from "@/lib/validation/instances";
import { getAccountInScope } from "@/server/services/accounts";
import { getDomainInScope } from "@/server/services/domains";
import { listEvents } from "@/server/services/events";
import { activeJobsOf, pageTotal, sortColumn } from "@/server/services/paging";
import { getInstanceInScope } from "./access";

const sortable = {
  name: instances.name,
  state: instances.state,
  createdAt: instances.createdAt,
  zoneName: zones.name,
  offeringName: computeOfferings.name,
  accountName: accounts.name,
  hostName: hosts.name,
} satisfies Record<InstanceSortKey, unknown>;

const columns = {
  id: instances.id,
  name: instances.name,
  state: instances.state,
  cpuCores: instances.cpuCores,
  memoryMib: instances.memoryMib,
  /** The default NIC's address (IPAM), null without one. */
  ipAddress: sql<
    string | null
  >`(select ${nics.ip} from ${nics} where ${nics.instanceId} = ${instances.id} order by ${nics.deviceId} limit 1)`.as("ip_address"),
  createdAt: instances.createdAt,
  stateChangedAt: instances.stateChangedAt,
  zoneId: instances.zoneId,
  zoneName: zones.name,
  computeOfferingId: instances.computeOfferingId,
  offeringName: computeOfferings.name,
  templateName: templates.name,
  accountId: instances.accountId,
  accountName: accounts.name,
  hostId: instances.hostId,
  hostName: hosts.name,
};

/** Instances in the caller's scope, one page, with the names the list shows. */
export async function listInstances(db: DbOrTx, caller: Caller, input: Partial<ListInstancesInput>) {
  const conds: (SQL | undefined)[] = [instanceScope(caller)];
  if (!input.includeExpunged) conds.push(ne(instances.state, "expunged"));
  if (input.state) conds.push(eq(instances.state, input.state));
  if (input.zoneId) conds.push(eq(instances.zoneId, input.zoneId));
  if (input.accountId) conds.push(eq(instances.accountId, (await getAccountInScope(db, caller, input.accountId)).id));
  // Only the root admin sees hosts; for anyone else a host filter matches nothing (reveals nothing).
  if (input.hostId) conds.push(isRootAdmin(caller) ? eq(instances.hostId, input.hostId) : sql`false`);
  if (input.domainId) conds.push(like(instances.domainPath, `${escapeLike((await getDomainInScope(db, caller, input.domainId)).path)}%`));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(
      or(
        ilike(instances.name, q),
        sql`exists (select 1 from ${nics} where ${nics.instanceId} = ${instances.id} and ${nics.ip} ilike ${q})`,
      ),
    );
  }
  const where = and(...conds);
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const sortKey = input.sort === "hostName" && !isRootAdmin(caller) ? undefined : input.sort;
  const col = sortColumn(sortable, sortKey);
  const dir = input.dir === "asc" ? asc : desc;
  const order = col ? [dir(col), desc(instances.id)] : [desc(instances.createdAt), desc(instances.id)];
  const [rows, counted] = await Promise.all([
    db
      .select(columns)
      .from(instances)
      .innerJoin(zones, eq(zones.id, instances.zoneId))
      .innerJoin(computeOfferings, eq(computeOfferings.id, instances.computeOfferingId))
      .innerJoin(templates, eq(templates.id, instances.templateId))
      .innerJoin(accounts, eq(accounts.id, instances.accountId))
      .leftJoin(hosts, eq(hosts.id, instances.hostId))
      .where(where)
      .orderBy(...order)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    pageTotal(db, instances, where, (page - 1) * pageSize),
  ]);
  const jobByVm = await activeJobsOf(
    db,
    rows.map((r) => r.id),
  );
  const admin = isRootAdmin(caller); // hosts are infrastructure: only the root admin sees them (as in CloudStack)
  return {
    items: rows.map((r) => ({
      ...r,
      hostId: admin ? r.hostId : null,
      hostName: admin ? r.hostName : null,
      activeJob: jobByVm.get(r.id) ?? null,
    })),
    ...counted,
    page,
    pageSize,
  };
}

/** One instance with what its page shows: names, the job in flight, recent jobs and events. */
export async function getInstanceDetail(db: DbOrTx, caller: Caller, id: string) {
  const vm = await getInstanceInScope(db, caller, id);
  const [[names], recentJobs, events, [iso]] = await Promise.all([
    db
      .select({
        zoneName: zones.name,
        offeringName: computeOfferings.name,
        templateName: templates.name,
        osType: templates.osType,
        accountName: accounts.name,
        hostName: hosts.name,
      })
      .from(instances)
      .innerJoin(zones, eq(zones.id, instances.zoneId))
      .innerJoin(computeOfferings, eq(computeOfferings.id, instances.computeOfferingId))
      .innerJoin(templates, eq(templates.id, instances.templateId))
      .innerJoin(accounts, eq(accounts.id, instances.accountId))
      .leftJoin(hosts, eq(hosts.id, instances.hostId))
      .where(eq(instances.id, vm.id)),
    db.select().from(jobs).where(eq(jobs.resourceId, vm.id)).orderBy(desc(jobs.createdAt)).limit(10),
    listEvents(db, caller, { resourceId: vm.id, pageSize: 50 }),
    // The ISO in its CD-ROM: its name only (its path is for root admins, on the templates page).
    vm.isoId ? db.select({ name: templates.name }).from(templates).where(eq(templates.id, vm.isoId)) : Promise.resolve([]),
  ]);
  const admin = isRootAdmin(caller); // hosts are infrastructure: only the root admin sees them (as in CloudStack)
  // The default NIC's address (IPAM), as the list shows it.
  const [defaultNic] = await db.select({ ip: nics.ip }).from(nics).where(eq(nics.instanceId, vm.id)).orderBy(asc(nics.deviceId)).limit(1);
  return {
    ...vm,
    ...names!,
    ipAddress: defaultNic?.ip ?? vm.ipAddress,
    hostId: admin ? vm.hostId : null,
    hostName: admin ? (names?.hostName ?? null) : null,
    lastHostId: admin ? vm.lastHostId : null,
    isoName: iso?.name ?? null,
    activeJob: recentJobs.find((j) => j.status === "queued" || j.status === "running") ?? null,
    recentJobs,
    events: events.items,
  };
}
