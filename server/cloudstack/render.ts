import { asc, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, domains, instances, nics, templates } from "@/db/schema";
import { csDate } from "./envelope";

/**
 * Stratus objects in CloudStack's shapes (the fields cmk, the Terraform provider, Ansible and cs
 * read). Renderers take rows a scoped service already returned; the extra columns they read
 * (template, domain, NICs) are of those same objects, so nothing outside the caller's scope shows.
 */

const VM_STATE: Record<string, string> = {
  allocated: "Starting",
  starting: "Starting",
  running: "Running",
  stopping: "Stopping",
  stopped: "Stopped",
  migrating: "Migrating",
  error: "Error",
  unknown: "Unknown",
  destroyed: "Destroyed",
  expunging: "Expunging",
  expunged: "Expunged",
};
export const csVmState = (s: string) => VM_STATE[s] ?? s;
export const capitalise = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
/** A loosely typed field (a row from a generic list) as text: strings and numbers as they are, anything else empty. */
export const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "");

/** Columns of the listed VMs that the tRPC list does not carry. */
async function vmExtras(db: DbOrTx, ids: string[]) {
  const [rows, nicRows] = await Promise.all([
    db
      .select({
        id: instances.id,
        templateId: instances.templateId,
        templateName: templates.name,
        hypervisor: templates.hypervisorType,
        cpuMhz: instances.cpuMhz,
        domainId: instances.domainId,
        domainName: domains.name,
        accountName: accounts.name,
        isoId: instances.isoId,
      })
      .from(instances)
      .innerJoin(templates, eq(templates.id, instances.templateId))
      .innerJoin(domains, eq(domains.id, instances.domainId))
      .innerJoin(accounts, eq(accounts.id, instances.accountId))
      .where(ids.length ? inArray(instances.id, ids) : sql`false`),
    db
      .select({ id: nics.id, vm: nics.instanceId, networkId: nics.networkId, ip: nics.ip, mac: nics.mac, deviceId: nics.deviceId })
      .from(nics)
      .where(ids.length ? inArray(nics.instanceId, ids) : sql`false`)
      .orderBy(asc(nics.deviceId)),
  ]);
  const nicsByVm = new Map<string, typeof nicRows>();
  for (const n of nicRows) nicsByVm.set(n.vm, [...(nicsByVm.get(n.vm) ?? []), n]);
  return { rows: new Map(rows.map((r) => [r.id, r])), nicsByVm };
}

export interface VmListRow {
  id: string;
  name: string;
  state: string;
  cpuCores: number;
  memoryMib: number;
  createdAt: Date;
  zoneId: string;
  zoneName: string;
  computeOfferingId: string;
  offeringName: string;
  accountId: string;
  hostId?: string | null;
  hostName?: string | null;
  ipAddress?: string | null;
}

/** VMs (from instance.list or instance.get) as CloudStack's virtualmachine objects. */
export async function renderVms(db: DbOrTx, vms: VmListRow[]) {
  const { rows, nicsByVm } = await vmExtras(
    db,
    vms.map((v) => v.id),
  );
  return vms.map((v) => {
    const x = rows.get(v.id);
    const vmNics = nicsByVm.get(v.id) ?? [];
    return {
      id: v.id,
      name: v.name,
      displayname: v.name,
      state: csVmState(v.state),
      zoneid: v.zoneId,
      zonename: v.zoneName,
      serviceofferingid: v.computeOfferingId,
      serviceofferingname: v.offeringName,
      templateid: x?.templateId,
      templatename: x?.templateName,
      isoid: x?.isoId ?? undefined,
      account: x?.accountName,
      domainid: x?.domainId,
      domain: x?.domainName,
      cpunumber: v.cpuCores,
      cpuspeed: x?.cpuMhz,
      memory: v.memoryMib,
      created: csDate(v.createdAt),
      haenable: false,
      hypervisor: x?.hypervisor === "kvm" ? "KVM" : x?.hypervisor === "simulator" ? "Simulator" : x?.hypervisor,
      hostid: v.hostId ?? undefined,
      hostname: v.hostName ?? undefined,
      ipaddress: vmNics[0]?.ip ?? v.ipAddress ?? undefined,
      nic: vmNics.map((n) => ({
        id: n.id,
        networkid: n.networkId,
        ipaddress: n.ip ?? undefined,
        macaddress: n.mac,
        isdefault: n.deviceId === 0,
        deviceid: String(n.deviceId),
        type: "Isolated",
      })),
    };
  });
}

/** A generic row as a CloudStack object: keys lower-cased, dates in CloudStack's format, nulls left out. */
export function lowerKeys(row: Record<string, unknown>, rename: Record<string, string> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) continue;
    if (typeof v === "object" && !(v instanceof Date) && !Array.isArray(v)) continue;
    const key = rename[k] ?? k.toLowerCase();
    out[key] = v instanceof Date ? csDate(v) : v;
  }
  return out;
}
