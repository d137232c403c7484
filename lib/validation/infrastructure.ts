import { z } from "zod";
import { idSchema, nameSchema, printable, tagsSchema } from "./common";

/**
 * Input schemas for zones, pods, clusters, hosts and storage (root admin). Client-safe: the forms
 * reuse them. Every message names its field, so it reads well beside the input and in API errors.
 */

export const hypervisorTypes = ["simulator", "kvm"] as const;
export const allocationAlgorithms = ["first_fit", "random", "user_dispersing"] as const;
export const storagePoolTypes = ["simulator", "local_dir"] as const;
export const allocationStates = ["enabled", "disabled"] as const;
export const hostStates = ["enabled", "disabled", "maintenance"] as const;
/** Whether a host answers (the reconciler's view), as opposed to its admin state. */
export const hostStatuses = ["up", "disconnected", "down"] as const;
export type HostStatus = (typeof hostStatuses)[number];

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

const description = printable("Description", 255);

/** Something a driver can reach: no spaces or control characters. */
const locator = (label: string) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, { error: `${label} is required` })
    .max(255, { error: `${label} must be at most 255 characters` })
    .regex(/^[^\s\u0000-\u001f]+$/, { error: `${label} cannot contain spaces or control characters` });

const tagsEdit = tagsSchema.unwrap();

/**
 * libvirt connection URIs a KVM host may have. Only three shapes are allowed, because libvirt's
 * other transports and query parameters let an address run programs or dial anything:
 * `qemu+ext` and `?command=` spawn an arbitrary program as the server's user, `?socket=`,
 * `qemu+unix` and `qemu+tcp` open arbitrary sockets and ports and echo the error back, `?netcat=`
 * and `?proxy=` pick the remote helper. What is left:
 *   qemu:///system                                      this machine's libvirtd
 *   qemu+ssh://user@host[:port]/system[?keyfile=…&known_hosts=…&no_tty=1]
 *   qemu+tls://host[:port]/system                       (certificates from libvirt's default pki paths)
 * `keyfile` and `known_hosts` must be files in the configured STRATUS_LIBVIRT_KEY_DIR (checked by
 * the server, which knows the directory: pass it as `keyDir`; the form checks the shape only).
 * Null when valid. The service checks this before any connection, and the libvirt driver again
 * before it hands the URI to virsh.
 */
export function libvirtUriProblem(uri: string, keyDir?: string | null): string | null {
  const bad = (why: string) => `Address ${why}; use qemu:///system, qemu+ssh://user@host[:port]/system or qemu+tls://host[:port]/system`;
  if (uri === "qemu:///system") return null;
  const m = /^qemu\+(ssh|tls):\/\/(?:([^@/?#]*)@)?([^/?#]*)\/system(?:\?([^#]*))?$/.exec(uri);
  if (!m) return bad("must be a libvirt URI of an allowed kind");
  const [, transport, user, hostPort = "", query] = m;
  const hp = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!hp) return bad("must name a host (a DNS name or an IP address, optionally with :port)");
  if (hp[2] !== undefined && (Number(hp[2]) < 1 || Number(hp[2]) > 65535)) return bad("has a port outside 1-65535");
  if (transport === "ssh") {
    // The user goes to ssh as an argument: a name, never something ssh could read as an option.
    if (user === undefined || !/^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,31}$/.test(user)) return bad("of an ssh host must name the user (user@host)");
  } else if (user !== undefined) {
    return bad("of a TLS host cannot contain a user");
  }
  if (query === undefined) return null;
  if (transport !== "ssh") return bad("of a TLS host cannot have query parameters");
  const seen = new Set<string>();
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    let value: string;
    try {
      value = decodeURIComponent(eq < 0 ? "" : pair.slice(eq + 1));
    } catch {
      return bad("has a badly encoded query parameter");
    }
    if (seen.has(key)) return bad(`repeats the parameter ${key}`);
    seen.add(key);
    if (key === "no_tty") {
      if (value !== "1") return bad("may only set no_tty=1");
    } else if (key === "keyfile" || key === "known_hosts") {
      const problem = keyFileProblem(value, keyDir);
      if (problem) return bad(`parameter ${key} ${problem}`);
    } else {
      return bad(`cannot have the parameter ${JSON.stringify(key.slice(0, 32))} (only keyfile, known_hosts and no_tty are allowed)`);
    }
  }
  return null;
}

/** A key or known_hosts file: an absolute, normalised path, inside `keyDir` when the server knows it. */
function keyFileProblem(file: string, keyDir: string | null | undefined): string | null {
  if (absolutePathProblem(file)) return 'must be an absolute path without "..", "." or "//"';
  if (keyDir === undefined) return null;
  if (!keyDir) return "is not allowed: no STRATUS_LIBVIRT_KEY_DIR is configured";
  const dir = keyDir.replace(/\/+$/, "");
  if (!file.startsWith(dir + "/") || file.slice(dir.length + 1).includes("/")) return `must be a file directly in ${dir}`;
  return null;
}

/** A KVM host is reached through libvirt: its address must be an allowed libvirt URI. Null when valid. */
export function hostAddressProblem(hypervisorType: HypervisorType, address: string, keyDir?: string | null): string | null {
  return hypervisorType === "kvm" ? libvirtUriProblem(address, keyDir) : null;
}

