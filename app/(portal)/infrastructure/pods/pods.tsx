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
import { PageHeader } from "@/components/ui/page-header";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { createPodInput } from "@/lib/validation/infrastructure";
import {
  Count,
  DeleteDialog,
  errorMessage,
  FilterSelect,
  FormError,
  idOrEmpty,
  parentError,
  WhenLoaded,
  type ZoneRow,
  infraCrumb,
  type InitialFilter,
  Notice,
  type NoticeValue,
  type PodRow,
  RowActions,
  StateFilter,
  useRowDialogs,
  useZoneOptions,
} from "../_components/shared";

export function Pods({ initialFilter = {} }: { initialFilter?: InitialFilter }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const table = useTableState({ sort: "name" });
  const [zoneId, setZoneId] = useState(idOrEmpty(initialFilter.zoneId));
  const [state, setState] = useState("");
  const [notice, setNotice] = useState<NoticeValue>(null);
  const dialogs = useRowDialogs<PodRow>();
  const zones = useZoneOptions();
  const list = useQuery(
    trpc.pod.list.queryOptions(
      { ...table.query, zoneId: zoneId || undefined, state: (state || undefined) as "enabled" | "disabled" | undefined },
      { placeholderData: keepPreviousData },
    ),
  );
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.pod.pathKey() });

  const setPodState = useMutation(
    trpc.pod.setState.mutationOptions({
      onSuccess: async (p) => {
        await invalidate();
        setNotice({ tone: "ok", text: `Pod ${p.name} is now ${p.state}` });
      },
      onError: (err) => setNotice({ tone: "error", text: errorMessage(err) }),
    }),
  );
  const remove = useMutation(
    trpc.pod.delete.mutationOptions({
      onSuccess: async () => {
        const name = dialogs.deleting?.name;
        dialogs.setDeleting(null);
        await Promise.all([invalidate(), queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() })]);
        setNotice({ tone: "ok", text: `Pod ${name} deleted` });
      },
    }),
  );

  const columns: Column<PodRow>[] = [
    { key: "name", header: "Name", sortable: true, cell: (p) => <span className="font-medium text-slate-900">{p.name}</span> },
    { key: "zoneName", header: "Zone", sortable: true, cell: (p) => p.zoneName },
    { key: "state", header: "State", sortable: true, cell: (p) => <StateBadge state={p.state} /> },
    {
      key: "clusterCount",
      header: "Clusters",
      sortable: true,
      cell: (p) => (
        <Link href={`/infrastructure/clusters?podId=${p.id}`} className="hover:underline" aria-label={`Clusters of pod ${p.name}`}>
          <Count n={p.clusterCount} label="clusters" />
        </Link>
      ),
    },
    {
      key: "hostCount",
      header: "Hosts",
      sortable: true,
      cell: (p) => (
        <Link href={`/infrastructure/hosts?podId=${p.id}`} className="hover:underline" aria-label={`Hosts of pod ${p.name}`}>
          <Count n={p.hostCount} label="hosts" />
        </Link>
      ),
    },
    {
      key: "actions",
      header: "Actions",
      className: "text-right",
      cell: (p) => (
        <RowActions
          noun="pod"
          row={p}
          busy={setPodState.isPending}
          onEdit={() => dialogs.setEditing(p)}
          onSetState={(s) => setPodState.mutate({ id: p.id, state: s === "enabled" ? "enabled" : "disabled" })}
          onDelete={() => {
            remove.reset();
            dialogs.setDeleting(p);
          }}
        />
      ),
    },
  ];

  const noZones = zones.data !== undefined && zones.data.length === 0;
  return (
    <>
      <PageHeader
        title="Pods"
        crumbs={[infraCrumb, { label: "Pods" }]}
        description="A pod is a rack or a network segment within a zone; it holds clusters. Pod names are unique within their zone."
        actions={
          <Button onClick={() => dialogs.setCreating(true)} disabled={noZones} title={noZones ? "Add a zone first" : undefined}>
            Add pod
          </Button>
        }
      />
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <DataTable
        label="pods"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(p) => p.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by pod or zone name…"
        emptyTitle={zoneId || state ? "No pods match these filters" : "No pods yet"}
        emptyHint={noZones ? "Add a zone first, then pods in it." : "Add a pod to a zone, then clusters in the pod."}
        toolbar={
          <>
            <FilterSelect
              label="Filter by zone"
              allLabel="All zones"
              value={zoneId}
              onChange={(v) => {
                setZoneId(v);
                table.setPage(1);
              }}
              options={(zones.data ?? []).map((z) => ({ value: z.id, label: z.name }))}
            />
            <StateFilter
              value={state}
              onChange={(v) => {
                setState(v);
                table.setPage(1);
              }}
            />
          </>
        }
      />
      <PodDialog
        open={dialogs.creating}
        defaultZoneId={zoneId}
        onClose={() => dialogs.setCreating(false)}
        onSaved={(n) => setNotice({ tone: "ok", text: `Pod ${n} created` })}
      />
      <PodDialog open={dialogs.editing !== null} pod={dialogs.editing} onClose={() => dialogs.setEditing(null)} onSaved={(n) => setNotice({ tone: "ok", text: `Pod ${n} saved` })} />
      <DeleteDialog
        noun="pod"
        name={dialogs.deleting?.name}
        open={dialogs.deleting !== null}
        onClose={() => dialogs.setDeleting(null)}
        onConfirm={() => dialogs.deleting && remove.mutate({ id: dialogs.deleting.id })}
        loading={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : null}
        hint="A pod can only be deleted once its clusters are gone."
      />
    </>
  );
}

