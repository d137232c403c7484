import { formatMemory } from "./instance-state";

export interface LimitUse {
  resourceType: string;
  max: number | null;
  used: number;
}

/** What is left of one limit (null: unlimited). */
export function remaining(limits: readonly LimitUse[] | undefined, type: string): number | null {
  const row = limits?.find((l) => l.resourceType === type);
  if (!row || row.max === null) return null;
  return Math.max(0, row.max - row.used);
}

/**
 * Does `count` VMs of this size fit the account's remaining limits? `current` is the size a VM
 * already holds (changing offering only needs the difference). The reason reads like
 * "needs 2 vCPUs, 1 left". Only the account's own limits are known here; the server also checks
 * every parent domain's.
 */
export function fits(
  limits: readonly LimitUse[] | undefined,
  size: { cpuCores: number; memoryMib: number },
  count = 1,
  current?: { cpuCores: number; memoryMib: number },
): { ok: true } | { ok: false; reason: string } {
  if (!limits) return { ok: true };
  const vms = remaining(limits, "instances");
  if (!current && vms !== null && vms < count) {
    return { ok: false, reason: vms === 0 ? "instance limit reached" : `needs ${count} instances, ${vms} left` };
  }
  const cpu = count * size.cpuCores - (current?.cpuCores ?? 0);
  const cpuLeft = remaining(limits, "vcpus");
  if (cpu > 0 && cpuLeft !== null && cpuLeft < cpu) {
    return { ok: false, reason: `needs ${cpu} vCPU${cpu === 1 ? "" : "s"}, ${cpuLeft} left` };
  }
  const mem = count * size.memoryMib - (current?.memoryMib ?? 0);
  const memLeft = remaining(limits, "memory_mib");
  if (mem > 0 && memLeft !== null && memLeft < mem) {
    return { ok: false, reason: `needs ${formatMemory(mem)} memory, ${formatMemory(memLeft)} left` };
  }
  return { ok: true };
}
