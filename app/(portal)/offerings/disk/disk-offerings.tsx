"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { FieldValues } from "react-hook-form";
import { Tags, TwoLine } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { StateFilter, unset, useFilters, WhenLoaded } from "@/components/resource/filters";
import {
  CheckboxField,
  FormDialog,
  type KitForm,
  NumberField,
  ReadOnlyField,
  SelectField,
  TagsField,
  TextField,
} from "@/components/resource/form-dialog";
import { ScopeBadge, scopeText, useOfferingActions, useScopeOptions } from "@/components/resource/offerings";
import type { RouterOutputs } from "@/components/resource/router-types";
import { useCan } from "@/components/shell/caller-context";
import { StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createDiskOfferingInput, type OfferingState, updateDiskOfferingInput } from "@/lib/validation/offerings";

type Row = RouterOutputs["diskOffering"]["list"]["items"][number];
const changes = ["diskOffering"] as const;
const describeSize = (o: Row) => (o.customSize ? `Custom, ${o.minGib}–${o.maxGib} GiB` : `${o.sizeGib} GiB`);

export function DiskOfferings() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const mayManage = useCan("offering.manage");
  const table = useTableState({ sort: "name" });
  const filters = useFilters({ state: unset<OfferingState>() }, () => table.setPage(1));
  const list = useQuery(trpc.diskOffering.list.queryOptions({ ...table.query, ...filters.query }, { placeholderData: keepPreviousData }));
  const [form, setForm] = useState<{ row: Row | null } | null>(null);
  const confirm = useConfirm();
  const actions = useOfferingActions<Row>(
    "diskOffering",
    "Disk offering",
    { setState: (v) => client.diskOffering.setState.mutate(v), remove: (id) => client.diskOffering.delete.mutate({ id }) },
    confirm,
    (row) => setForm({ row }),
  );

  const columns: Column<Row>[] = [
    { key: "name", header: "Name", sortable: true, cell: (o) => <TwoLine main={o.name} sub={o.displayText} /> },
    { key: "sizeGib", header: "Size", sortable: true, cell: describeSize },
    { key: "storageTags", header: "Storage tags", hideBelow: "lg", cell: (o) => <Tags tags={o.storageTags} /> },
    { key: "scope", header: "Scope", sortable: true, hideBelow: "md", cell: (o) => <ScopeBadge row={o} /> },
    { key: "state", header: "State", sortable: true, cell: (o) => <StateBadge state={o.state} /> },
  ];
  const row = form?.row;

  return (
    <>
      <PageHeader
        title="Disk offerings"
        crumbs={[{ label: "Offerings" }, { label: "Disk" }]}
        description="Volume sizes, fixed or chosen within bounds, and the storage tags that would place them. Nothing uses disk offerings yet: instances get their root disk from the template."
        actions={mayManage && <Button onClick={() => setForm({ row: null })}>Add offering</Button>}
      />
      <DataTable
        label="disk offerings"
        columns={columns}
        query={list}
        table={table}
        rowKey={(o) => o.id}
        rowName={(o) => `disk offering ${o.name}`}
        searchPlaceholder="Search by name, description or domain…"
        emptyTitle={filters.active ? `No ${filters.values.state} disk offerings` : "No disk offerings yet"}
        emptyHint="Disk offerings are not used by anything yet: Stratus has no data volumes, and instances get their root disk from the template."
        filters={<StateFilter kind="offering" value={filters.values.state} onChange={(v) => filters.set("state", v as OfferingState)} />}
        rowActions={mayManage ? actions : undefined}
      />
      {row ? (
        <FormDialog
          open
          wide
          onClose={() => setForm(null)}
          title={`Edit disk offering ${row.name}`}
          schema={updateDiskOfferingInput}
          defaultValues={{
            id: row.id,
            name: row.name,
            displayText: row.displayText ?? "",
            customSize: row.customSize,
            sizeGib: row.sizeGib,
            minGib: row.minGib,
            maxGib: row.maxGib,
            storageTags: row.storageTags,
          }}
          submitLabel="Save changes"
          onSubmit={(v) => client.diskOffering.update.mutate(v)}
          invalidate={changes}
          success={(o) => `Disk offering ${o.name} saved`}
        >
          {(f) => (
            <div className="grid gap-4 sm:grid-cols-2">
              <TextField form={f} name="name" label="Name" autoFocus />
              <ReadOnlyField
                label="Scope"
                value={scopeText(row)}
                hint="The scope cannot change; create a new offering in another scope instead."
              />
              <SizeFields form={f} />
            </div>
          )}
        </FormDialog>
      ) : (
        <NewOffering open={form !== null} onClose={() => setForm(null)} />
      )}
      {confirm.dialog}
    </>
  );
}

function NewOffering({ open, onClose }: { open: boolean; onClose: () => void }) {
  const client = useTRPCClient();
  const scopes = useScopeOptions();
  return (
    <FormDialog
      open={open}
      wide
      onClose={onClose}
      title="Add disk offering"
      schema={createDiskOfferingInput}
      defaultValues={{
        name: "",
        displayText: "",
        customSize: false,
        sizeGib: 20,
        minGib: 1,
        maxGib: 1024,
        storageTags: [],
        domainId: scopes.defaultScope,
      }}
      submitLabel="Create offering"
      onSubmit={(v) => client.diskOffering.create.mutate(v)}
      invalidate={changes}
      success={(o) => `Disk offering ${o.name} created`}
    >
      {(f) => (
        <WhenLoaded query={scopes} what="domains">
          {(options) => (
            <div className="grid gap-4 sm:grid-cols-2">
              <TextField form={f} name="name" label="Name" autoFocus />
              <SelectField
                form={f}
                name="domainId"
                label="Scope"
                emptyIsNull
                options={options}
                hint="Public offerings are visible to every domain; a domain's to it and its sub-domains."
              />
              <SizeFields form={f} />
            </div>
          )}
        </WhenLoaded>
      )}
    </FormDialog>
  );
}

type Size = {
  displayText?: string;
  customSize: boolean;
  sizeGib?: number | null;
  minGib?: number | null;
  maxGib?: number | null;
  storageTags: string[];
};

/** Everything but the name and scope. The size fields not shown drop out of the values (`nullable`). */
function SizeFields<TIn extends FieldValues, TOut extends FieldValues>({ form }: { form: KitForm<TIn, TOut> }) {
  const f = form as unknown as KitForm<Size, Size>;
  return (
    <>
      <TextField form={f} name="displayText" label="Description" placeholder="e.g. 100 GiB SSD" className="sm:col-span-2" />
      <CheckboxField form={f} name="customSize" label="Custom size (the user chooses a size within bounds)" className="sm:col-span-2" />
      {f.watch("customSize") ? (
        <>
          <NumberField form={f} name="minGib" label="Minimum size (GiB)" min={1} nullable />
          <NumberField form={f} name="maxGib" label="Maximum size (GiB)" min={1} nullable />
        </>
      ) : (
        <NumberField form={f} name="sizeGib" label="Size (GiB)" min={1} nullable />
      )}
      <TagsField
        form={f}
        name="storageTags"
        label="Storage tags"
        className="sm:col-span-2"
        hint="Comma-separated; volumes would only go to storage pools with every tag."
      />
    </>
  );
}
