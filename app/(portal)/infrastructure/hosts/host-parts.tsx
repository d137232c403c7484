"use client";
import type { FieldValues } from "react-hook-form";
import { deletion, type useConfirm } from "@/components/resource/confirm";
import { FormDialog, type KitForm, NumberField, ReadOnlyField, SelectField, TagsField, TextField } from "@/components/resource/form-dialog";
import { formatMhz, formatMib } from "@/components/resource/format";
import { type HostRow, hypervisorLabel, options, stateActions, stateText, useClusterOptions } from "@/components/resource/infrastructure";
import { useResourceMutation } from "@/components/resource/mutations";
import type { MenuAction } from "@/components/ui/row-menu";
import { useTRPCClient } from "@/lib/trpc/client";
import { createHostInput, type HostState, hypervisorTypes, updateHostInput } from "@/lib/validation/infrastructure";

/** What the hosts list and a host's page share: its actions and its add/edit form. */

export const hostChanges = ["host", "cluster", "pod", "zone"] as const;

/** A host's actions, the same in its row menu and on its page. */
export function useHostActions(confirm: ReturnType<typeof useConfirm>, onEdit: (h: HostRow) => void, onDeleted?: () => void) {
  const client = useTRPCClient();
  const setState = useResourceMutation({
    run: (v: { id: string; state: HostState }) => client.host.setState.mutate(v),
    invalidate: hostChanges,
    success: (h) => `Host ${h.name} is now ${stateText[h.state]}`,
  });
  const remove = useResourceMutation({
    run: (h: HostRow) => client.host.delete.mutate({ id: h.id }),
    invalidate: hostChanges,
    success: (_, h) => `Host ${h.name} removed`,
    quietErrors: true,
    onDone: onDeleted,
  });
  return (h: HostRow): MenuAction[] => [
    { label: "Edit", onSelect: () => onEdit(h) },
    ...stateActions("host", h, (state) => setState.mutateAsync({ id: h.id, state }), confirm.ask, {
      maintenance: true,
      maintenanceHint: "VMs already running on it keep running.",
    }),
    {
      label: "Remove",
      danger: true,
      disabled: h.cpuUsedMhz > 0 || h.memoryUsedMib > 0 ? "VMs still reserve capacity on it" : null,
      onSelect: () =>
        confirm.ask({
          ...deletion("host", h.name, () => remove.mutateAsync(h), "A host with VMs cannot be removed until they are expunged."),
          title: `Remove host ${h.name}?`,
          confirmLabel: "Remove host",
        }),
    },
  ];
}

const addressHint = {
  kvm: "A libvirt URI, e.g. qemu+ssh://root@10.0.0.5/system",
  simulator: "A label for the simulated host, e.g. sim://host-5",
} as const;

const domainTypeOptions = [
  { value: "kvm", label: "kvm (hardware acceleration)" },
  { value: "qemu", label: "qemu (TCG emulation, slow)" },
];

type DomainType = NonNullable<HostRow["domainType"]>;
/** The domain type VMs get on a KVM host: the admin's override, else kvm when acceleration works. */
export const effectiveDomainType = (h: Pick<HostRow, "domainType" | "kvmAccelerated">): DomainType =>
  h.domainType ?? (h.kvmAccelerated ? "kvm" : "qemu");

const editSchema = updateHostInput.omit({ id: true });