const podFields = ["zoneId", "name"] as const;

function PodDialog({
  open,
  pod,
  defaultZoneId,
  onClose,
  onSaved,
}: {
  open: boolean;
  pod?: PodRow | null;
  defaultZoneId?: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title={pod ? `Edit pod ${pod.name}` : "Add pod"}>
      {open && (pod ? (
        <PodForm key={pod.id} pod={pod} zones={[]} defaultZoneId="" onClose={onClose} onSaved={onSaved} />
      ) : (
        <NewPod defaultZoneId={defaultZoneId ?? ""} onClose={onClose} onSaved={onSaved} />
      ))}
    </Dialog>
  );
}

function NewPod({ defaultZoneId, onClose, onSaved }: { defaultZoneId: string; onClose: () => void; onSaved: (name: string) => void }) {
  const zones = useZoneOptions();
  return (
    <WhenLoaded query={zones} what="zones">
      {(list) => <PodForm pod={null} zones={list} defaultZoneId={defaultZoneId} onClose={onClose} onSaved={onSaved} />}
    </WhenLoaded>
  );
}

function PodForm({
  pod,
  zones,
  defaultZoneId,
  onClose,
  onSaved,
}: {
  pod: PodRow | null;
  zones: ZoneRow[];
  defaultZoneId: string;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(createPodInput),
    defaultValues: { zoneId: pod?.zoneId ?? defaultZoneId, name: pod?.name ?? "" },
  });
  const done = async (name: string) => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.pod.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.zone.pathKey() }),
    ]);
    onSaved(name);
    onClose();
  };
  const onError = (err: unknown) => setFormError(applyServerError(err, setError, podFields));
  const create = useMutation(trpc.pod.create.mutationOptions({ onSuccess: (p) => done(p.name), onError }));
  const update = useMutation(trpc.pod.update.mutationOptions({ onSuccess: (p) => done(p.name), onError }));
  const errors = formState.errors;
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        if (pod) update.mutate({ id: pod.id, name: v.name });
        else create.mutate(v);
      })}
    >
      {pod ? (
        <Field label="Zone" hint="A pod stays in its zone.">
          {(id) => <Input id={id} value={pod.zoneName} disabled readOnly />}
        </Field>
      ) : (
        <Field label="Zone" error={parentError(errors.zoneId, "zone")}>
          {(id) => (
            <Select id={id} invalid={!!errors.zoneId} {...register("zoneId")}>
              <option value="">Choose a zone…</option>
              {zones.map((z) => (
                <option key={z.id} value={z.id}>
                  {z.name}
                </option>
              ))}
            </Select>
          )}
        </Field>
      )}
      <Field label="Name" error={errors.name?.message}>
        {(id) => <Input id={id} autoFocus invalid={!!errors.name} {...register("name")} />}
      </Field>
      <FormError message={formError} />
      <div className="flex justify-end gap-2 border-t border-slate-200 pt-4">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" loading={create.isPending || update.isPending}>
          {pod ? "Save changes" : "Create pod"}
        </Button>
      </div>
    </form>
  );
}
