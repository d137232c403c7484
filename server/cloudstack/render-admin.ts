import { csDate } from "./envelope";
import { capitalise, text } from "./render";

/**
 * Identity, infrastructure, capacity and usage objects in CloudStack's shapes (field names as
 * CloudStack's DomainResponse, AccountResponse, UserResponse, HostResponse, CapacityResponse and
 * UsageRecordResponse serialise them). Inputs are rows a scoped tRPC procedure already returned.
 */

type Row = Record<string, unknown>;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/** CloudStack's account type numbers (0 user, 1 root admin, 2 domain admin) and role types. */
export const csAccountType = (t: unknown) => (t === "root_admin" ? 1 : t === "domain_admin" ? 2 : 0);
export const csRoleType = (t: unknown) => (t === "root_admin" ? "Admin" : t === "domain_admin" ? "DomainAdmin" : "User");

/** A user (a row of user.list). */
export function userObject(u: Row) {
  return {
    id: u.id,
    username: u.username,
    firstname: u.firstName ?? undefined,
    lastname: u.lastName ?? undefined,
    email: u.email ?? undefined,
    state: capitalise(text(u.state)),
    accountid: u.accountId,
    account: u.accountName,
    accounttype: csAccountType(u.accountType),
    roletype: csRoleType(u.accountType),
    domainid: u.domainId,
    domain: u.domainName,
    created: csDate(u.createdAt as Date),
  };
}

/** An account (a row of account.list), with its users when given. */
export function accountObject(a: Row, users?: Row[]) {
  return {
    id: a.id,
    name: a.name,
    accounttype: csAccountType(a.type),
    roletype: csRoleType(a.type),
    state: capitalise(text(a.state)),
    domainid: a.domainId,
    domain: a.domainName ?? undefined,
    created: csDate(a.createdAt as Date),
    user: users?.map(userObject),
  };
}

/** A domain (a domains row), with its parent's name and CloudStack's path ("ROOT/Acme Cloud/Team A"). */
export function domainObject(d: Row, extra: { parentName?: string; path: string; hasChild: boolean }) {
  return {
    id: d.id,
    name: d.name,
    level: d.level,
    parentdomainid: d.parentId ?? undefined,
    parentdomainname: extra.parentName,
    haschild: extra.hasChild,
    path: extra.path,
    state: "Active",
    created: csDate(d.createdAt as Date),
  };
}

const HOST_STATUS: Record<string, string> = { up: "Up", down: "Down", disconnected: "Disconnected" };
export const csHostState = (status: string) => HOST_STATUS[status] ?? capitalise(status);
export const csHypervisor = (h: unknown) => (h === "kvm" ? "KVM" : h === "simulator" ? "Simulator" : text(h));
/** CloudStack's percentages: at most two decimals, no trailing zeros ("12.5"). */
const percent = (used: number, total: number) => String(total > 0 ? Math.round((used / total) * 10_000) / 100 : 0);

/** A host (a row of host.list / host.get): CloudStack's "Routing" host of a cluster. */
export function hostObject(h: Row) {
  const cores = Number(h.cpuCores);
  const mhz = Number(h.cpuMhz);
  const cpuUsed = Number(h.cpuUsedMhz);
  const memUsed = Number(h.memoryUsedMib) * MIB;
  const memTotal = Number(h.memoryMib) * MIB;
  const memWithOver = Number(h.memoryTotalMib) * MIB;
  const cpuPercent = percent(cpuUsed, cores * mhz);
  return {
    id: h.id,
    name: h.name,
    state: csHostState(text(h.status)),
    resourcestate: capitalise(text(h.state)),
    type: "Routing",
    hypervisor: csHypervisor(h.hypervisorType),
    ipaddress: h.address,
    zoneid: h.zoneId,
    zonename: h.zoneName,
    podid: h.podId,
    podname: h.podName,
    clusterid: h.clusterId,
    clustername: h.clusterName,
    clustertype: "CloudManaged",
    cpunumber: cores,
    cpuspeed: mhz,
    cpuallocated: `${cpuPercent}%`,
    cpuallocatedvalue: cpuUsed,
    cpuallocatedpercentage: `${cpuPercent}%`,
    cpuwithoverprovisioning: String(Number(h.cpuTotalMhz)),
    memorytotal: memTotal,
    memorywithoverprovisioning: String(memWithOver),
    memoryallocated: memUsed,
    memoryallocatedbytes: memUsed,
    memoryallocatedpercentage: `${percent(memUsed, memTotal)}%`,
    memoryused: memUsed,
    hosttags: Array.isArray(h.tags) ? (h.tags as string[]).join(",") : undefined,
    version: h.hypervisorVersion ?? undefined,
    hypervisorversion: h.hypervisorVersion ?? undefined,
    lastpinged: csDate(h.lastSeenAt as Date | null),
    created: csDate(h.createdAt as Date),
  };
}