/** Why `p` is not an absolute, normalised path (no "", ".", ".." segments, no trailing "/"), or null. */
function absolutePathProblem(p: string): string | null {
  if (!p.startsWith("/")) return "must be an absolute path";
  if (p.length > 1 && p.endsWith("/")) return "must not end with /";
  if (/[\u0000-\u001f\u007f\\]/.test(p)) return "cannot contain control characters or backslashes";
  const segments = p.split("/").slice(1);
  if (segments.some((s) => s === "" || s === "." || s === "..")) return 'must be normalised (no "..", "." or "//")';
  return null;
}

/**
 * Directories a storage path may never be or lie in: the root, the system's own trees, and the
 * parents everything shares. Storage writes and deletes files under its path, so one of these
 * would let Stratus overwrite the system.
 */
const SYSTEM_TREES = [
  "/etc",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/usr",
  "/boot",
  "/dev",
  "/proc",
  "/sys",
  "/run",
  "/root",
  "/var/run",
  "/var/log",
  "/var/lib/dpkg",
  "/var/lib/apt",
];
const SHARED_PARENTS = ["/", "/home", "/var", "/var/lib", "/tmp", "/var/tmp", "/mnt", "/media", "/srv", "/opt"];

/** Why `p` is not a usable storage directory, or null (it must be absolute, normalised and not a system directory). */
export function storageDirProblem(p: string): string | null {
  const shape = absolutePathProblem(p);
  if (shape) return shape;
  if (SHARED_PARENTS.includes(p)) return `cannot be ${p} itself; use a directory of its own such as /var/lib/stratus/pool1`;
  const tree = SYSTEM_TREES.find((t) => p === t || p.startsWith(t + "/"));
  if (tree) return `cannot be in the system directory ${tree}`;
  return null;
}

/**
 * Where storage lives, by kind: a local directory pool is an absolute directory; a simulator pool
 * is `sim://name` (or a directory, checked the same way); a secondary store is a directory,
 * `nfs://server/export` or `sim://name`. Null when valid.
 */
export function storagePathProblem(kind: (typeof storagePoolTypes)[number] | "secondary", p: string): string | null {
  const sim = /^sim:\/\/([a-zA-Z0-9_-][a-zA-Z0-9._-]*)(\/[a-zA-Z0-9_-][a-zA-Z0-9._-]*)*$/;
  const nfs = /^nfs:\/\/[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::\d{1,5})?(\/.*)$/;
  if (kind !== "local_dir" && p.startsWith("sim://")) {
    return sim.test(p) && !p.split("/").some((s) => s === "..")
      ? null
      : "Path of a simulated store must look like sim://name (letters, digits, '.', '_', '-')";
  }
  if (kind === "secondary" && p.startsWith("nfs://")) {
    const m = nfs.exec(p);
    const problem = m ? storageDirProblem(m[1]!) : "must look like nfs://server/export";
    return problem ? `Path of an NFS export ${problem}` : null;
  }
  const problem = storageDirProblem(p);
  if (!problem) return null;
  const what = kind === "local_dir" ? "a local directory pool" : kind === "simulator" ? "a simulator pool" : "a secondary store";
  return `Path of ${what} ${problem} (e.g. /var/lib/stratus/pool1${kind === "local_dir" ? "" : " or sim://name"})`;
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
export const setZoneStateInput = z.object({
  id: idSchema,
  state: z.enum(allocationStates, { error: "State must be enabled or disabled" }),
});

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
  .object({
    clusterId: idSchema,
    hypervisorType: hypervisorTypeSchema,
    ...hostFields,
    tags: tagsSchema,
    domainType: domainTypeSchema.optional(),
  })
  .superRefine((v, ctx) => {
    const problem = hostAddressProblem(v.hypervisorType, v.address);
    if (problem) ctx.addIssue({ code: "custom", path: ["address"], message: problem });
  });
export const updateHostInput = z.object({
  id: idSchema,
  name: hostFields.name.optional(),
  /** The host's type is not in the input: any URI but a simulator's sim:// is held to the libvirt rule here; the service checks by type. */
  address: hostFields.address
    .superRefine((a, ctx) => {
      const problem = /^[a-z][a-z0-9+.-]*:/i.test(a) && !a.startsWith("sim://") ? libvirtUriProblem(a) : null;
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
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
    /** Thin provisioning: volumes may be allocated up to capacity × this factor. */
    overprovisioning: overcommit("Storage over-provisioning factor").default(1),
    tags: tagsSchema,
  })
  .superRefine((v, ctx) => {
    const problem = storagePathProblem(v.type, v.path);
    if (problem) ctx.addIssue({ code: "custom", path: ["path"], message: problem });
  });
export const updateStoragePoolInput = z.object({
  id: idSchema,
  name: nameSchema.optional(),
  path: locator("Path").optional(),
  capacityGib: capacityGib.optional(),
  overprovisioning: overcommit("Storage over-provisioning factor").optional(),
  tags: tagsEdit.optional(),
});
export const setStoragePoolStateInput = setHostStateInput;

// Secondary storage

const secondaryPath = locator("Path").superRefine((p, ctx) => {
  const problem = storagePathProblem("secondary", p);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
export const createSecondaryStoreInput = z.object({ zoneId: idSchema, name: nameSchema, path: secondaryPath, capacityGib });
export const updateSecondaryStoreInput = z.object({
  id: idSchema,
  name: nameSchema.optional(),
  path: secondaryPath.optional(),
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
