"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { errorMessage } from "@/components/resource/router-types";
import { toastJob } from "@/components/resource/toast";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ConfirmDialog, Dialog, useOpeningState } from "@/components/ui/dialog";
import { Checkbox } from "@/components/ui/field";
import { ErrorState, Loading } from "@/components/ui/states";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import type { MenuAction } from "@/components/ui/row-menu";
import { fits } from "./instance-fit";
import { canOperate, formatSize, type VmOperation, type VmState } from "./instance-state";

export interface ActionTarget {
  id: string;
  name: string;
  /** Needed for change offering only. */
  computeOfferingId?: string;
  cpuCores?: number;
  memoryMib?: number;
}

/** Verb of each operation, as its button says it. */
export const operationLabel: Record<VmOperation, string> = {
  start: "Start",
  stop: "Stop",
  reboot: "Reboot",
  destroy: "Destroy",
  recover: "Recover",
  expunge: "Expunge",
  changeOffering: "Change offering",
};

/** Why an operation is not possible on this instance now, or null when it is. */
export function whyNot(op: VmOperation, vm: { state: VmState; activeJob: unknown }): string | null {
  if (vm.activeJob) return "Wait for the job in progress to finish";
  if (canOperate(op, vm.state)) return null;
  return `Not possible while the instance is ${vm.state}${op === "changeOffering" ? "; stop it first" : ""}`;
}

/** The operations of an instance's page, in its order: the row menu offers the same ones. */
export const pageOperations: VmOperation[] = ["start", "stop", "reboot", "changeOffering", "destroy", "recover", "expunge"];

/** An instance's actions as a row menu: the same as on its page, disabled with the reason. */
export function instanceMenu(
  vm: { id: string; state: VmState; activeJob: unknown },
  onAction: (op: VmOperation) => void,
  openConsole: () => void,
): MenuAction[] {
  const ops = pageOperations.map((op) => ({
    label: operationLabel[op],
    danger: op === "destroy" || op === "expunge",
    disabled: whyNot(op, vm),
    onSelect: () => onAction(op),
  }));
  return [
    ...ops.slice(0, 3),
    { label: "Console", disabled: vm.state === "running" ? null : "Only while the instance is running", onSelect: openConsole },
    ...ops.slice(3),
  ];
}

/**
 * Asks before one operation on one instance, runs it, and reports the job it started through
 * `onStarted` (the caller follows it). Every operation confirms; destroy and expunge say what they
 * mean for the VM's future.
 */
export function InstanceActionDialog({
  target,
  action,
  onClose,
  onStarted,
}: {
  target: ActionTarget | null;
  action: VmOperation | null;
  onClose: () => void;
  onStarted?: (jobId: string, action: VmOperation) => void;
}) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const open = target !== null && action !== null;
  // A fresh dialog each time it opens, or opens for another action or instance.
  const opening = open ? `${action}:${target.id}` : null;
  const [force, setForce] = useOpeningState(opening, false);
  const [offeringId, setOfferingId] = useOpeningState<string | null>(opening, null);

  const run = useMutation({
    mutationFn: async (): Promise<{ jobId: string }> => {
      if (!target || !action) throw new Error("Nothing to do");
      const id = target.id;
      switch (action) {
        case "start":
          return client.instance.start.mutate({ id });
        case "stop":
          return client.instance.stop.mutate({ id, force });
        case "reboot":
          return client.instance.reboot.mutate({ id });
        case "destroy":
          return client.instance.destroy.mutate({ id });
        case "recover":
          return client.instance.recover.mutate({ id });
        case "expunge":
          return client.instance.expunge.mutate({ id });
        case "changeOffering":
          if (!offeringId) throw new Error("Choose an offering");
          return client.instance.changeOffering.mutate({ id, computeOfferingId: offeringId });
      }
    },
    onSuccess: async ({ jobId }) => {
      if (!target || !action) return;
      // A page that shows the job itself (the instance page) says so there; elsewhere a toast follows it.
      if (!onStarted) toastJob(jobId, target.name);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.limit.pathKey() }),
      ]);
      onStarted?.(jobId, action);
      onClose();
    },
  });

  const { reset } = run;
  useEffect(() => {
    if (opening) reset();
  }, [opening, reset]);

  if (!target || !action) return null;
  const name = target.name;
  const error = run.error ? errorMessage(run.error) : null;

  if (action === "changeOffering") {
    return (
      <Dialog
        open={open}
        onClose={onClose}
        title={`Change offering of ${name}`}
        wide
        footer={
          <>
            <Button variant="secondary" onClick={onClose}>
              Cancel
            </Button>
            <Button loading={run.isPending} disabled={!offeringId} onClick={() => run.mutate()}>
              Change offering
            </Button>
          </>
        }
      >
        <ChangeOfferingChoices target={target} value={offeringId} onChange={setOfferingId} />
        {error && (
          <p role="alert" className="mt-3 rounded-md bg-red-50 p-2 text-sm text-red-700">
            {error}
          </p>
        )}
      </Dialog>
    );
  }

  const copy: Record<Exclude<VmOperation, "changeOffering">, { message: React.ReactNode; danger?: boolean }> = {
    start: { message: <p>The instance boots on a host with room for it, its last host first.</p> },
    stop: {
      message: (
        <div className="space-y-3">
          <p>
            The guest is asked to shut down cleanly. A stopped instance keeps its disks and counts against your limits; its host capacity is
            released.
          </p>
          <Checkbox
            label="Force stop (power off at once, like pulling the plug)"
            checked={force}
            onChange={(e) => setForce(e.target.checked)}
          />
        </div>
      ),
    },
    reboot: { message: <p>The guest restarts. Work not saved inside it is lost.</p> },
    destroy: {
      danger: true,
      message: (
        <div className="space-y-2">
          <p>The instance is stopped and destroyed. Its vCPUs and memory stop counting against your limits.</p>
          <p className="font-medium">
            It stays recoverable until it is expunged (automatically after the expunge delay, or when you expunge it).
          </p>
        </div>
      ),
    },
    recover: {
      message: <p>The instance comes back stopped, with its disks as they were. Its vCPUs and memory count against your limits again.</p>,
    },
    expunge: {
      danger: true,
      message: (
        <div className="space-y-2">
          <p className="font-medium text-red-700">This is permanent.</p>
          <p>The instance and its disks are deleted from the hypervisor and storage. It cannot be recovered afterwards.</p>
        </div>
      ),
    },
  };
  const c = copy[action];
  return (
    <ConfirmDialog
      open={open}
      onClose={onClose}
      title={`${operationLabel[action]} ${name}?`}
      message={c.message}
      confirmLabel={`${operationLabel[action]} instance`}
      danger={c.danger}
      loading={run.isPending}
      error={error}
      onConfirm={() => run.mutate()}
    />
  );
}

