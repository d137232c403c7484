"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useConfirm } from "@/components/resource/confirm";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, NumberField, ReadOnlyField, SelectField, TextField } from "@/components/resource/form-dialog";
import { formatGib } from "@/components/resource/format";
import { useResourceMutation } from "@/components/resource/mutations";
import type { RouterOutputs } from "@/components/resource/router-types";
import { toastJob } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Badge, type Tone } from "@/components/ui/badge";
import type { MenuAction } from "@/components/ui/row-menu";
import { Spinner } from "@/components/ui/states";
import { volumeStates } from "@/lib/volume-state";
import { attachVolumeInput, migrateVolumeInput, resizeVolumeInput } from "@/lib/validation/volumes";
import { createTemplateFromVolumeInput } from "@/lib/validation/templates";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { type VolumeOperation, volumeBusyStates, volumeOperationAllowed, type VolumeState } from "@/lib/volume-state";

export { volumeStates };
export type VolumeRow = RouterOutputs["volume"]["list"]["items"][number];
/** What the actions need of a volume (a list row or the detail). */
export type VolumeTarget = Pick<
  VolumeRow,
  "id" | "name" | "type" | "state" | "sizeGib" | "instanceId" | "instanceName" | "instanceState" | "zoneId" | "accountId" | "storagePoolId"
> & { activeJob: unknown };

const tones: Record<VolumeState, Tone> = {
  allocated: "gray",
  creating: "blue",
  ready: "green",
  attaching: "blue",
  detaching: "blue",
  resizing: "blue",
  migrating: "blue",
  reverting: "blue",
  destroyed: "red",
  expunged: "gray",
  error: "red",
};
export { volumeBusyStates };
const label = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function VolumeStateBadge({ state, testId }: { state: VolumeState; testId?: string }) {
  return (
    <Badge tone={tones[state]} className="gap-1 whitespace-nowrap">
      {volumeBusyStates.includes(state) && <Spinner className="size-3" />}
      <span data-testid={testId}>{label(state)}</span>
    </Badge>
  );
}

export const volumeTypeLabel = (t: "root" | "datadisk") => (t === "root" ? "Root" : "Data");

const opLabel: Record<VolumeOperation, string> = {
  attach: "Attach",
  detach: "Detach",
  resize: "Resize",
  migrate: "Migrate",
  destroy: "Destroy",
  recover: "Recover",
  expunge: "Expunge",
};

/** Why an operation is not possible on this volume now (the server checks again), or null. */
export function whyNotVolume(op: VolumeOperation, v: VolumeTarget): string | null {
  if (v.activeJob) return "Wait for the job in progress to finish";
  if (v.type === "root" && op !== "resize" && op !== "migrate") return "A root volume follows its instance";
  if (!volumeOperationAllowed(op, v.state)) return `Not possible while the volume is ${v.state}`;
  if (op === "attach" && v.instanceId) return "Already attached; detach it first";
  if (op === "detach" && !v.instanceId) return "Not attached";
  if ((op === "destroy" || op === "expunge") && v.instanceId) return "Detach it first";
  if (op === "resize" && v.type === "root" && v.instanceState !== "stopped") return "Stop its instance first";
  if (op === "migrate" && !v.storagePoolId) return "Not on a pool yet; attach it first";
  if (op === "migrate" && v.instanceId && v.instanceState !== "stopped") return "Stop its instance first";
  return null;
}

/** Actions that make something from the volume: a snapshot now, a template. */
export type VolumeCopyAction = "snapshot" | "template";
const copyLabel: Record<VolumeCopyAction, string> = { snapshot: "Snapshot now", template: "Make template" };

/** Why a snapshot or a template of this volume cannot start now (the server checks again), or null. */
export function whyNotCopy(action: VolumeCopyAction, v: VolumeTarget): string | null {
  if (v.activeJob) return "Wait for the job in progress to finish";
  // Ready means placed on a pool (an Allocated volume holds no data yet); the pool itself is shown to admins only.
  if (v.state !== "ready") return `Not possible while the volume is ${v.state}`;
  if (action === "template" && v.instanceId && v.instanceState !== "stopped") return "Stop its instance first";
  return null;
}

const pageOps: VolumeOperation[] = ["attach", "detach", "resize", "migrate", "destroy", "recover", "expunge"];

