/**
 * The usage types: which facts open and close an interval of use, what is measured, and which
 * dimensions keep records apart. A new fact type (a rule, a load balancer) is one more entry here;
 * the aggregation (aggregate.ts) turns every entry into the same set-based SQL.
 *
 * The SQL expressions are constants of this file (never user input) over the fact `f`
 * (usage_events) and `co`, the compute offering named by the fact (left joined).
 */
export interface IntervalUsageType {
  kind?: "interval";
  /** CloudStack's usage type number (kept for the compatible API) and its name. */
  usageType: number;
  name: string;
  /** The unit of `quantity`: `size` × hours. */
  unit: "hours" | "GiB-hours";
  /** Facts that start the interval (the resource begins to count). */
  opens: readonly string[];
  /** Facts that end it. */
  closes: readonly string[];
  /** Facts that end the current interval and begin another with new dimensions, if one is open (resize, upgrade). */
  changes?: readonly string[];
  /** SQL: how much of the unit the resource is (1 for a VM or an address, GiB for storage), exact numeric. */
  size: string;
  /** SQL per dimension kept on the record (and part of its key). */
  dimensions?: Readonly<Record<string, string>>;
  /** SQL: which of the named facts belong to the type, when a fact type stands for several things (NET.RULEADD's rule kinds). */
  where?: string;
}

/**
 * A counter (network bytes sent or received): each fact carries an amount, summed per resource and
 * hour of `occurred_at`. Records have `seconds` 0 and `size` = `quantity` = the sum.
 */
export interface SumUsageType {
  kind: "sum";
  usageType: number;
  name: string;
  unit: "bytes";
  facts: readonly string[];
  /** SQL: the fact's amount, exact numeric. */
  amount: string;
  dimensions?: Readonly<Record<string, string>>;
}

export type UsageTypeDefinition = IntervalUsageType | SumUsageType;

/** Bytes as exact GiB (2^30 divides exactly in 30 decimals; trailing zeros trimmed). */
const gibOfBytes = (expr: string) => `trim_scale(coalesce((${expr})::numeric(60, 30), 0) / 1073741824)`;
const vmDimensions = { cpuCores: "co.cpu_cores", cpuMhz: "co.cpu_mhz", memoryMib: "co.memory_mib" };

export const usageTypes: readonly UsageTypeDefinition[] = [
  {
    usageType: 1,
    name: "RUNNING_VM",
    unit: "hours",
    opens: ["VM.START"],
    closes: ["VM.STOP", "VM.DESTROY", "VM.EXPUNGE"],
    changes: ["VM.UPGRADE"],
    size: "1",
    dimensions: vmDimensions,
  },
  {
    usageType: 2,
    name: "ALLOCATED_VM",
    unit: "hours",
    opens: ["VM.CREATE"],
    closes: ["VM.DESTROY", "VM.EXPUNGE"],
    changes: ["VM.UPGRADE"],
    size: "1",
    dimensions: vmDimensions,
  },
  {
    usageType: 3,
    name: "IP_ADDRESS",
    unit: "hours",
    opens: ["NET.IPASSIGN"],
    closes: ["NET.IPRELEASE"],
    size: "1",
    dimensions: { sourceNat: "coalesce((f.details->>'sourceNat')::boolean, false)" },
  },
  {
    kind: "sum",
    usageType: 4,
    name: "NETWORK_BYTES_SENT",
    unit: "bytes",
    facts: ["NETWORK.BYTES.SENT"],
    amount: "(f.details->>'bytes')::numeric",
  },
  {
    kind: "sum",
    usageType: 5,
    name: "NETWORK_BYTES_RECEIVED",
    unit: "bytes",
    facts: ["NETWORK.BYTES.RECEIVED"],
    amount: "(f.details->>'bytes')::numeric",
  },
  {
    usageType: 6,
    name: "VOLUME",
    unit: "GiB-hours",
    opens: ["VOLUME.CREATE"],
    closes: ["VOLUME.DELETE"],
    changes: ["VOLUME.RESIZE"],
    size: "coalesce(f.details->>'toGib', f.details->>'sizeGib')::numeric",
    dimensions: { volumeType: "f.details->>'volumeType'" },
  },
  {
    usageType: 7,
    name: "TEMPLATE",
    unit: "GiB-hours",
    opens: ["TEMPLATE.CREATE"],
    closes: ["TEMPLATE.DELETE"],
    size: gibOfBytes("f.details->>'sizeBytes'"),
  },
  {
    usageType: 8,
    name: "ISO",
    unit: "GiB-hours",
    opens: ["ISO.CREATE"],
    closes: ["ISO.DELETE"],
    size: gibOfBytes("f.details->>'sizeBytes'"),
  },
  {
    usageType: 9,
    name: "SNAPSHOT",
    unit: "GiB-hours",
    opens: ["SNAPSHOT.CREATE"],
    closes: ["SNAPSHOT.DELETE"],
    // Physical bytes on the secondary store (an incremental snapshot bills its delta).
    size: gibOfBytes("coalesce(f.details->>'sizeBytes', f.details->>'volumeSizeBytes')"),
    dimensions: { volumeId: "f.details->>'volumeId'" },
  },
  {
    usageType: 11,
    name: "LOAD_BALANCER_POLICY",
    unit: "hours",
    opens: ["LB.CREATE"],
    closes: ["LB.DELETE"],
    size: "1",
  },
  {
    // NET.RULEADD also stands for firewall, egress and static-NAT rules (as in CloudStack's events): the fact's kind tells them apart.
    usageType: 12,
    name: "PORT_FORWARDING_RULE",
    unit: "hours",
    opens: ["NET.RULEADD"],
    closes: ["NET.RULEDELETE"],
    size: "1",
    where: "f.details->>'kind' = 'port_forward'",
  },
  {
    usageType: 13,
    name: "NETWORK_OFFERING",
    unit: "hours",
    opens: ["NETWORK.CREATE"],
    closes: ["NETWORK.DELETE"],
    size: "1",
  },
  {
    usageType: 25,
    name: "VM_SNAPSHOT",
    unit: "GiB-hours",
    opens: ["VMSNAPSHOT.CREATE"],
    closes: ["VMSNAPSHOT.DELETE"],
    size: gibOfBytes("f.details->>'sizeBytes'"),
    dimensions: { instanceId: "f.details->>'instanceId'", snapshotType: "f.details->>'snapshotType'" },
  },
];
