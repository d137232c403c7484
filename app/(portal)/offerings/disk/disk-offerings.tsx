"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useCan } from "@/components/shell/caller-context";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DataTable, type Column, useTableState } from "@/components/ui/data-table";
import { Dialog } from "@/components/ui/dialog";
import { Checkbox, Field, Input } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Loading } from "@/components/ui/states";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { createDiskOfferingInput } from "@/lib/validation/offerings";
import {
  DeleteOfferingDialog,
  type DiskOfferingRow,
  errorMessage,
  FormError,
  Notice,
  numberOrNull,
  parseTags,
  RowActions,
  ScopeBadge,
  ScopeSelect,
  StateFilter,
  tagError,
  Tags,
  useRowDialogs,
  useScopeOptions,
} from "../compute/offering-shared";

const formFields = ["name", "displayText", "customSize", "sizeGib", "minGib", "maxGib", "storageTags", "domainId"] as const;

const describeSize = (o: DiskOfferingRow) => (o.customSize ? `Custom, ${o.minGib}–${o.maxGib} GiB` : `${o.sizeGib} GiB`);

export function DiskOfferings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const mayManage = useCan("offering.manage");
  const table = useTableState({ sort: "name" });
  const [state, setState] = useState<"" | "active" | "inactive">("");
  const [notice, setNotice] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const dialogs = useRowDialogs<DiskOfferingRow>();
  const list = useQuery(trpc.diskOffering.list.queryOptions({ ...table.query, state: state || undefined }, { placeholderData: keepPreviousData }));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.diskOffering.pathKey() });

  const setOfferingState = useMutation(
    trpc.diskOffering.setState.mutationOptions({
      onSuccess: async (o) => {
        await invalidate();
        setNotice({ tone: "ok", text: `Disk offering ${o.name} is now ${o.state}` });
      },
      onError: (err) => setNotice({ tone: "error", text: errorMessage(err) }),
    }),
  );
  const remove = useMutation(
    trpc.diskOffering.delete.mutationOptions({
      onSuccess: async (_, vars) => {
        const name = dialogs.deleting?.name ?? vars.id;
        dialogs.setDeleting(null);
        await invalidate();
        setNotice({ tone: "ok", text: `Disk offering ${name} deleted` });
      },
    }),
  );

  const columns: Column<DiskOfferingRow>[] = [
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
    { key: "sizeGib", header: "Size", sortable: true, cell: describeSize },
    { key: "storageTags", header: "Storage tags", cell: (o) => <Tags tags={o.storageTags} /> },
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
        title="Disk offerings"
        crumbs={[{ label: "Offerings" }, { label: "Disk" }]}
        description="Disk sizes, fixed or a custom range, with storage tags. Public offerings are visible to every domain; scoped ones to a domain and its sub-domains."
        actions={mayManage && <Button onClick={() => dialogs.setCreating(true)}>Add offering</Button>}
      />
      <Notice notice={notice} onDismiss={() => setNotice(null)} />
      <DataTable
        label="disk offerings"
        columns={columns}
        rows={list.data?.items}
        total={list.data?.total}
        table={table}
        rowKey={(o) => o.id}
        isLoading={list.isPending}
        error={list.error}
        onRetry={() => list.refetch()}
        searchPlaceholder="Search by name, description or domain…"
        emptyTitle={state ? `No ${state} disk offerings` : "No disk offerings yet"}
        emptyHint={mayManage ? "Add an offering to define a disk size and its storage tags." : undefined}
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
          <DiskOfferingDialog
            open={dialogs.creating}
            onClose={() => dialogs.setCreating(false)}
            onSaved={(name) => setNotice({ tone: "ok", text: `Disk offering ${name} created` })}
          />
          <DiskOfferingDialog
            open={dialogs.editing !== null}
            offering={dialogs.editing}
            onClose={() => dialogs.setEditing(null)}
            onSaved={(name) => setNotice({ tone: "ok", text: `Disk offering ${name} saved` })}
          />
          <DeleteOfferingDialog
            noun="disk offering"
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

export function DiskOfferingDialog({
  open,
  offering,
  onClose,
  onSaved,
}: {
  open: boolean;
  offering?: DiskOfferingRow | null;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title={offering ? `Edit disk offering ${offering.name}` : "Add disk offering"} wide>
      {open && <DiskOfferingForm key={offering?.id ?? "new"} offering={offering ?? null} onClose={onClose} onSaved={onSaved} />}
    </Dialog>
  );
}

function DiskOfferingForm({ offering, onClose, onSaved }: { offering: DiskOfferingRow | null; onClose: () => void; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const scopes = useScopeOptions(offering === null);
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState, watch } = useForm({
    resolver: zodResolver(createDiskOfferingInput),
    defaultValues: offering
      ? {
          name: offering.name,
          displayText: offering.displayText ?? "",
          customSize: offering.customSize,
          sizeGib: offering.sizeGib,
          minGib: offering.minGib,
          maxGib: offering.maxGib,
          storageTags: offering.storageTags,
          domainId: offering.domainId,
        }
      : { name: "", displayText: "", customSize: false, sizeGib: 20, minGib: 1, maxGib: 1024, storageTags: [], domainId: scopes.defaultScope || null },
  });
  const customSize = watch("customSize");
  const done = async (name: string) => {
    await queryClient.invalidateQueries({ queryKey: trpc.diskOffering.pathKey() });
    onSaved(name);
    onClose();
  };
  const onError = (err: unknown) => setFormError(applyServerError(err, setError, formFields));
  const create = useMutation(trpc.diskOffering.create.mutationOptions({ onSuccess: (o) => done(o.name), onError }));
  const update = useMutation(trpc.diskOffering.update.mutationOptions({ onSuccess: (o) => done(o.name), onError }));
  const errors = formState.errors;
  // The size fields not shown (fixed vs custom) drop out of the values, so a stale one cannot block the form.
  const gib = { setValueAs: numberOrNull, shouldUnregister: true };

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
          {(id) => <Input id={id} placeholder="e.g. 100 GiB SSD" invalid={!!errors.displayText} {...register("displayText")} />}
        </Field>
        <div className="sm:col-span-2">
          <Checkbox label="Custom size (the user chooses a size within bounds)" {...register("customSize")} />
        </div>
        {customSize ? (
          <>
            <Field label="Minimum size (GiB)" error={errors.minGib?.message}>
              {(id) => <Input id={id} type="number" min={1} step={1} invalid={!!errors.minGib} {...register("minGib", gib)} />}
            </Field>
            <Field label="Maximum size (GiB)" error={errors.maxGib?.message}>
              {(id) => <Input id={id} type="number" min={1} step={1} invalid={!!errors.maxGib} {...register("maxGib", gib)} />}
            </Field>
          </>
        ) : (
          <Field label="Size (GiB)" error={errors.sizeGib?.message}>
            {(id) => <Input id={id} type="number" min={1} step={1} invalid={!!errors.sizeGib} {...register("sizeGib", gib)} />}
          </Field>
        )}
        <Field label="Storage tags" error={tagError(errors.storageTags)} hint="Comma-separated storage pool tags, e.g. ssd." className="sm:col-span-2">
          {(id) => <Input id={id} placeholder="ssd" invalid={!!errors.storageTags} {...register("storageTags", { setValueAs: parseTags })} />}
        </Field>
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