/** CloudStack's capacity type numbers and names (Capacity.CAPACITY_TYPE_*). */
export const CAPACITY_TYPES = {
  0: "MEMORY",
  1: "CPU",
  2: "STORAGE",
  3: "STORAGE_ALLOCATED",
  4: "VIRTUAL_NETWORK_PUBLIC_IP",
  5: "PRIVATE_IP",
  6: "SECONDARY_STORAGE",
  7: "VLAN",
  8: "DIRECT_ATTACHED_PUBLIC_IP",
  9: "LOCAL_STORAGE",
} as const;

export interface ZoneCapacityRow {
  zoneId: string;
  zoneName: string;
  cpuMhz: { used: number; total: number };
  memoryMib: { used: number; total: number };
  primaryStorageGib: { used: number; total: number; physical: number; actualBytes: number | null };
  secondaryStorageGib: { used: number; total: number };
  publicIps: { used: number; total: number };
  vlans: { used: number; total: number };
}

/**
 * A zone's capacities (zone.capacity), only those Stratus measures: memory (bytes) and CPU (MHz)
 * reserved by VMs against what the planner may reserve; primary storage on disk (type 2, only once
 * a pool was measured) against its physical size; primary storage allocated to volumes against
 * capacity × over-provisioning (3); secondary storage (6); public addresses acquired (4) and guest
 * VLANs taken (7) against the zone's ranges.
 */
export function zoneCapacities(z: ZoneCapacityRow) {
  const entry = (type: keyof typeof CAPACITY_TYPES, used: number, total: number) => ({
    type,
    name: CAPACITY_TYPES[type],
    zoneid: z.zoneId,
    zonename: z.zoneName,
    capacityused: Math.round(used),
    capacityallocated: Math.round(used),
    capacitytotal: Math.round(total),
    percentused: percent(used, total),
  });
  const p = z.primaryStorageGib;
  return [
    entry(0, z.memoryMib.used * MIB, z.memoryMib.total * MIB),
    entry(1, z.cpuMhz.used, z.cpuMhz.total),
    ...(p.actualBytes !== null ? [entry(2, p.actualBytes, p.physical * GIB)] : []),
    entry(3, p.used * GIB, p.total * GIB),
    entry(6, z.secondaryStorageGib.used * GIB, z.secondaryStorageGib.total * GIB),
    // Addresses and VLANs only where the zone has ranges of them.
    ...(z.publicIps.total > 0 ? [entry(4, z.publicIps.used, z.publicIps.total)] : []),
    ...(z.vlans.total > 0 ? [entry(7, z.vlans.used, z.vlans.total)] : []),
  ];
}

const USAGE_WHAT: Record<number, string> = {
  1: "running time",
  2: "allocated time",
  3: "IP address usage",
  4: "bytes sent",
  5: "bytes received",
  6: "volume usage",
  7: "template usage",
  8: "ISO usage",
  9: "snapshot usage",
  11: "load balancer policy usage",
  12: "port forwarding rule usage",
  13: "network offering usage",
  25: "VM snapshot usage",
};
/** Trailing zeros off, at most 6 decimals (CloudStack's "#.######"). */
const decimal = (n: number) => String(Math.round(n * 1e6) / 1e6);

/** A usage record (a row of usage.records) as CloudStack's usagerecord. */
export function usageRecordObject(r: Row, domainName: string | undefined) {
  const type = Number(r.usageType);
  const dims = (r.dimensions ?? {}) as Row;
  const bytes = r.unit === "bytes";
  const hours = Number(r.seconds) / 3600;
  const isVm = type === 1 || type === 2;
  return {
    account: r.accountName ?? undefined,
    accountid: r.accountId,
    domainid: r.domainId,
    domain: domainName,
    zoneid: r.zoneId ?? undefined,
    description: `${text(r.resourceName) || text(r.resourceId)} ${USAGE_WHAT[type] ?? text(r.typeName)}`,
    usage: bytes ? `${decimal(Number(r.size))} bytes` : `${decimal(hours)} Hrs`,
    usagetype: type,
    rawusage: bytes ? decimal(Number(r.size)) : decimal(hours),
    virtualmachineid: isVm ? r.resourceId : typeof dims.instanceId === "string" ? dims.instanceId : undefined,
    name: r.resourceName ?? undefined,
    offeringid: r.offeringId ?? undefined,
    templateid: r.templateId ?? undefined,
    usageid: r.resourceId,
    type: typeof dims.volumeType === "string" ? dims.volumeType.toUpperCase() : undefined,
    // Storage records are GiB for the hours: CloudStack gives the size in bytes beside the hours.
    size: r.unit === "GiB-hours" ? Math.round(Number(r.size) * GIB) : undefined,
    cpunumber: isVm && dims.cpuCores !== undefined ? Number(dims.cpuCores) : undefined,
    cpuspeed: isVm && dims.cpuMhz !== undefined ? Number(dims.cpuMhz) : undefined,
    memory: isVm && dims.memoryMib !== undefined ? Number(dims.memoryMib) : undefined,
    issourcenat: type === 3 && typeof dims.sourceNat === "boolean" ? dims.sourceNat : undefined,
    startdate: csDate(r.periodStart as Date),
    enddate: csDate(r.periodEnd as Date),
  };
}
