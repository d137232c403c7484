"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, type Column, useTableState } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { allocationAlgorithms, createZoneInput } from "@/lib/validation/infrastructure";
import {
  allocationLabel,
  Count,
  DeleteDialog,
  errorMessage,
  formatGib,
  formatMhz,
  formatMib,
  FormError,
  infraCrumb,
  Notice,
  type NoticeValue,
  RowActions,
  StateFilter,
  useRowDialogs,
  type ZoneCapacity,
  type ZoneRow,
} from "../_components/shared";

export function Zones() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const table = useTableState({ sort: "name" });
  const [state, setState] = useState("");
  const [notice, setNotice] = useState<NoticeValue>(null);
  const dialogs = useRowDialogs<ZoneRow>();
  const list = useQuery(
    trpc.zone.list.queryOptions({ ...table.query, state: (state || undefined) as "enabled" | "disabled" | undefined }, { placeholderData: keepPreviousData }),
  );
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() });

  const setZoneState = useMutation(
    trpc.zone.setState.mutationOptions({
      onSuccess: async (z) => {
        await invalidate();
        setNotice({ tone: "ok", text: `Zone ${z.name} is now ${z.state}` });
      },
      onError: (err) => setNotice({ tone: "error", text: errorMessage(err) }),
    }),
  );
  const remove = useMutation(
    trpc.zone.delete.mutationOptions({
      onSuccess: async () => {
        const name = dialogs.deleting?.name;
        dialogs.setDeleting(null);
        await invalidate();
        setNotice({ tone: "ok", text: `Zone ${name} deleted` });
      },
    }),
  );

  const columns: Column<ZoneRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (z) => (
        <div>
          <div className="font-medium text-slate-900">{z.name}</div>
          {z.description && <div className="text-xs text-slate-500">{z.description}</div>}
        </div>
      ),
    },
    { key: "state", header: "State", sortable: true, cell: (z) => <StateBadge state={z.state} /> },
    { key: "allocationAlgorithm", header: "Allocation", sortable: true, cell: (z) => allocationLabel[z.allocationAlgorithm] ?? z.allocationAlgorithm },
    {
      key: "podCount",
      header: "Pods",
      sortable: true,
      cell: (z) => (
        <Link href={`/infrastructure/pods?zoneId=${z.id}`} className="hover:underline" aria-label={`Pods of zone ${z.name}`}>
          <Count n={z.podCount} label="pods" />
        </Link>
      ),
    },
    { key: "clusterCount", header: "Clusters", sortable: true, cell: (z) => <Count n={z.clusterCount} label="clusters" /> },
    {
      key: "hostCount",
      header: "Hosts",
      sortable: true,
      cell: (z) => (
        <Link href={`/infrastructure/hosts?zoneId=${z.id}`} className="hover:underline" aria-label={`Hosts of zone ${z.name}`}>
          <Count n={z.hostCount} label="hosts" />
        </Link>
      ),
    },
    {
      key: "storage",
      header: "Storage",
      cell: (z) => (
        <Link href={`/infrastructure/storage?zoneId=${z.id}`} className="text-slate-600 hover:underline">
          {z.storagePoolCount} primary, {z.secondaryStoreCount} secondary
        </Link>
      ),
    },
    {
      key: "actions",
      header: "Actions",
      className: "text-right",
      cell: (z) => (
        <RowActions
          noun="zone"
          row={z}
          busy={setZoneState.isPending}
          onEdit={() => dialogs.setEditing(z)}
          onSetState={(s) => setZoneState.mutate({ id: z.id, state: s === "enabled" ? "enabled" : "disabled" })}
          onDelete={() => {
            remove.reset();
            dialogs.setDeleting(z);
          }}
        />
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Zones"
        crumbs={[infraCrumb, { label: "Zones" }]}
        description="A zone is a data centre: it holds pods (racks), their clusters and hosts, primary storage and secondary storage. A disabled zone takes no new deployments."
        actions={<Button onClick={() => dialogs.setCreating(true)}>Add zone</Button>}
      />
      <CapacityOverview />
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <DataTable
        label="zones"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(z) => z.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by name or description…"
        emptyTitle={state ? `No ${state} zones` : "No zones yet"}
        emptyHint="Add a zone, then a pod, a cluster and hosts in it, and storage, before anyone can deploy."
        emptyAction={!state && <Button onClick={() => dialogs.setCreating(true)}>Add zone</Button>}
        toolbar={
          <StateFilter
            value={state}
            onChange={(v) => {
              setState(v);
              table.setPage(1);
            }}
          />
        }
      />
      <ZoneDialog open={dialogs.creating} onClose={() => dialogs.setCreating(false)} onSaved={(n) => setNotice({ tone: "ok", text: `Zone ${n} created` })} />
      <ZoneDialog
        open={dialogs.editing !== null}
        zone={dialogs.editing}
        onClose={() => dialogs.setEditing(null)}
        onSaved={(n) => setNotice({ tone: "ok", text: `Zone ${n} saved` })}
      />
      <DeleteDialog
        noun="zone"
        name={dialogs.deleting?.name}
        open={dialogs.deleting !== null}
        onClose={() => dialogs.setDeleting(null)}
        onConfirm={() => dialogs.deleting && remove.mutate({ id: dialogs.deleting.id })}
        loading={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        hint="A zone can only be deleted once its pods and storage are gone."
      />
    </>
  );
}

/** Per-zone capacity as bars: admins want to look, not read. */
function CapacityOverview() {
  const trpc = useTRPC();
  const capacity = useQuery(trpc.zone.capacity.queryOptions({}));
  return (
    <Card title="Capacity by zone" className="mb-6">
      {capacity.isPending ? (
        <Loading label="Loading capacity…" />
      ) : capacity.error ? (
        <ErrorState error={capacity.error} onRetry={() => capacity.refetch()} />
      ) : capacity.data.length === 0 ? (
        <EmptyState title="No zones yet" hint="Capacity appears here once a zone has hosts and storage." />
      ) : (
        <ul className="divide-y divide-slate-100">
          {capacity.data.map((z) => (
            <ZoneCapacityRow key={z.zoneId} z={z} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function ZoneCapacityRow({ z }: { z: ZoneCapacity }) {
  const bars = [
    { label: "CPU", used: z.cpuMhz.used, total: z.cpuMhz.total, format: formatMhz },
    { label: "Memory", used: z.memoryMib.used, total: z.memoryMib.total, format: formatMib },
    { label: "Primary storage", used: z.primaryStorageGib.used, total: z.primaryStorageGib.total, format: formatGib },
  ];
  return (
    <li className="p-4" aria-label={`Capacity of zone ${z.zoneName}`}>
      <div className="mb-3 flex flex-wrap items-center gap-x-3 gap-y-1">
        <h3 className="font-medium text-slate-900">{z.zoneName}</h3>
        <StateBadge state={z.state} />
        <span className="text-sm text-slate-500">
          {z.hosts.total} hosts
          {z.hosts.total > 0 && ` (${z.hosts.enabled} enabled${z.hosts.disabled ? `, ${z.hosts.disabled} disabled` : ""}${z.hosts.maintenance ? `, ${z.hosts.maintenance} in maintenance` : ""})`}
          {" · "}secondary storage {formatGib(z.secondaryStorageGib.total)}
        </span>
      </div>
      <div className="grid gap-x-8 gap-y-3 sm:grid-cols-3">
        {bars.map((b) => (
          <CapacityBar key={b.label} zone={z.zoneName} {...b} />
        ))}
      </div>
    </li>
  );
}

function CapacityBar({ zone, label, used, total, format }: { zone: string; label: string; used: number; total: number; format: (n: number) => string }) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const tone = pct >= 90 ? "bg-red-500" : pct >= 70 ? "bg-amber-500" : "bg-brand-500";
  return (
    <div data-testid={`capacity-${zone}-${label}`}>
      <div className="flex items-baseline justify-between text-sm">
        <span className="font-medium text-slate-700">{label}</span>
        <span className="tabular-nums text-slate-500">
          {total > 0 ? `${format(used)} / ${format(total)}` : "none"}
          {total > 0 && <span className="ml-1 text-slate-400">({Math.round(pct)}%)</span>}
        </span>
      </div>
      <div
        className="mt-1.5 h-2.5 overflow-hidden rounded-full bg-slate-100"
        role="progressbar"
        aria-label={`${label} of zone ${zone}`}
        aria-valuemin={0}
        aria-valuenow={used}
        aria-valuemax={total}
        aria-valuetext={total > 0 ? `${format(used)} of ${format(total)} used` : "No capacity"}
      >
        <div className={`h-full rounded-full ${tone}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

const zoneFields = ["name", "description", "allocationAlgorithm"] as const;

function ZoneDialog({ open, zone, onClose, onSaved }: { open: boolean; zone?: ZoneRow | null; onClose: () => void; onSaved: (name: string) => void }) {
  return (
    <Dialog open={open} onClose={onClose} title={zone ? `Edit zone ${zone.name}` : "Add zone"}>
      {open && <ZoneForm key={zone?.id ?? "new"} zone={zone ?? null} onClose={onClose} onSaved={onSaved} />}
    </Dialog>
  );
}

function ZoneForm({ zone, onClose, onSaved }: { zone: ZoneRow | null; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(createZoneInput),
    defaultValues: { name: zone?.name ?? "", description: zone?.description ?? "", allocationAlgorithm: zone?.allocationAlgorithm ?? "first_fit" },
  });
  const done = async (name: string) => {
    await queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() });
    onSaved(name);
    onClose();
  };
  const onError = (err: unknown) => setFormError(applyServerError(err, setError, zoneFields));
  const create = useMutation(trpc.zone.create.mutationOptions({ onSuccess: (z) => done(z.name), onError }));
  const update = useMutation(trpc.zone.update.mutationOptions({ onSuccess: (z) => done(z.name), onError }));
  const errors = formState.errors;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        if (zone) update.mutate({ id: zone.id, name: v.name, description: v.description ?? "", allocationAlgorithm: v.allocationAlgorithm });
        else create.mutate(v);
      })}
    >
      <Field label="Name" error={errors.name?.message}>
        {(id) => <Input id={id} autoFocus invalid={!!errors.name} {...register("name")} />}
      </Field>
      <Field label="Description" error={errors.description?.message}>
        {(id) => <Input id={id} placeholder="e.g. Frankfurt, hall 2" invalid={!!errors.description} {...register("description")} />}
      </Field>
      <Field label="Allocation algorithm" error={errors.allocationAlgorithm?.message} hint="How the planner picks among suitable hosts.">
        {(id) => (
          <Select id={id} invalid={!!errors.allocationAlgorithm} {...register("allocationAlgorithm")}>
            {allocationAlgorithms.map((a) => (
              <option key={a} value={a}>
                {allocationLabel[a]}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <FormError message={formError} />
      <div className="flex justify-end gap-2 border-t border-slate-200 pt-4">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" loading={create.isPending || update.isPending}>
          {zone ? "Save changes" : "Create zone"}
        </Button>
      </div>
    </form>
  );
}
