import { z } from "zod";
import { idSchema, nameSchema, tagsSchema } from "./common";

/**
 * Input schemas for zones, pods, clusters, hosts and storage (root admin). Client-safe: the forms
 * reuse them. Every message names its field, so it reads well beside the input and in API errors.
 */

export const hypervisorTypes = ["simulator", "kvm"] as const;
export const allocationAlgorithms = ["first_fit", "random", "user_dispersing"] as const;
export const storagePoolTypes = ["simulator", "local_dir"] as const;
export const allocationStates = ["enabled", "disabled"] as const;
export const hostStates = ["enabled", "disabled", "maintenance"] as const;

export const hypervisorTypeSchema = z.enum(hypervisorTypes, { error: "Hypervisor type must be simulator or kvm" });
export const allocationAlgorithmSchema = z.enum(allocationAlgorithms, {
  error: "Allocation algorithm must be first_fit, random or user_dispersing",
});
export const storagePoolTypeSchema = z.enum(storagePoolTypes, { error: "Storage type must be simulator or local_dir" });

export type HypervisorType = (typeof hypervisorTypes)[number];

/** A whole number > 0 up to `max`, with messages naming the field (NaN from an empty number input included). */
const positiveInt = (label: string, max: number) =>
  z
    .number({ error: `${label} must be a number` })
    .int({ error: `${label} must be a whole number` })
    .positive({ error: `${label} must be greater than 0` })
    .max(max, { error: `${label} must be at most ${max.toLocaleString("en-US")}` });

/** Over-provisioning factor: a number from 1 to 10 with at most two decimals. */
const overcommit = (label: string) =>
  z
    .number({ error: `${label} must be a number` })
    .min(1, { error: `${label} must be between 1 and 10` })
    .max(10, { error: `${label} must be between 1 and 10` })
    .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, { error: `${label} can have at most two decimals` });

const description = z.string().trim().max(255, { error: "Description must be at most 255 characters" });

/** Something a driver can reach: no spaces or control characters. */
const locator = (label: string) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, { error: `${label} is required` })
    .max(255, { error: `${label} must be at most 255 characters` })
    .regex(/^[^\s\u0000-\u001f]+$/, { error: `${label} cannot contain spaces or control characters` });

const tagsEdit = tagsSchema.unwrap();

/** A KVM host is reached through libvirt: its address must be a libvirt URI. Null when valid. */
export function hostAddressProblem(hypervisorType: HypervisorType, address: string): string | null {
  if (hypervisorType === "kvm" && !/^qemu(\+[a-z]+)?:\/\/[^\s?]*\/system(\?\S*)?$/.test(address)) {
    return "Address of a KVM host must be a libvirt URI such as qemu+ssh://root@10.0.0.5/system or qemu:///system";
  }
  return null;
}

/** A local directory pool needs an absolute path without "..". Null when valid. */
export function poolPathProblem(type: (typeof storagePoolTypes)[number], path: string): string | null {
  if (type === "local_dir" && (!path.startsWith("/") || path.split("/").includes(".."))) {
    return 'Path of a local directory pool must be an absolute path without ".." (e.g. /var/lib/stratus/pool1)';
  }
  return null;
}

// Zones

export const createZoneInput = z.object({
  name: nameSchema,
  description: description.optional(),
  allocationAlgorithm: allocationAlgorithmSchema.default("first_fit"),
});
export const updateZoneInput = z.object({
  id: idSchema,
  name: nameSchema.optional(),
  /** An empty string (or null) clears the description. */
  description: description.nullish(),
  allocationAlgorithm: allocationAlgorithmSchema.optional(),
});
export const setZoneStateInput = z.object({ id: idSchema, state: z.enum(allocationStates, { error: "State must be enabled or disabled" }) });

// Pods

export const createPodInput = z.object({ zoneId: idSchema, name: nameSchema });
export const updatePodInput = z.object({ id: idSchema, name: nameSchema.optional() });
export const setPodStateInput = setZoneStateInput;

// Clusters

export const createClusterInput = z.object({
  podId: idSchema,
  name: nameSchema,
  hypervisorType: hypervisorTypeSchema,
  cpuOvercommit: overcommit("CPU over-provisioning factor").default(1),
  memoryOvercommit: overcommit("Memory over-provisioning factor").default(1),
});
export const updateClusterInput = z.object({
  id: idSchema,
  name: nameSchema.optional(),
  cpuOvercommit: overcommit("CPU over-provisioning factor").optional(),
  memoryOvercommit: overcommit("Memory over-provisioning factor").optional(),
});
export const setClusterStateInput = setZoneStateInput;

