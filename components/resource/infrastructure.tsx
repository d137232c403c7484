"use client";
import { useQuery } from "@tanstack/react-query";
import type { ConfirmRequest } from "@/components/resource/confirm";
import type { RouterOutputs } from "@/components/resource/router-types";
import type { MenuAction } from "@/components/ui/row-menu";
import { useTRPC } from "@/lib/trpc/client";

/** What the infrastructure pages share: row types, labels, option lists, state actions. */

export type ZoneRow = RouterOutputs["zone"]["list"]["items"][number];
export type ZoneCapacity = RouterOutputs["zone"]["capacity"][number];
export type PodRow = RouterOutputs["pod"]["list"]["items"][number];
export type ClusterRow = RouterOutputs["cluster"]["list"]["items"][number];
export type HostRow = RouterOutputs["host"]["list"]["items"][number];
export type StoragePoolRow = RouterOutputs["storagePool"]["list"]["items"][number];
export type SecondaryStoreRow = RouterOutputs["secondaryStore"]["list"]["items"][number];

export const infraCrumb = { label: "Infrastructure", href: "/infrastructure/zones" };
export const hypervisorLabel: Record<string, string> = { simulator: "Simulator", kvm: "KVM" };
export const allocationLabel: Record<string, string> = { first_fit: "First fit", random: "Random", user_dispersing: "User dispersing" };
export const options = (labels: Record<string, string>, values: readonly string[]) =>
  values.map((v) => ({ value: v, label: labels[v] ?? v }));

/** Filters a page starts with, from links such as /infrastructure/hosts?clusterId=… */
export interface InitialFilter {
  zoneId?: string;
  podId?: string;
  clusterId?: string;
}

/** All zones, pods or clusters for selects and filters (infrastructure is small: one page of 200). */
const everything = { pageSize: 200, sort: "name" } as const;
export function useZoneOptions() {
  const trpc = useTRPC();
  return useQuery(trpc.zone.list.queryOptions(everything, { select: (p) => p.items }));
}
export function usePodOptions() {
  const trpc = useTRPC();
  return useQuery(trpc.pod.list.queryOptions(everything, { select: (p) => p.items }));
}
export function useClusterOptions() {
  const trpc = useTRPC();
  return useQuery(trpc.cluster.list.queryOptions(everything, { select: (p) => p.items }));
}

type State = "enabled" | "disabled" | "maintenance";

/**
 * Enable/Disable (and, for hosts and pools, maintenance) as row or page actions. Going into
 * maintenance asks first; leaving it is "Leave maintenance", not "Enable".
 */
export function stateActions(
  noun: string,
  row: { name: string; state: State },
  setState: (state: State) => Promise<unknown>,
  confirm: (r: ConfirmRequest) => void,
  { maintenance = false, maintenanceHint = "" }: { maintenance?: boolean; maintenanceHint?: string } = {},
): MenuAction[] {
  const run = (s: State) => () => void setState(s).catch(() => undefined);
  return [
    { label: "Enable", onSelect: run("enabled"), hidden: row.state !== "disabled" },
    { label: "Disable", onSelect: run("disabled"), hidden: row.state !== "enabled" },
    { label: "Leave maintenance", onSelect: run("enabled"), hidden: !maintenance || row.state !== "maintenance" },
    {
      label: "Enter maintenance",
      hidden: !maintenance || row.state === "maintenance",
      onSelect: () =>
        confirm({
          title: `Put ${noun} ${row.name} in maintenance?`,
          message: `The planner places nothing new on the ${noun} while it is in maintenance. ${maintenanceHint}`,
          confirmLabel: "Enter maintenance",
          run: () => setState("maintenance"),
        }),
    },
  ];
}

export const stateText: Record<State, string> = { enabled: "enabled", disabled: "disabled", maintenance: "in maintenance" };