/**
 * A volume's actions, the same on its page, in its row menu and on an instance's Storage tab:
 * `menu(volume)` lists them (disabled with the reason), `run(op, volume)` starts one, and `dialogs`
 * holds their dialogs. Jobs are followed by a toast to their end.
 */
export function useVolumeActions({ onExpunged }: { onExpunged?: () => void } = {}) {
  const client = useTRPCClient();
  const caller = useCaller();
  const rootAdmin = caller.accountType === "root_admin";
  const confirm = useConfirm();
  const [dialog, setDialog] = useState<{ op: "attach" | "resize" | "migrate" | "template"; v: VolumeTarget } | null>(null);
  const started = (subject: string) => (r: { jobId: string }) => {
    toastJob(r.jobId, subject);
    return null;
  };
  const simple = useResourceMutation({
    run: ({ op, v }: { op: "detach" | "destroy" | "recover" | "expunge"; v: VolumeTarget }) => client.volume[op].mutate({ id: v.id }),
    invalidate: ["volume", "instance", "limit"],
    success: (r, { v, op }) => {
      if (op === "expunge") onExpunged?.();
      return started(v.name)(r);
    },
  });
  const snapshot = useResourceMutation({
    run: (v: VolumeTarget) => client.snapshot.take.mutate({ volumeId: v.id }),
    invalidate: ["snapshot", "volume", "limit"],
    success: (r, v) => started(`Snapshot of ${v.name}`)(r),
  });
  const copy = (action: VolumeCopyAction, v: VolumeTarget) => {
    if (action === "snapshot") snapshot.mutate(v);
    else setDialog({ op: "template", v });
  };
  const ask = (op: "detach" | "destroy" | "expunge", v: VolumeTarget) =>
    confirm.ask({
      title: `${opLabel[op]} volume ${v.name}?`,
      message:
        op === "detach"
          ? `It is unplugged from ${v.instanceName ?? "its instance"}${v.instanceState === "running" ? " while it runs; unmount it in the guest first" : ""}.`
          : op === "destroy"
            ? "It stops counting against your limits and can be recovered until it is expunged."
            : "Its disk is deleted for good.",
      confirmLabel: opLabel[op],
      danger: op !== "detach",
      run: () => simple.mutateAsync({ op, v }),
    });
  const run = (op: VolumeOperation, v: VolumeTarget) => {
    if (op === "attach" || op === "resize" || op === "migrate") setDialog({ op, v });
    else if (op === "recover") simple.mutate({ op, v });
    else ask(op, v);
  };
  const menu = (v: VolumeTarget): MenuAction[] => [
    ...copyActions.map((a) => ({ label: copyLabel[a], disabled: whyNotCopy(a, v), onSelect: () => copy(a, v) })),
    ...pageOps.map((op) => ({
      label: opLabel[op],
      danger: op === "destroy" || op === "expunge",
      hidden: op === "migrate" && !rootAdmin,
      disabled: whyNotVolume(op, v),
      onSelect: () => run(op, v),
    })),
  ];
  const dialogs = (
    <>
      {dialog?.op === "attach" && <AttachDialog v={dialog.v} onClose={() => setDialog(null)} />}
      {dialog?.op === "resize" && <ResizeDialog v={dialog.v} onClose={() => setDialog(null)} />}
      {dialog?.op === "migrate" && <MigrateDialog v={dialog.v} onClose={() => setDialog(null)} />}
      {dialog?.op === "template" && <TemplateFromVolumeDialog v={dialog.v} onClose={() => setDialog(null)} />}
      {confirm.dialog}
    </>
  );
  return {
    menu,
    run,
    copy,
    copyActions,
    copyLabels: copyLabel,
    dialogs,
    labels: opLabel,
    operations: pageOps.filter((op) => op !== "migrate" || rootAdmin),
  };
}

const copyActions: VolumeCopyAction[] = ["snapshot", "template"];

