"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { type ActionTarget, InstanceActionDialog, operationLabel, whyNot } from "@/components/resource/instance-actions";
import { formatSize, InstanceStateBadge, transitionalStates, type VmOperation } from "@/components/resource/instance-state";
import { toastJob } from "@/components/resource/toast";
import { Button } from "@/components/ui/button";
import { useTRPC } from "@/lib/trpc/client";
import { QueryCard } from "./query-card";

const quick: VmOperation[] = ["start", "stop"];

/** The few most recent VMs with Start and Stop, through the instance page's own action dialog. */
export function RecentInstancesCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The live stream refreshes the card when states change; without it, a VM in transition is looked at again after 30 s.
  const q = useQuery(
    trpc.dashboard.recentInstances.queryOptions(undefined, {
      refetchInterval: (query) => (query.state.data?.some((r) => r.activeJob || transitionalStates.includes(r.state)) ? 30_000 : false),
    }),
  );
  const [pending, setPending] = useState<{ target: ActionTarget; action: VmOperation } | null>(null);
  return (
    <>
      <QueryCard
        title="Recent instances"
        href="/instances"
        query={q}
        testId="card-recent-instances"
        isEmpty={(r) => r.length === 0}
        empty={{ title: "No instances yet", hint: "Deploy one from the Instances page." }}
      >
        {(rows) => (
          <ul className="divide-y divide-slate-100 text-sm">
            {rows.map((vm) => (
              <li key={vm.id} className="space-y-1 px-4 py-2" data-testid="recent-instance">
                <div className="flex items-center justify-between gap-2">
                  <Link href={`/instances/${vm.id}`} className="min-w-0 truncate font-medium text-brand-700 hover:underline">
                    {vm.name}
                  </Link>
                  <InstanceStateBadge state={vm.state} />
                </div>
                <div className="flex items-center justify-between gap-2">
                  <span className="text-xs text-slate-500">{formatSize(vm.cpuCores, vm.memoryMib)}</span>
                  <div className="flex gap-1.5">
                    {quick.map((op) => (
                      <Button
                        key={op}
                        size="sm"
                        variant="secondary"
                        disabled={whyNot(op, vm) !== null}
                        title={whyNot(op, vm) ?? undefined}
                        aria-label={`${operationLabel[op]} ${vm.name}`}
                        onClick={() => setPending({ target: { id: vm.id, name: vm.name }, action: op })}
                      >
                        {operationLabel[op]}
                      </Button>
                    ))}
                  </div>
                </div>
              </li>
            ))}
          </ul>
        )}
      </QueryCard>
      <InstanceActionDialog
        target={pending?.target ?? null}
        action={pending?.action ?? null}
        onClose={() => setPending(null)}
        onStarted={(jobId) => {
          toastJob(jobId, pending?.target.name ?? "instance");
          void queryClient.invalidateQueries({ queryKey: trpc.dashboard.pathKey() });
        }}
      />
    </>
  );
}
