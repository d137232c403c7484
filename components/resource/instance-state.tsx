"use client";
import { formatMib } from "@/components/resource/format";
import { Badge, type Tone } from "@/components/ui/badge";
import { Spinner } from "@/components/ui/states";
import { operationAllowed, operations, stateLabel, transitionalStates, vmStates, type VmOperation, type VmState } from "@/lib/vm-state";

export { operations, stateLabel, transitionalStates, vmStates, type VmOperation, type VmState };

const tones: Record<VmState, Tone> = {
  allocated: "gray",
  starting: "blue",
  running: "green",
  stopping: "blue",
  stopped: "gray",
  migrating: "blue",
  error: "red",
  unknown: "amber",
  destroyed: "red",
  expunging: "red",
  expunged: "gray",
};

/** May `op` start from this state? (The server checks again; this only enables buttons.) */
export const canOperate = operationAllowed;

/** A VM's state as a coloured badge; a spinner in transitional states. */
export function InstanceStateBadge({ state, testId }: { state: VmState; testId?: string }) {
  return (
    <Badge tone={tones[state]} className="gap-1 whitespace-nowrap">
      {transitionalStates.includes(state) && <Spinner className="size-3" />}
      <span data-testid={testId}>{stateLabel(state)}</span>
    </Badge>
  );
}

/** "2 vCPUs · 4 GiB" for cores and MiB. */
export function formatSize(cpuCores: number, memoryMib: number): string {
  return `${cpuCores} vCPU${cpuCores === 1 ? "" : "s"} · ${formatMemory(memoryMib)}`;
}

/** Memory of a VM or offering: the one memory format of the portal. */
export const formatMemory = formatMib;