/** Offerings as radio cards; the current one and those that do not fit are disabled with a reason. */
function ChangeOfferingChoices({
  target,
  value,
  onChange,
}: {
  target: ActionTarget;
  value: string | null;
  onChange: (id: string) => void;
}) {
  const trpc = useTRPC();
  const choices = useQuery(trpc.instance.deployChoices.queryOptions());
  const limits = useQuery(trpc.limit.mine.queryOptions());
  if (choices.isPending) return <Loading label="Loading offerings…" />;
  if (choices.error) return <ErrorState error={choices.error} onRetry={() => void choices.refetch()} />;
  const current =
    target.cpuCores !== undefined && target.memoryMib !== undefined
      ? { cpuCores: target.cpuCores, memoryMib: target.memoryMib }
      : undefined;
  return (
    <div>
      <p className="mb-3 text-sm text-slate-600">
        The new size applies the next time the instance starts. Only the difference counts against your limits.
      </p>
      <div role="radiogroup" aria-label="Compute offering" className="grid gap-2 sm:grid-cols-2">
        {choices.data.offerings.map((o) => {
          const isCurrent = o.id === target.computeOfferingId;
          const fit = fits(limits.data, o, 1, current);
          const disabled = isCurrent || !fit.ok;
          return (
            <label
              key={o.id}
              className={cn(
                "relative flex cursor-pointer flex-col rounded-md border p-3 text-sm transition-colors has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-600",
                value === o.id ? "border-brand-600 bg-brand-50 ring-1 ring-brand-600" : "border-slate-200 hover:border-slate-300",
                disabled && "cursor-not-allowed opacity-60 hover:border-slate-200",
              )}
            >
              <span className="flex items-center gap-2">
                <input
                  type="radio"
                  name="change-offering"
                  className="absolute inset-0 size-full cursor-pointer appearance-none opacity-0 disabled:cursor-not-allowed"
                  value={o.id}
                  checked={value === o.id}
                  disabled={disabled}
                  onChange={() => onChange(o.id)}
                  aria-label={o.name}
                />
                <span className="font-medium text-slate-900">{o.name}</span>
                {isCurrent && <span className="ml-auto text-xs text-slate-600">current</span>}
              </span>
              <span className="text-slate-600">{formatSize(o.cpuCores, o.memoryMib)}</span>
              {!fit.ok && !isCurrent && <span className="mt-1 text-xs text-red-700">Does not fit: {fit.reason}</span>}
            </label>
          );
        })}
      </div>
    </div>
  );
}