/** A private template of the volume's data (its instance stopped), written to the zone's secondary store by a job. */
function TemplateFromVolumeDialog({ v, onClose }: { v: VolumeTarget; onClose: () => void }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Make a template of volume ${v.name}`}
      schema={createTemplateFromVolumeInput.omit({ volumeId: true })}
      defaultValues={{ name: `${v.name}-template`, osType: "Other Linux (64-bit)", displayText: "" }}
      submitLabel="Make template"
      onSubmit={(x) => client.volume.createTemplate.mutate({ volumeId: v.id, ...x, displayText: x.displayText || undefined })}
      invalidate={["template", "volume", "limit"]}
      success={(r) => {
        toastJob(r.jobId, `Template of ${v.name}`);
        return "";
      }}
    >
      {(f) => (
        <div className="grid gap-4">
          <TextField form={f} name="name" label="Name" autoFocus />
          <TextField form={f} name="osType" label="OS type" hint="e.g. Debian GNU/Linux 12 (64-bit)" />
          <TextField form={f} name="displayText" label="Description" />
          <p className="text-xs text-slate-600">
            The template is private to the volume&apos;s account and counts against its templates and secondary storage limits.
          </p>
        </div>
      )}
    </FormDialog>
  );
}

const changes = ["volume", "instance", "limit"] as const;

function AttachDialog({ v, onClose }: { v: VolumeTarget; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const caller = useCaller();
  const vms = useQuery(
    trpc.instance.list.queryOptions({
      zoneId: v.zoneId,
      accountId: caller.accountType === "user" ? undefined : v.accountId,
      pageSize: 200,
      sort: "name",
      dir: "asc",
    }),
  );
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Attach volume ${v.name}`}
      schema={attachVolumeInput.omit({ id: true })}
      defaultValues={{ instanceId: "" }}
      submitLabel="Attach"
      onSubmit={(x) => client.volume.attach.mutate({ id: v.id, ...x })}
      invalidate={changes}
      success={(r) => {
        toastJob(r.jobId, v.name);
        return "";
      }}
    >
      {(f) => (
        <WhenLoaded query={vms} what="instances">
          {(page) => {
            const usable = page.items.filter((i) => i.state === "running" || i.state === "stopped");
            return (
              <SelectField
                form={f}
                name="instanceId"
                label="Instance"
                empty={usable.length ? "Choose an instance…" : "No running or stopped instance in this zone"}
                hint="A running instance gets it hot-plugged as the next free virtio disk (vdb, vdc…)."
                options={usable.map((i) => ({ value: i.id, label: `${i.name} (${i.state})` }))}
              />
            );
          }}
        </WhenLoaded>
      )}
    </FormDialog>
  );
}

function ResizeDialog({ v, onClose }: { v: VolumeTarget; onClose: () => void }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Resize volume ${v.name}`}
      schema={resizeVolumeInput.omit({ id: true })}
      defaultValues={{ sizeGib: v.sizeGib + 1 }}
      submitLabel="Resize"
      onSubmit={(x) => client.volume.resize.mutate({ id: v.id, ...x })}
      invalidate={changes}
      success={(r) => {
        toastJob(r.jobId, v.name);
        return "";
      }}
    >
      {(f) => (
        <>
          <ReadOnlyField label="Current size" value={formatGib(v.sizeGib)} hint="Volumes only grow: shrinking could cut off data." />
          <NumberField
            form={f}
            name="sizeGib"
            label="New size (GiB)"
            min={v.sizeGib + 1}
            hint={v.instanceState === "running" ? "Grown online; extend the partition in the guest afterwards." : undefined}
          />
        </>
      )}
    </FormDialog>
  );
}

function MigrateDialog({ v, onClose }: { v: VolumeTarget; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const pools = useQuery(trpc.storagePool.list.queryOptions({ zoneId: v.zoneId, pageSize: 200 }));
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Migrate volume ${v.name}`}
      schema={migrateVolumeInput.omit({ id: true })}
      defaultValues={{ storagePoolId: "" }}
      submitLabel="Migrate"
      onSubmit={(x) => client.volume.migrate.mutate({ id: v.id, ...x })}
      invalidate={[...changes, "storagePool"]}
      success={(r) => {
        toastJob(r.jobId, v.name);
        return "";
      }}
    >
      {(f) => (
        <WhenLoaded query={pools} what="storage pools">
          {(page) => (
            <SelectField
              form={f}
              name="storagePoolId"
              label="Target pool"
              empty="Choose a pool…"
              hint="Same zone; the instance's cluster must reach it. The volume is copied, then deleted from its pool."
              options={page.items
                .filter((p) => p.id !== v.storagePoolId)
                .map((p) => ({ value: p.id, label: `${p.name} (${formatGib(p.usedGib)} of ${formatGib(p.capacityGib)} used)` }))}
            />
          )}
        </WhenLoaded>
      )}
    </FormDialog>
  );
}
