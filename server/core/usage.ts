import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { usageEvents } from "@/db/schema";

export type UsageType = "VM.CREATE" | "VM.START" | "VM.STOP" | "VM.UPGRADE" | "VM.DESTROY" | "VM.EXPUNGE";
export type VolumeUsageType = "VOLUME.CREATE" | "VOLUME.DELETE" | "VOLUME.RESIZE";

export interface UsageSubject {
  id: string;
  name: string;
  accountId: string;
  domainId: string;
  zoneId: string;
  computeOfferingId: string;
  templateId: string;
}

/**
 * Writes a billing fact in the caller's transaction (numbered by `seq` at insert; read them in seq order). `key` identifies the fact: a job passes
 * `<jobId>:<type>`, so a job resumed after a crash or retried cannot record it twice (the
 * unique key swallows the repeat); API transactions commit once and pass nothing.
 */
export async function recordUsage(
  tx: DbOrTx,
  type: UsageType,
  vm: UsageSubject,
  opts: { key?: string; details?: Record<string, unknown>; occurredAt?: Date } = {},
) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: vm.accountId,
      domainId: vm.domainId,
      zoneId: vm.zoneId,
      resourceId: vm.id,
      resourceName: vm.name,
      offeringId: vm.computeOfferingId,
      templateId: vm.templateId,
      details: opts.details ?? null,
      // When it happened, if not now: a host that went silent stopped billing when last seen.
      ...(opts.occurredAt ? { occurredAt: opts.occurredAt } : {}),
      idempotencyKey: opts.key ?? `${vm.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

/**
 * Whether the VM is billed as running: its last VM.START/VM.STOP/VM.DESTROY fact is a start. Used
 * where Stratus could not see a transition happen (a VM found running or stopped after its host
 * came back), so the usage log never shows two starts or two stops in a row.
 */
export async function billedAsRunning(tx: DbOrTx, vmId: string): Promise<boolean> {
  const [last] = await tx
    .select({ type: usageEvents.type })
    .from(usageEvents)
    .where(and(eq(usageEvents.resourceId, vmId), inArray(usageEvents.type, ["VM.START", "VM.STOP", "VM.DESTROY"])))
    .orderBy(desc(usageEvents.seq))
    .limit(1);
  return last?.type === "VM.START";
}

export interface VolumeUsageSubject {
  id: string;
  name: string;
  accountId: string;
  domainId: string;
  zoneId: string;
  diskOfferingId: string | null;
  sizeGib: number;
  type: "root" | "datadisk";
}

/**
 * A volume's billing fact, in the transaction that counts or gives back its limits: VOLUME.CREATE
 * when a volume starts to count (create, deploy, recover), VOLUME.DELETE when it stops (destroy, or
 * expunge of one never destroyed), VOLUME.RESIZE with the old and new size. Keys as in recordUsage.
 */
export async function recordVolumeUsage(
  tx: DbOrTx,
  type: VolumeUsageType,
  vol: VolumeUsageSubject,
  opts: { key?: string; details?: Record<string, unknown> } = {},
) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: vol.accountId,
      domainId: vol.domainId,
      zoneId: vol.zoneId,
      resourceId: vol.id,
      resourceName: vol.name,
      offeringId: vol.diskOfferingId,
      details: { sizeGib: vol.sizeGib, volumeType: vol.type, ...opts.details },
      idempotencyKey: opts.key ?? `${vol.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

export type SnapshotUsageType = "SNAPSHOT.CREATE" | "SNAPSHOT.DELETE";

export interface SnapshotUsageSubject {
  id: string;
  name: string;
  accountId: string;
  domainId: string;
  zoneId: string;
  volumeId: string;
  sizeBytes: number | null;
  capacityBytes: number | null;
  full: boolean;
}

/**
 * A volume snapshot's billing fact: SNAPSHOT.CREATE when it becomes Ready (its bytes on the secondary
 * store known), SNAPSHOT.DELETE when a Ready one is deleted. Keys as in recordUsage.
 */
export async function recordSnapshotUsage(tx: DbOrTx, type: SnapshotUsageType, snap: SnapshotUsageSubject, opts: { key?: string } = {}) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: snap.accountId,
      domainId: snap.domainId,
      zoneId: snap.zoneId,
      resourceId: snap.id,
      resourceName: snap.name,
      details: { volumeId: snap.volumeId, sizeBytes: snap.sizeBytes, volumeSizeBytes: snap.capacityBytes, full: snap.full },
      idempotencyKey: opts.key ?? `${snap.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

export type VmSnapshotUsageType = "VMSNAPSHOT.CREATE" | "VMSNAPSHOT.DELETE" | "VMSNAPSHOT.REVERTTO";

export interface VmSnapshotUsageSubject {
  id: string;
  name: string;
  accountId: string;
  domainId: string;
  zoneId: string;
  instanceId: string;
  type: "disk_and_memory" | "disk";
  sizeBytes: number | null;
}

/**
 * A VM snapshot's billing fact, in the transaction of its state change: VMSNAPSHOT.CREATE when it
 * becomes Ready (its size known), VMSNAPSHOT.DELETE when a Ready one is deleted (or goes with its
 * VM), VMSNAPSHOT.REVERTTO when the VM is reverted to it. Keys as in recordUsage.
 */
export async function recordVmSnapshotUsage(
  tx: DbOrTx,
  type: VmSnapshotUsageType,
  snap: VmSnapshotUsageSubject,
  opts: { key?: string } = {},
) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: snap.accountId,
      domainId: snap.domainId,
      zoneId: snap.zoneId,
      resourceId: snap.id,
      resourceName: snap.name,
      details: { instanceId: snap.instanceId, snapshotType: snap.type, sizeBytes: snap.sizeBytes },
      idempotencyKey: opts.key ?? `${snap.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

export type TemplateUsageType = "TEMPLATE.CREATE" | "TEMPLATE.DELETE" | "ISO.CREATE" | "ISO.DELETE";

export interface TemplateUsageSubject {
  id: string;
  name: string;
  accountId: string | null;
  domainId: string | null;
  zoneId: string | null;
  format: string;
  storedBytes: number;
  sizeGib: number;
}

/**
 * A template's or ISO's billing fact (CloudStack's names): TEMPLATE.CREATE / ISO.CREATE when its
 * image is Ready on the secondary store, TEMPLATE.DELETE / ISO.DELETE when a Ready one is deleted,
 * with its stored bytes and virtual size. Templates without an owner account (the root admin's
 * registrations) bill no one and record nothing. Keys as in recordUsage.
 */
export async function recordTemplateUsage(tx: DbOrTx, action: "CREATE" | "DELETE", t: TemplateUsageSubject, opts: { key?: string } = {}) {
  if (!t.accountId || !t.domainId) return;
  const type: TemplateUsageType = t.format === "iso" ? `ISO.${action}` : `TEMPLATE.${action}`;
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: t.accountId,
      domainId: t.domainId,
      zoneId: t.zoneId,
      resourceId: t.id,
      resourceName: t.name,
      templateId: t.id,
      details: { sizeBytes: Number(t.storedBytes), virtualSizeGib: Number(t.sizeGib), format: t.format },
      idempotencyKey: opts.key ?? `${t.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

export type NetworkUsageType = "NETWORK.CREATE" | "NETWORK.DELETE";

/** A network's billing fact, in the transaction that counts (create) or gives back (delete) its `networks` limit. */
export async function recordNetworkUsage(
  tx: DbOrTx,
  type: NetworkUsageType,
  n: { id: string; name: string; accountId: string; domainId: string; zoneId: string; networkOfferingId: string; cidr: string | null },
  opts: { key?: string } = {},
) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: n.accountId,
      domainId: n.domainId,
      zoneId: n.zoneId,
      resourceId: n.id,
      resourceName: n.name,
      offeringId: n.networkOfferingId,
      details: { cidr: n.cidr },
      idempotencyKey: opts.key ?? `${n.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

export type PublicIpUsageType = "NET.IPASSIGN" | "NET.IPRELEASE";

/** A public address's billing fact, in the transaction that counts (acquire) or gives back (release) its `public_ips` limit. */
export async function recordPublicIpUsage(
  tx: DbOrTx,
  type: PublicIpUsageType,
  ip: { id: string; address: string; accountId: string; domainId: string; zoneId: string; networkId: string; isSourceNat: boolean },
  opts: { key?: string } = {},
) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: ip.accountId,
      domainId: ip.domainId,
      zoneId: ip.zoneId,
      resourceId: ip.id,
      resourceName: ip.address,
      details: { networkId: ip.networkId, sourceNat: ip.isSourceNat },
      idempotencyKey: opts.key ?? `${ip.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

export type NetworkRuleUsageType = "NET.RULEADD" | "NET.RULEDELETE" | "LB.CREATE" | "LB.DELETE";

/** A network rule's fact (CloudStack's NET.RULEADD/RULEDELETE; LB.CREATE/DELETE for load balancers), in the transaction that makes or drops it. */
export async function recordNetworkRuleUsage(
  tx: DbOrTx,
  type: NetworkRuleUsageType,
  r: {
    id: string;
    kind: string;
    networkId: string;
    publicIpId: string | null;
    protocol: string;
    startPort: number | null;
    endPort: number | null;
  },
  n: { accountId: string; domainId: string; zoneId: string },
  opts: { key?: string } = {},
) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: n.accountId,
      domainId: n.domainId,
      zoneId: n.zoneId,
      resourceId: r.id,
      resourceName: r.kind,
      details: { networkId: r.networkId, publicIpId: r.publicIpId, kind: r.kind, protocol: r.protocol, ports: [r.startPort, r.endPort] },
      idempotencyKey: opts.key ?? `${r.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

export type NetworkBytesUsageType = "NETWORK.BYTES.SENT" | "NETWORK.BYTES.RECEIVED";

/** One NIC's traffic since the last sample (CloudStack usage types 4 and 5), in bytes as the guest sees them. */
export interface NetworkBytesFact {
  type: NetworkBytesUsageType;
  bytes: number;
  nicId: string;
  networkId: string;
  vm: { id: string; name: string; accountId: string; domainId: string; zoneId: string };
  /** The sample's time: with the NIC it keys the fact, so a repeated cycle cannot record it twice. */
  at: Date;
}

/**
 * The metrics cycle's network traffic facts: one set-based insert for every NIC of the cycle (the
 * resource is the VM, the NIC and its network are in the details). Facts of zero bytes are not written.
 */
export async function recordNetworkBytes(tx: DbOrTx, facts: NetworkBytesFact[]) {
  const rows = facts
    .filter((f) => f.bytes > 0)
    .map((f) => ({
      type: f.type,
      accountId: f.vm.accountId,
      domainId: f.vm.domainId,
      zoneId: f.vm.zoneId,
      resourceId: f.vm.id,
      resourceName: f.vm.name,
      details: { bytes: f.bytes, nicId: f.nicId, networkId: f.networkId },
      occurredAt: f.at,
      idempotencyKey: `${f.nicId}:${f.type}:${f.at.toISOString()}`,
    }));
  if (rows.length === 0) return 0;
  await tx.insert(usageEvents).values(rows).onConflictDoNothing({ target: usageEvents.idempotencyKey });
  return rows.length;
}
