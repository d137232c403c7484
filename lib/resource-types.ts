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
