"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useCan } from "@/components/shell/caller-context";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, type Column, useTableState } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { Checkbox, Field, Input } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Loading } from "@/components/ui/states";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { createComputeOfferingInput } from "@/lib/validation/offerings";
import {
  type ComputeOfferingRow,
  DeleteOfferingDialog,
  errorMessage,
  formatMib,
  FormError,
  Notice,
  parseTags,
  RowActions,
  ScopeBadge,
  ScopeSelect,
  StateFilter,
  tagError,
  Tags,
  useRowDialogs,
  useScopeOptions,
} from "./offering-shared";

const formFields = ["name", "displayText", "cpuCores", "cpuMhz", "memoryMib", "cpuCap", "hostTags", "domainId"] as const;

export function ComputeOfferings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const mayManage = useCan("offering.manage");
  const table = useTableState({ sort: "name" });
  const [state, setState] = useState<"" | "active" | "inactive">("");
  const [notice, setNotice] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const dialogs = useRowDialogs<ComputeOfferingRow>();
  const list = useQuery(trpc.computeOffering.list.queryOptions({ ...table.query, state: state || undefined }, { placeholderData: keepPreviousData }));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.computeOffering.pathKey() });

  const setOfferingState = useMutation(
    trpc.computeOffering.setState.mutationOptions({
      onSuccess: async (o) => {
        await invalidate();
        setNotice({ tone: "ok", text: `Compute offering ${o.name} is now ${o.state}` });
      },
      onError: (err) => setNotice({ tone: "error", text: errorMessage(err) }),
    }),
  );
  const remove = useMutation(
    trpc.computeOffering.delete.mutationOptions({
      onSuccess: async (_, vars) => {
        const name = dialogs.deleting?.name ?? vars.id;
        dialogs.setDeleting(null);
        await invalidate();
        setNotice({ tone: "ok", text: `Compute offering ${name} deleted` });
      },
    }),
  );

  const columns: Column<ComputeOfferingRow>[] = [
    {
      key: "name",
      header: "Name",
      sortable: true,
      cell: (o) => (
        <div>
          <div className="font-medium text-slate-900">{o.name}</div>
          {o.displayText && <div className="text-xs text-slate-500">{o.displayText}</div>}
        </div>
      ),
    },
    { key: "cpuCores", header: "CPU", sortable: true, cell: (o) => `${o.cpuCores} vCPU × ${o.cpuMhz} MHz` },
    { key: "memoryMib", header: "Memory", sortable: true, cell: (o) => formatMib(o.memoryMib) },
    {
      key: "flags",
      header: "Options",
      cell: (o) =>
        o.cpuCap ? (
          <span className="flex gap-1">
            {o.cpuCap && <Badge tone="amber">CPU cap</Badge>}
          </span>
        ) : (
          <span className="text-slate-400">—</span>
        ),
    },
    { key: "hostTags", header: "Host tags", cell: (o) => <Tags tags={o.hostTags} /> },
    { key: "scope", header: "Scope", sortable: true, cell: (o) => <ScopeBadge row={o} /> },
    { key: "state", header: "State", sortable: true, cell: (o) => <StateBadge state={o.state} /> },
    {
      key: "actions",
      header: "Actions",
      className: "text-right",
      cell: (o) => (
        <RowActions
          row={o}
          busy={setOfferingState.isPending}
          onEdit={() => dialogs.setEditing(o)}
          onSetState={(s) => setOfferingState.mutate({ id: o.id, state: s })}
          onDelete={() => {
            remove.reset();
            dialogs.setDeleting(o);
          }}
        />
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Compute offerings"
        crumbs={[{ label: "Offerings" }, { label: "Compute" }]}
        description="Instance sizes: vCPUs, CPU speed, memory and host tags. Public offerings are visible to every domain; scoped ones to a domain and its sub-domains."
        actions={mayManage && <Button onClick={() => dialogs.setCreating(true)}>Add offering</Button>}
      />
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <DataTable
        label="compute offerings"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(o) => o.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by name, description or domain…"
        emptyTitle={state ? `No ${state} compute offerings` : "No compute offerings yet"}
        emptyHint={mayManage ? "Add an offering so users can deploy instances of that size." : undefined}
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
      {mayManage && (
        <>
          <ComputeOfferingDialog
            open={dialogs.creating}
            onClose={() => dialogs.setCreating(false)}
            onSaved={(name) => setNotice({ tone: "ok", text: `Compute offering ${name} created` })}
          />
          <ComputeOfferingDialog
            open={dialogs.editing !== null}
            offering={dialogs.editing}
            onClose={() => dialogs.setEditing(null)}
            onSaved={(name) => setNotice({ tone: "ok", text: `Compute offering ${name} saved` })}
          />
          <DeleteOfferingDialog
            noun="compute offering"
            row={dialogs.deleting}
            onClose={() => dialogs.setDeleting(null)}
            onConfirm={(o) => remove.mutate({ id: o.id })}
            loading={remove.isPending}
            error={remove.error ? errorMessage(remove.error) : null}
          />
        </>
      )}
    </>
  );
}

/** Add (no `offering`) or edit a compute offering. The scope is chosen once, at creation. */
export function ComputeOfferingDialog({
  open,
  offering,
  onClose,
  onSaved,
}: {
  open: boolean;
  offering?: ComputeOfferingRow | null;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const editing = !!offering;
  // Remount per opened offering so the form starts from its values.
  return (
    <Dialog open={open} onClose={onClose} title={editing ? `Edit compute offering ${offering.name}` : "Add compute offering"} wide>
      {open && <ComputeOfferingForm key={offering?.id ?? "new"} offering={offering ?? null} onClose={onClose} onSaved={onSaved} />}
    </Dialog>
  );
}

function ComputeOfferingForm({ offering, onClose, onSaved }: { offering: ComputeOfferingRow | null; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const scopes = useScopeOptions(offering === null);
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm({
    resolver: zodResolver(createComputeOfferingInput),
    defaultValues: offering
      ? {
          name: offering.name,
          displayText: offering.displayText ?? "",
          cpuCores: offering.cpuCores,
          cpuMhz: offering.cpuMhz,
          memoryMib: offering.memoryMib,
          cpuCap: offering.cpuCap,
          hostTags: offering.hostTags,
          domainId: offering.domainId,
        }
      : { name: "", displayText: "", cpuCores: 1, cpuMhz: 2000, memoryMib: 1024, cpuCap: false, hostTags: [], domainId: scopes.defaultScope || null },
  });
  const done = async (name: string) => {
    await queryClient.invalidateQueries({ queryKey: trpc.computeOffering.pathKey() });
    onSaved(name);
    onClose();
  };
  const onError = (err: unknown) => setFormError(applyServerError(err, setError, formFields));
  const create = useMutation(trpc.computeOffering.create.mutationOptions({ onSuccess: (o) => done(o.name), onError }));
  const update = useMutation(trpc.computeOffering.update.mutationOptions({ onSuccess: (o) => done(o.name), onError }));
  const errors = formState.errors;

  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={handleSubmit((v) => {
        setFormError(null);
        if (offering) {
          const { domainId: _scope, ...fields } = v;
          update.mutate({ id: offering.id, ...fields });
        } else {
          create.mutate(v);
        }
      })}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" error={errors.name?.message}>
          {(id) => <Input id={id} autoFocus invalid={!!errors.name} {...register("name")} />}
        </Field>
        {offering ? (
          <Field label="Scope" hint="The scope cannot change; create a new offering in another scope instead.">
            {(id) => <Input id={id} value={offering.domainId === null ? "Public" : offering.domainName} disabled readOnly />}
          </Field>
        ) : (
          <Field
            label="Scope"
            error={errors.domainId?.message ?? (scopes.error ? errorMessage(scopes.error) : undefined)}
            hint="Public offerings are visible to every domain; a domain's to it and its sub-domains."
          >
            {(id) =>
              scopes.isLoading ? (
                <Loading label="Loading domains…" />
              ) : (
                <ScopeSelect
                  id={id}
                  options={scopes.options}
                  invalid={!!errors.domainId}
                  {...register("domainId", { setValueAs: (v: unknown) => (v === "" || v == null ? null : v) })}
                />
              )
            }
          </Field>
        )}
        <Field label="Description" error={errors.displayText?.message} className="sm:col-span-2">
          {(id) => <Input id={id} placeholder="e.g. 2 vCPUs, 4 GiB" invalid={!!errors.displayText} {...register("displayText")} />}
        </Field>
        <Field label="vCPUs" error={errors.cpuCores?.message}>
          {(id) => <Input id={id} type="number" min={1} max={256} step={1} invalid={!!errors.cpuCores} {...register("cpuCores", { valueAsNumber: true })} />}
        </Field>
        <Field label="CPU speed (MHz)" error={errors.cpuMhz?.message}>
          {(id) => <Input id={id} type="number" min={100} step={100} invalid={!!errors.cpuMhz} {...register("cpuMhz", { valueAsNumber: true })} />}
        </Field>
        <Field label="Memory (MiB)" error={errors.memoryMib?.message} hint="1024 MiB = 1 GiB">
          {(id) => <Input id={id} type="number" min={64} step={64} invalid={!!errors.memoryMib} {...register("memoryMib", { valueAsNumber: true })} />}
        </Field>
        <Field label="Host tags" error={tagError(errors.hostTags)} hint="Comma-separated; instances only go to hosts with every tag.">
          {(id) => <Input id={id} placeholder="ssd, gpu" invalid={!!errors.hostTags} {...register("hostTags", { setValueAs: parseTags })} />}
        </Field>
        <div className="space-y-2 sm:col-span-2">
          <Checkbox label="Cap CPU use at the offered speed" {...register("cpuCap")} />
        </div>
      </div>
      <FormError message={formError} />
      <div className="flex justify-end gap-2 border-t border-slate-200 pt-4">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" loading={create.isPending || update.isPending}>
          {offering ? "Save changes" : "Create offering"}
        </Button>
      </div>
    </form>
  );
}
