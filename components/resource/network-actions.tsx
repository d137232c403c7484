"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useConfirm } from "@/components/resource/confirm";
import type { RouterOutputs } from "@/components/resource/router-types";
import { toastJob } from "@/components/resource/toast";
import type { MenuAction } from "@/components/ui/row-menu";
import { Badge, type Tone } from "@/components/ui/badge";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import type { NetworkState } from "@/lib/validation/networks";

export type NetworkRow = RouterOutputs["network"]["list"]["items"][number];

const tones: Record<NetworkState, Tone> = { allocated: "gray", implemented: "green", shutdown: "amber", destroying: "red" };
const labels: Record<NetworkState, string> = {
  allocated: "Allocated",
  implemented: "Implemented",
  shutdown: "Shut down",
  destroying: "Deleting",
};

export function NetworkStateBadge({ state, testId }: { state: NetworkState; testId?: string }) {
  return (
    <span data-testid={testId}>
      <Badge tone={tones[state]}>{labels[state]}</Badge>
    </span>
  );
}

/** Why an action is not possible now (the server checks again). */
export function whyNotNetwork(op: "restart" | "delete", n: { state: NetworkState; nicCount?: number; activeJob: unknown }) {
  if (n.activeJob) return "Another operation is in progress";
  if (n.state === "destroying") return "It is being deleted";
  if (op === "restart" && n.state !== "implemented") return "Only a network an instance uses (implemented) can be restarted";
  if (op === "delete" && (n.nicCount ?? 0) > 0) return "Instances still have NICs on it; expunge them or remove their NICs first";
  return null;
}

/** Restart and delete, with confirmation; the jobs are followed by toasts. */
export function useNetworkActions(opts: { onDeleted?: () => void } = {}) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const confirm = useConfirm();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.network.pathKey() });
  const restart = (n: { id: string; name: string }) =>
    confirm.ask({
      title: `Restart network ${n.name}?`,
      message: "Its router, DHCP leases and rules are applied again on every host it uses. Instances keep running.",
      confirmLabel: "Restart",
      run: async () => {
        const r = await client.network.restart.mutate({ id: n.id });
        toastJob(r.jobId, `network ${n.name}`);
        await refresh();
      },
    });
  const remove = (n: { id: string; name: string }) =>
    confirm.ask({
      title: `Delete network ${n.name}?`,
      message: "It is removed from its hosts; its VLAN and its place in your networks limit are given back.",
      confirmLabel: "Delete",
      danger: true,
      run: async () => {
        const r = await client.network.delete.mutate({ id: n.id });
        toastJob(r.jobId, `network ${n.name}`);
        await refresh();
        opts.onDeleted?.();
      },
    });
  const menu = (n: NetworkRow): MenuAction[] => [
    { label: "Restart", onSelect: () => restart(n), disabled: whyNotNetwork("restart", n) },
    { label: "Delete", onSelect: () => remove(n), danger: true, disabled: whyNotNetwork("delete", n) },
  ];
  return { restart, remove, menu, dialogs: confirm.dialog };
}
