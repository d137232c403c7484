"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { FieldValues } from "react-hook-form";
import { None, Tags, TwoLine } from "@/components/resource/cells";
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
import { formatMib } from "@/components/resource/format";
import { ScopeBadge, scopeText, useOfferingActions, useScopeOptions } from "@/components/resource/offerings";
import type { RouterOutputs } from "@/components/resource/router-types";
import { useCan } from "@/components/shell/caller-context";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { createComputeOfferingInput, type OfferingState, updateComputeOfferingInput } from "@/lib/validation/offerings";

type Row = RouterOutputs["computeOffering"]["list"]["items"][number];
const changes = ["computeOffering"] as const;
const editSchema = updateComputeOfferingInput.omit({ id: true });

export function ComputeOfferings() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const mayManage = useCan("offering.manage");
  const table = useTableState({ sort: "name" });
  const filters = useFilters({ state: unset<OfferingState>() }, () => table.setPage(1));
  const list = useQuery(
    trpc.computeOffering.list.queryOptions({ ...table.query, ...filters.query }, { placeholderData: keepPreviousData }),
  );
  const [form, setForm] = useState<{ row: Row | null } | null>(null);
  const confirm = useConfirm();
  const actions = useOfferingActions<Row>(
    "computeOffering",
    "Compute offering",
    { setState: (v) => client.computeOffering.setState.mutate(v), remove: (id) => client.computeOffering.delete.mutate({ id }) },
    confirm,
    (row) => setForm({ row }),
  );

  const columns: Column<Row>[] = [
    { key: "name", header: "Name", sortable: true, cell: (o) => <TwoLine main={o.name} sub={o.displayText} /> },
    {
      key: "cpuCores",
      header: "CPU",
      sortable: true,
      cell: (o) => (
        <span className="whitespace-nowrap">
          {o.cpuCores} vCPU × {o.cpuMhz} MHz
        </span>
      ),
    },
    { key: "memoryMib", header: "Memory", sortable: true, cell: (o) => formatMib(o.memoryMib) },
    { key: "flags", header: "Options", hideBelow: "lg", cell: (o) => (o.cpuCap ? <Badge tone="amber">CPU cap</Badge> : <None />) },
    { key: "hostTags", header: "Host tags", hideBelow: "lg", cell: (o) => <Tags tags={o.hostTags} /> },
    { key: "scope", header: "Scope", sortable: true, hideBelow: "md", cell: (o) => <ScopeBadge row={o} /> },
    { key: "state", header: "State", sortable: true, cell: (o) => <StateBadge state={o.state} /> },
  ];
  const row = form?.row;

  return (
    <>
      <PageHeader
        title="Compute offerings"
        crumbs={[{ label: "Offerings" }, { label: "Compute" }]}
        description="Instance sizes: vCPUs, CPU speed, memory and host tags. Public offerings are visible to every domain; scoped ones to a domain and its sub-domains."
        actions={mayManage && <Button onClick={() => setForm({ row: null })}>Add offering</Button>}
      />
      <DataTable
        label="compute offerings"
        columns={columns}
        query={list}
        table={table}
        rowKey={(o) => o.id}
        rowName={(o) => `compute offering ${o.name}`}
        searchPlaceholder="Search by name, description or domain…"
        emptyTitle={filters.active ? `No ${filters.values.state} compute offerings` : "No compute offerings yet"}
        emptyHint={mayManage ? "Add an offering so users can deploy instances of that size." : undefined}
        filters={<StateFilter kind="offering" value={filters.values.state} onChange={(v) => filters.set("state", v as OfferingState)} />}
        rowActions={mayManage ? actions : undefined}
      />
      {row ? (
        <FormDialog
          open
          wide
          onClose={() => setForm(null)}
          title={`Edit compute offering ${row.name}`}
          schema={editSchema}
          defaultValues={{
            name: row.name,
            displayText: row.displayText ?? "",
            cpuCores: row.cpuCores,
            cpuMhz: row.cpuMhz,
            memoryMib: row.memoryMib,
            cpuCap: row.cpuCap,
            hostTags: row.hostTags,
          }}
          submitLabel="Save changes"
          onSubmit={(v) => client.computeOffering.update.mutate({ id: row.id, ...v })}
          invalidate={changes}
          success={(o) => `Compute offering ${o.name} saved`}
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
      title="Add compute offering"
      schema={createComputeOfferingInput}
      defaultValues={{
        name: "",
        displayText: "",
        cpuCores: 1,
        cpuMhz: 1000,
        memoryMib: 1024,
        cpuCap: false,
        hostTags: [],
        domainId: scopes.defaultScope,
      }}
      submitLabel="Create offering"
      onSubmit={(v) => client.computeOffering.create.mutate(v)}
      invalidate={changes}
      success={(o) => `Compute offering ${o.name} created`}
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

type Size = { displayText?: string; cpuCores: number; cpuMhz: number; memoryMib: number; cpuCap: boolean; hostTags: string[] };

/** Everything but the name and scope, the same in the add and edit forms. */
function SizeFields<TIn extends FieldValues, TOut extends FieldValues>({ form }: { form: KitForm<TIn, TOut> }) {
  const f = form as unknown as KitForm<Size, Size>;
  return (
    <>
      <TextField form={f} name="displayText" label="Description" placeholder="e.g. 2 vCPUs, 4 GiB" className="sm:col-span-2" />
      <NumberField form={f} name="cpuCores" label="vCPUs" min={1} max={256} step={1} />
      <NumberField form={f} name="cpuMhz" label="CPU speed (MHz)" min={100} step={100} />
      <NumberField form={f} name="memoryMib" label="Memory (MiB)" min={64} step={64} hint="1024 MiB = 1 GiB" />
      <TagsField form={f} name="hostTags" label="Host tags" hint="Comma-separated; instances only go to hosts with every tag." />
      <CheckboxField form={f} name="cpuCap" label="Cap CPU use at the offered speed" className="sm:col-span-2" />
    </>
  );
}