/** Add a host (`host` null) or edit one. */
export function HostFormDialog({
  host,
  defaultClusterId,
  open,
  onClose,
}: {
  host: HostRow | null;
  defaultClusterId?: string;
  open: boolean;
  onClose: () => void;
}) {
  const client = useTRPCClient();
  const clusters = useClusterOptions();
  if (host) {
    const auto = `Automatic uses ${effectiveDomainType({ domainType: null, kvmAccelerated: host.kvmAccelerated })} on this host (KVM acceleration ${host.kvmAccelerated ? "works" : "is not available"}).`;
    return (
      <FormDialog
        open={open}
        onClose={onClose}
        wide
        title={`Edit host ${host.name}`}
        schema={editSchema}
        defaultValues={{
          name: host.name,
          address: host.address,
          cpuCores: host.cpuCores,
          cpuMhz: host.cpuMhz,
          memoryMib: host.memoryMib,
          tags: host.tags,
          domainType: host.domainType,
        }}
        submitLabel="Save changes"
        onSubmit={(v) => client.host.update.mutate({ id: host.id, ...v })}
        invalidate={hostChanges}
        success={(h) => `Host ${h.name} saved`}
      >
        {(f) => (
          <>
            <div className="grid gap-4 sm:grid-cols-2">
              <ReadOnlyField label="Cluster" value={`${host.zoneName} / ${host.podName} / ${host.clusterName}`} />
              <ReadOnlyField label="Hypervisor" value={hypervisorLabel[host.hypervisorType] ?? host.hypervisorType} />
              <TextField form={f} name="name" label="Name" autoFocus />
              <TextField form={f} name="address" label="Address" mono hint={addressHint[host.hypervisorType]} />
              <HardwareFields form={f} />
              {host.hypervisorType === "kvm" && (
                <SelectField
                  form={f}
                  name="domainType"
                  label="Domain type"
                  empty="Automatic"
                  emptyIsNull
                  options={domainTypeOptions}
                  hint={`How libvirt runs this host's VMs. ${auto}`}
                />
              )}
            </div>
            {(host.cpuUsedMhz > 0 || host.memoryUsedMib > 0) && (
              <p className="text-xs text-slate-600">
                VMs reserve {formatMhz(host.cpuUsedMhz)} of CPU and {formatMib(host.memoryUsedMib)} of memory here; capacity cannot go below
                that.
              </p>
            )}
          </>
        )}
      </FormDialog>
    );
  }
  const first = clusters.data?.find((c) => c.id === defaultClusterId);
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      wide
      title="Add host"
      schema={createHostInput}
      defaultValues={{
        clusterId: first?.id ?? "",
        hypervisorType: first?.hypervisorType ?? "kvm",
        name: "",
        address: "",
        cpuCores: 8,
        cpuMhz: 2400,
        memoryMib: 32768,
        tags: [],
        domainType: null,
      }}
      waitFor={{ query: clusters, what: "clusters" }}
      submitLabel="Create host"
      onSubmit={(v) => client.host.create.mutate(v)}
      invalidate={hostChanges}
      success={(h) => `Host ${h.name} added`}
    >
      {(f) => {
        const cs = clusters.data!;
        return (
          <div className="grid gap-4 sm:grid-cols-2">
            <SelectField
              form={f}
              name="clusterId"
              label="Cluster"
              empty="Choose a cluster…"
              options={cs.map((c) => ({
                value: c.id,
                label: `${c.zoneName} / ${c.podName} / ${c.name} (${hypervisorLabel[c.hypervisorType] ?? c.hypervisorType})`,
              }))}
              // A host runs its cluster's hypervisor: follow the chosen cluster.
              onChange={(id) => {
                const c = cs.find((x) => x.id === id);
                if (c) f.setValue("hypervisorType", c.hypervisorType, { shouldValidate: true });
              }}
            />
            <SelectField
              form={f}
              name="hypervisorType"
              label="Hypervisor"
              hint="Must match the cluster's hypervisor."
              options={options(hypervisorLabel, hypervisorTypes)}
            />
            <TextField form={f} name="name" label="Name" />
            <TextField form={f} name="address" label="Address" mono hint={addressHint[f.watch("hypervisorType")]} />
            <HardwareFields form={f} />
            {f.watch("hypervisorType") === "kvm" && (
              <SelectField
                form={f}
                name="domainType"
                label="Domain type"
                empty="Automatic"
                emptyIsNull
                options={domainTypeOptions}
                hint="How libvirt runs this host's VMs. Automatic: kvm where KVM acceleration works, else qemu."
              />
            )}
          </div>
        );
      }}
    </FormDialog>
  );
}

type Hardware = { cpuCores: number; cpuMhz: number; memoryMib: number; tags: string[] };

/** CPU, memory and tags inputs of the add and edit forms. */
function HardwareFields<TIn extends FieldValues, TOut extends FieldValues>({ form }: { form: KitForm<TIn, TOut> }) {
  // Both forms have these fields; they differ only in their other fields.
  const f = form as unknown as KitForm<Hardware, Hardware>;
  return (
    <>
      <NumberField form={f} name="cpuCores" label="CPU cores" min={1} step={1} />
      <NumberField form={f} name="cpuMhz" label="CPU MHz" hint="Speed of one core" min={1} step={100} />
      <NumberField form={f} name="memoryMib" label="Memory (MiB)" hint="1 GiB = 1024 MiB" min={1} step={1024} />
      <TagsField
        form={f}
        name="tags"
        label="Tags"
        hint="Comma-separated, e.g. ssd, gpu; offerings with host tags only go to hosts with every tag."
      />
    </>
  );
}
