"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { WhenLoaded } from "@/components/resource/filters";
import { FormDialog, SelectField } from "@/components/resource/form-dialog";
import { formatGib } from "@/components/resource/format";
import { toastJob } from "@/components/resource/toast";
import { CreateVolumeDialog } from "@/components/resource/volume-create";
import {
  useVolumeActions,
  volumeBusyStates,
  type VolumeRow,
  VolumeStateBadge,
  volumeTypeLabel,
} from "@/components/resource/volume-actions";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { Card } from "@/components/ui/page-header";
import { attachVolumeInput } from "@/lib/validation/volumes";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { liveInterval } from "@/lib/live";

interface StorageVm {
  id: string;
  name: string;
  state: string;
  zoneId: string;
  zoneName: string;
  accountId: string;
}

const canAttachTo = (vm: StorageVm) =>
  vm.state === "running" || vm.state === "stopped" ? null : `Not possible while the instance is ${vm.state}`;

/**
 * The instance page's Storage tab: its root disk and data volumes, with their actions (detach,
 * resize… as on the volume's own page), a new volume created and attached at once, or an
 * unattached one of the same account and zone attached.
 */
export function InstanceStorage({ vm }: { vm: StorageVm }) {
  const trpc = useTRPC();
  const table = useTableState({ sort: "name", dir: "asc" });
  const list = useQuery(
    trpc.volume.list.queryOptions(
      { ...table.query, instanceId: vm.id },
      {
        placeholderData: keepPreviousData,
        refetchInterval: (q) => liveInterval(!!q.state.data?.items.some((v) => v.activeJob || volumeBusyStates.includes(v.state))),
      },
    ),
  );
  const actions = useVolumeActions();
  const [dialog, setDialog] = useState<"create" | "attach" | null>(null);
  const why = canAttachTo(vm);

  const columns: Column<VolumeRow>[] = [
    {
      key: "name",
      header: "Volume",
      sortable: true,
      cell: (v) => (
        <Link href={`/volumes/${v.id}`} className="font-medium whitespace-nowrap text-brand-700 hover:underline">
          {v.name}
        </Link>
      ),
    },
    { key: "deviceTarget", header: "Device", cell: (v) => <span className="font-mono text-xs">{v.deviceTarget}</span> },
    { key: "type", header: "Type", sortable: true, hideBelow: "sm", cell: (v) => volumeTypeLabel(v.type) },
    {
      key: "sizeGib",
      header: "Size",
      sortable: true,
      cell: (v) => <span className="whitespace-nowrap tabular-nums">{formatGib(v.sizeGib)}</span>,
    },
    { key: "state", header: "State", sortable: true, cell: (v) => <VolumeStateBadge state={v.state} /> },
  ];

  return (
    <Card
      title="Storage"
      actions={
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" disabled={!!why} title={why ?? undefined} onClick={() => setDialog("attach")}>
            Attach volume
          </Button>
          <Button disabled={!!why} title={why ?? undefined} onClick={() => setDialog("create")}>
            Add volume
          </Button>
        </div>
      }
    >
      <section aria-label={`Storage of ${vm.name}`} data-testid="instance-storage">
        <DataTable
          label={`volumes of ${vm.name}`}
          columns={columns}
          query={list}
          table={table}
          rowKey={(v) => v.id}
          rowName={(v) => `volume ${v.name}`}
          searchPlaceholder="Search volumes…"
          emptyTitle="No volumes"
          emptyHint="An instance in a zone without primary storage has no volume rows."
          rowActions={(v) => actions.menu(v)}
        />
      </section>
      <CreateVolumeDialog open={dialog === "create"} onClose={() => setDialog(null)} instance={vm} />
      {dialog === "attach" && <AttachExisting vm={vm} onClose={() => setDialog(null)} />}
      {actions.dialogs}
    </Card>
  );
}

/** Attach one of the account's unattached data volumes of the same zone. */
function AttachExisting({ vm, onClose }: { vm: StorageVm; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const free = useQuery(trpc.volume.list.queryOptions({ zoneId: vm.zoneId, accountId: vm.accountId, type: "datadisk", pageSize: 200 }));
  return (
    <FormDialog
      open
      onClose={onClose}
      title={`Attach a volume to ${vm.name}`}
      schema={attachVolumeInput.omit({ instanceId: true })}
      defaultValues={{ id: "" }}
      submitLabel="Attach"
      onSubmit={(x) => client.volume.attach.mutate({ id: x.id, instanceId: vm.id })}
      invalidate={["volume", "instance"]}
      success={(r) => {
        toastJob(r.jobId, `volume for ${vm.name}`);
        return "";
      }}
    >
      {(f) => (
        <WhenLoaded query={free} what="volumes">
          {(page) => {
            const usable = page.items.filter((v) => !v.instanceId && (v.state === "allocated" || v.state === "ready"));
            return (
              <SelectField
                form={f}
                name="id"
                label="Volume"
                empty={usable.length ? "Choose a volume…" : "No unattached volume in this zone"}
                options={usable.map((v) => ({ value: v.id, label: `${v.name} (${formatGib(v.sizeGib)})` }))}
              />
            );
          }}
        </WhenLoaded>
      )}
    </FormDialog>
  );
}