// Hosts

const hostFields = {
  name: nameSchema,
  address: locator("Address"),
  cpuCores: positiveInt("CPU cores", 4096),
  cpuMhz: positiveInt("CPU MHz", 100_000),
  memoryMib: positiveInt("Memory (MiB)", 1_073_741_824),
};
/** libvirt domain type override of a KVM host: null = automatic (kvm when acceleration works, else qemu). */
export const domainTypeSchema = z.enum(["kvm", "qemu"], { error: "Domain type must be kvm or qemu" }).nullable();
export const createHostInput = z
  .object({ clusterId: idSchema, hypervisorType: hypervisorTypeSchema, ...hostFields, tags: tagsSchema, domainType: domainTypeSchema.optional() })
  .superRefine((v, ctx) => {
    const problem = hostAddressProblem(v.hypervisorType, v.address);
    if (problem) ctx.addIssue({ code: "custom", path: ["address"], message: problem });
  });
export const updateHostInput = z.object({
  id: idSchema,
  name: hostFields.name.optional(),
  address: hostFields.address.optional(),
  cpuCores: hostFields.cpuCores.optional(),
  cpuMhz: hostFields.cpuMhz.optional(),
  memoryMib: hostFields.memoryMib.optional(),
  tags: tagsEdit.optional(),
  domainType: domainTypeSchema.optional(),
});
export const setHostStateInput = z.object({
  id: idSchema,
  state: z.enum(hostStates, { error: "State must be enabled, disabled or maintenance" }),
});

// Primary storage pools

const capacityGib = positiveInt("Capacity (GiB)", 1_000_000_000);
export const createStoragePoolInput = z
  .object({
    zoneId: idSchema,
    /** Null or absent: zone-wide. */
    clusterId: idSchema.nullish(),
    name: nameSchema,
    type: storagePoolTypeSchema,
    path: locator("Path"),
    capacityGib,
    tags: tagsSchema,
  })
  .superRefine((v, ctx) => {
    const problem = poolPathProblem(v.type, v.path);
    if (problem) ctx.addIssue({ code: "custom", path: ["path"], message: problem });
  });
export const updateStoragePoolInput = z.object({
  id: idSchema,
  name: nameSchema.optional(),
  path: locator("Path").optional(),
  capacityGib: capacityGib.optional(),
  tags: tagsEdit.optional(),
});
export const setStoragePoolStateInput = setHostStateInput;

// Secondary storage

export const createSecondaryStoreInput = z.object({ zoneId: idSchema, name: nameSchema, path: locator("Path"), capacityGib });
export const updateSecondaryStoreInput = z.object({
  id: idSchema,
  name: nameSchema.optional(),
  path: locator("Path").optional(),
  capacityGib: capacityGib.optional(),
});

export const infraIdInput = z.object({ id: idSchema });

/** Comma- or space-separated tags as typed in a form, parsed into the tags array. */
export const tagsTextSchema = z
  .string()
  .transform((s) => [...new Set(s.split(/[\s,]+/).filter(Boolean))])
  .pipe(tagsSchema.unwrap());

export type CreateZoneInput = z.infer<typeof createZoneInput>;
export type UpdateZoneInput = z.infer<typeof updateZoneInput>;
export type CreatePodInput = z.infer<typeof createPodInput>;
export type UpdatePodInput = z.infer<typeof updatePodInput>;
export type CreateClusterInput = z.infer<typeof createClusterInput>;
export type UpdateClusterInput = z.infer<typeof updateClusterInput>;
export type CreateHostInput = z.infer<typeof createHostInput>;
export type UpdateHostInput = z.infer<typeof updateHostInput>;
export type CreateStoragePoolInput = z.infer<typeof createStoragePoolInput>;
export type UpdateStoragePoolInput = z.infer<typeof updateStoragePoolInput>;
export type CreateSecondaryStoreInput = z.infer<typeof createSecondaryStoreInput>;
export type UpdateSecondaryStoreInput = z.infer<typeof updateSecondaryStoreInput>;
export type AllocationState = (typeof allocationStates)[number];
export type HostState = (typeof hostStates)[number];
