import { and, eq, inArray, max, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { accounts, domains, jobs, snapshotPolicies, snapshots, volumes, zones } from "@/db/schema";
import { csDate } from "./envelope";
import { capitalise, csVmState, text } from "./render";

/**
 * Volumes, snapshots, snapshot policies and templates in CloudStack's shapes (VolumeResponse,
 * SnapshotResponse, SnapshotPolicyResponse, TemplateResponse). Like render.ts, the extra columns
 * read here are of objects a scoped service already returned.
 */

const GIB = 1024 ** 3;

/** Stratus volume states as CloudStack's Volume.State names. */
const VOLUME_STATE: Record<string, string> = {
  allocated: "Allocated",
  creating: "Creating",
  ready: "Ready",
  attaching: "Attaching",
  detaching: "Ready",
  resizing: "Resizing",
  migrating: "Migrating",
  reverting: "RevertSnapshotting",
  destroyed: "Destroy",
  expunged: "Expunged",
  error: "Error",
};

/** A row of volume.list or volume.get. */
export interface VolumeRow {
  id: string;
  name: string;
  type: string;
  state: string;
  sizeGib: number;
  deviceTarget: string | null;
  createdAt: Date;
  zoneId: string;
  zoneName: string;
  accountId: string;
  accountName: string;
  diskOfferingId: string | null;
  offeringName: string | null;
  instanceId: string | null;
  instanceName: string | null;
  instanceState: string | null;
  storagePoolId: string | null;
  poolName: string | null;
  /** The job in flight (list and get carry it): a destroyed volume being expunged shows as Expunging. */
  activeJob?: { type: string } | null;
}

/** vda → 0, vdb → 1 … (CloudStack's deviceid: ROOT is 0). */
const deviceId = (target: string | null) => (target && /^[sv]d[a-z]$/.test(target) ? target.charCodeAt(2) - 97 : undefined);

export async function renderVolumes(db: DbOrTx, rows: VolumeRow[]) {
  const ids = rows.map((v) => v.id);
  const [owners, attaches] = await Promise.all([
    db
      .select({ id: volumes.id, domainId: domains.id, domainName: domains.name })
      .from(volumes)
      .innerJoin(domains, eq(domains.id, volumes.domainId))
      .where(ids.length ? inArray(volumes.id, ids) : sql`false`),
    // When it was attached: its last attach job that succeeded (Stratus keeps no column for it).
    db
      .select({ id: jobs.resourceId, at: max(jobs.finishedAt) })
      .from(jobs)
      .where(and(ids.length ? inArray(jobs.resourceId, ids) : sql`false`, eq(jobs.type, "volume.attach"), eq(jobs.status, "succeeded")))
      .groupBy(jobs.resourceId),
  ]);
  const owner = new Map(owners.map((o) => [o.id, o]));
  const attached = new Map(attaches.map((a) => [a.id, a.at]));
  return rows.map((v) => ({
    id: v.id,
    name: v.name,
    zoneid: v.zoneId,
    zonename: v.zoneName,
    type: v.type === "root" ? "ROOT" : "DATADISK",
    deviceid: v.instanceId ? deviceId(v.deviceTarget) : undefined,
    virtualmachineid: v.instanceId ?? undefined,
    vmname: v.instanceName ?? undefined,
    vmdisplayname: v.instanceName ?? undefined,
    vmstate: v.instanceState ? csVmState(v.instanceState) : undefined,
    size: v.sizeGib * GIB,
    virtualsize: v.sizeGib * GIB,
    diskofferingid: v.diskOfferingId ?? undefined,
    diskofferingname: v.offeringName ?? undefined,
    diskofferingdisplaytext: v.offeringName ?? undefined,
    state: v.activeJob?.type === "volume.expunge" ? "Expunging" : (VOLUME_STATE[v.state] ?? capitalise(v.state)),
    destroyed: v.state === "destroyed",
    account: v.accountName,
    domainid: owner.get(v.id)?.domainId,
    domain: owner.get(v.id)?.domainName,
    storageid: v.storagePoolId ?? undefined,
    storage: v.poolName ?? undefined,
    storagetype: "shared",
    provisioningtype: "thin",
    isextractable: false,
    displayvolume: true,
    created: csDate(v.createdAt),
    attached: v.instanceId ? csDate(attached.get(v.id)) : undefined,
  }));
}

/** A row of snapshot.list. */
export interface SnapshotRow {
  id: string;
  name: string;
  state: string;
  volumeId: string;
  volumeName: string;
  sizeBytes: number | null;
  capacityBytes: number | null;
  policyId: string | null;
  createdAt: Date;
}

const SNAPSHOT_STATE: Record<string, string> = { creating: "Creating", ready: "BackedUp", error: "Error", destroyed: "Destroyed" };

/** Snapshots with the owner, zone and volume type CloudStack shows (accountid too, for the account filter: callers drop it). */
export async function renderSnapshots(db: DbOrTx, rows: SnapshotRow[]) {
  const ids = rows.map((s) => s.id);
  const extras = await db
    .select({
      id: snapshots.id,
      accountId: snapshots.accountId,
      accountName: accounts.name,
      domainId: domains.id,
      domainName: domains.name,
      zoneId: zones.id,
      zoneName: zones.name,
      volumeType: volumes.type,
      frequency: snapshotPolicies.frequency,
    })
    .from(snapshots)
    .innerJoin(accounts, eq(accounts.id, snapshots.accountId))
    .innerJoin(domains, eq(domains.id, snapshots.domainId))
    .innerJoin(zones, eq(zones.id, snapshots.zoneId))
    .innerJoin(volumes, eq(volumes.id, snapshots.volumeId))
    .leftJoin(snapshotPolicies, eq(snapshotPolicies.id, snapshots.policyId))
    .where(ids.length ? inArray(snapshots.id, ids) : sql`false`);
  const x = new Map(extras.map((e) => [e.id, e]));
  return rows.map((s) => {
    const e = x.get(s.id);
    return {
      id: s.id,
      name: s.name,
      volumeid: s.volumeId,
      volumename: s.volumeName,
      volumetype: e?.volumeType === "root" ? "ROOT" : "DATADISK",
      // A policy's snapshot is of its interval type (CloudStack's recurring type), RECURRING once the policy is gone.
      snapshottype: e?.frequency ? e.frequency.toUpperCase() : s.policyId ? "RECURRING" : "MANUAL",
      intervaltype: e?.frequency ? e.frequency.toUpperCase() : s.policyId ? undefined : "MANUAL",
      state: SNAPSHOT_STATE[s.state] ?? capitalise(s.state),
      physicalsize: s.sizeBytes ?? 0,
      virtualsize: s.capacityBytes ?? 0,
      account: e?.accountName,
      accountid: e?.accountId,
      domainid: e?.domainId,
      domain: e?.domainName,
      zoneid: e?.zoneId,
      zonename: e?.zoneName,
      locationtype: "SECONDARY",
      revertable: s.state === "ready",
      created: csDate(s.createdAt),
    };
  });
}

/** CloudStack's DateUtil.IntervalType, whose ordinal SnapshotPolicyResponse.intervaltype carries. */
export const INTERVAL_TYPES = ["HOURLY", "DAILY", "WEEKLY", "MONTHLY"] as const;

export interface PolicyRow {
  id: string;
  volumeId: string;
  frequency: string;
  minute: number;
  hour: number | null;
  weekday: number | null;
  dayOfMonth: number | null;
  timeZone: string;
  retention: number;
}

/** CloudStack's schedule: "MM" hourly, "MM:HH" daily, "MM:HH:D" weekly (1 Sunday … 7), "MM:HH:DD" monthly. */
export function scheduleOf(p: PolicyRow): string {
  if (p.frequency === "hourly") return String(p.minute);
  const day = p.frequency === "weekly" ? (p.weekday ?? 0) + 1 : p.frequency === "monthly" ? p.dayOfMonth : null;
  return [p.minute, p.hour ?? 0, ...(day === null ? [] : [day])].join(":");
}

export const policyObject = (p: PolicyRow) => ({
  id: p.id,
  volumeid: p.volumeId,
  schedule: scheduleOf(p),
  intervaltype: INTERVAL_TYPES.indexOf(p.frequency.toUpperCase() as (typeof INTERVAL_TYPES)[number]),
  maxsnaps: p.retention,
  timezone: p.timeZone,
  fordisplay: true,
});

/** A row of template.listImages or template.get as CloudStack's template (listTemplates and registerTemplate). */
export function templateObject(t: Record<string, unknown>) {
  const status = text(t.status);
  return {
    id: t.id,
    name: t.name,
    displaytext: (t.displayText as string | null) ?? t.name,
    ostypename: t.osType ?? undefined,
    format: typeof t.format === "string" ? t.format.toUpperCase() : undefined,
    hypervisor: t.hypervisorType === "kvm" ? "KVM" : typeof t.hypervisorType === "string" ? capitalise(t.hypervisorType) : undefined,
    zoneid: t.zoneId ?? undefined,
    zonename: t.zoneName ?? undefined,
    ispublic: t.isPublic,
    isfeatured: t.isFeatured,
    isready: status === "ready",
    // CloudStack's download status texts: "Download Complete", "42% Downloaded", the error.
    status:
      status === "ready"
        ? "Download Complete"
        : status === "downloading"
          ? `${typeof t.progress === "number" ? t.progress : 0}% Downloaded`
          : status === "error"
            ? text(t.errorMessage) || "Error"
            : capitalise(status),
    size: typeof t.sizeGib === "number" ? t.sizeGib * GIB : undefined,
    account: t.accountName ?? undefined,
    domainid: t.domainId ?? undefined,
    created: csDate(t.createdAt as Date),
    templatetype: "USER",
    bootable: true,
    passwordenabled: false,
    isextractable: false,
    crossZones: false,
  };
}
