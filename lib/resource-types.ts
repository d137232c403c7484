/** The resource types that limits count, shared by the schema, services and UI. */
export const resourceTypes = [
  "instances",
  "vcpus",
  "memory_mib",
  "volumes",
  "primary_storage_gib",
  "snapshots",
  "templates",
  "secondary_storage_gib",
  "public_ips",
  "networks",
] as const;
export type ResourceType = (typeof resourceTypes)[number];

export const resourceLabels: Record<ResourceType, string> = {
  instances: "Instances",
  vcpus: "vCPUs",
  memory_mib: "Memory (MiB)",
  volumes: "Volumes",
  primary_storage_gib: "Primary storage (GiB)",
  snapshots: "Snapshots",
  templates: "Templates",
  secondary_storage_gib: "Secondary storage (GiB)",
  public_ips: "Public IPs",
  networks: "Networks",
};

/**
 * The types something consumes today (deploys, offering changes and destroys move their counters).
 * A limit on any other type is stored but nothing counts against it yet, so the UI does not offer
 * it. Add a type here when its service starts calling `consume`/`release`.
 */
export const meteredResourceTypes: readonly ResourceType[] = [
  "instances",
  "vcpus",
  "memory_mib",
  "volumes",
  "primary_storage_gib",
  "snapshots",
  "templates",
  "secondary_storage_gib",
  "networks",
  "public_ips",
];

/** Stratus's built-in limits of a new user account (CloudStack-like); other account types and domains start unlimited. */
export const defaultAccountLimits: Record<ResourceType, number> = {
  instances: 20,
  vcpus: 40,
  memory_mib: 81920,
  volumes: 20,
  primary_storage_gib: 400,
  snapshots: 20,
  templates: 20,
  secondary_storage_gib: 400,
  public_ips: 20,
  networks: 20,
};

/** How people enter and read a limit: memory in GiB although it is stored in MiB. */
export const limitUnits: Partial<Record<ResourceType, { label: string; unit: string; perUnit: number }>> = {
  memory_mib: { label: "Memory (GiB)", unit: "GiB", perUnit: 1024 },
};
