"use client";
import { useState } from "react";
import type { DefaultValues, FieldValues } from "react-hook-form";
import type { z } from "zod";
import { deletion, useConfirm } from "@/components/resource/confirm";
import { type RouterKey, useResourceMutation } from "@/components/resource/mutations";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, type ListQuery, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import type { MenuAction } from "@/components/ui/row-menu";
import type { OfferingState } from "@/lib/validation/offerings";
import { TwoLine } from "./cells";
import { StateFilter, unset, useFilters } from "./filters";
import { FormDialog, type KitForm, ReadOnlyField, SelectField, TextField } from "./form-dialog";
import { useDomainOptions } from "./options";

/**
 * The compute and disk offering pages: one page of the kit, each kind giving only its columns, its
 * size fields and its API. Also the scope choices, the scope badge and the row actions they share.
 */

export interface OfferingRowBase {
  id: string;
  name: string;
  state: "active" | "inactive";
  domainId: string | null;
  domainName: string;
  canManage: boolean;
}

export function ScopeBadge({ row }: { row: { domainId: string | null; domainName: string } }) {
  return row.domainId === null ? <Badge tone="blue">Public</Badge> : <Badge tone="gray">{row.domainName}</Badge>;
}

export const scopeText = (row: { domainId: string | null; domainName: string }) => (row.domainId === null ? "Public" : row.domainName);

/**
 * Where the caller may put a new offering: "Public" (root admin only), then every domain of its
 * subtree, labelled with its path. The default is public for the root admin, its own domain otherwise.
 */
export function useScopeOptions() {
  const caller = useCaller();
  const domains = useDomainOptions();
  const root = caller.accountType === "root_admin";
  const data = domains.data && (root ? [{ value: "", label: "Public (every domain)" }, ...domains.data] : domains.data);
  return { ...domains, data, defaultScope: root ? null : caller.domainId };
}

/** Edit, Activate/Deactivate and Delete; read-only rows say who manages them. */
function useOfferingActions<T extends OfferingRowBase>(
  kind: "computeOffering" | "diskOffering" | "networkOffering",
  noun: string,
  run: {
    setState: (v: { id: string; state: "active" | "inactive" }) => Promise<{ name: string; state: string }>;
    remove: (id: string) => Promise<unknown>;
  },
  confirm: ReturnType<typeof useConfirm>,
  onEdit: (row: T) => void,
) {
  const invalidate: RouterKey[] = [kind];
  const setState = useResourceMutation({ run: run.setState, invalidate, success: (o) => `${noun} ${o.name} is now ${o.state}` });
  const remove = useResourceMutation({
    run: (o: T) => run.remove(o.id),
    invalidate,
    success: (_, o) => `${noun} ${o.name} deleted`,
    quietErrors: true,
  });
  return (o: T): MenuAction[] => {
    const readOnly = o.canManage
      ? null
      : o.domainId === null
        ? "Public offerings are managed by the root administrator"
        : "Managed by a parent domain's administrator";
    return [
      { label: "Edit", disabled: readOnly, onSelect: () => onEdit(o) },
      {
        label: o.state === "active" ? "Deactivate" : "Activate",
        disabled: readOnly,
        onSelect: () => void setState.mutateAsync({ id: o.id, state: o.state === "active" ? "inactive" : "active" }).catch(() => undefined),
      },
      {
        label: "Delete",
        danger: true,
        disabled: readOnly,
        onSelect: () =>
          confirm.ask(
            deletion(
              noun.toLowerCase(),
              o.name,
              () => remove.mutateAsync(o),
              "An offering that something still uses cannot be deleted; deactivate it instead so nothing new uses it.",
            ),
          ),
      },
    ];
  };
}

/** The table state and filters of an offering list, and what to send to its `list` procedure. */
export function useOfferingList() {
  const table = useTableState({ sort: "name" });
  const filters = useFilters({ state: unset<OfferingState>() }, () => table.setPage(1));
  return { table, filters, input: { ...table.query, ...filters.query } };
}

interface OfferingApi<CreateOut, UpdateOut> {
  create: { mutate: (v: CreateOut) => Promise<{ name: string }> };
  update: { mutate: (v: UpdateOut) => Promise<{ name: string }> };
  setState: { mutate: (v: { id: string; state: OfferingState }) => Promise<{ name: string; state: string }> };
  delete: { mutate: (v: { id: string }) => Promise<unknown> };
}

export function OfferingPage<
  Row extends OfferingRowBase & { displayText: string | null },
  CreateIn extends FieldValues,
  CreateOut extends FieldValues,
  UpdateIn extends FieldValues,
  UpdateOut extends FieldValues,
>({
  kind,
  noun,
  crumb,
  description,
  emptyHint,
  state,
  query,
  api,
  columns,
  createSchema,
  newValues,
  updateSchema,
  editValues,
  fields,
}: {
  kind: "computeOffering" | "diskOffering" | "networkOffering";
  /** "Compute offering" */
  noun: string;
  crumb: string;
  description: string;
  emptyHint?: string;
  state: ReturnType<typeof useOfferingList>;
  query: ListQuery<Row>;
  api: OfferingApi<CreateOut, UpdateOut>;
  /** The columns between the name and the scope. */
  columns: Column<Row>[];
  createSchema: z.ZodType<CreateOut, CreateIn>;
  /** A new offering's values but its name and scope. */
  newValues: Omit<DefaultValues<CreateIn>, "name" | "domainId">;
  updateSchema: z.ZodType<UpdateOut, UpdateIn>;
  editValues: (row: Row) => DefaultValues<UpdateIn>;
  /** Everything but the name and scope, the same in the add and edit forms. */
  fields: (form: KitForm<FieldValues, FieldValues>) => React.ReactNode;
}) {
  const mayManage = useCan("offering.manage");
  const scopes = useScopeOptions();
  const [form, setForm] = useState<{ row: Row | null } | null>(null);
  const confirm = useConfirm();
  const actions = useOfferingActions<Row>(
    kind,
    noun,
    { setState: (v) => api.setState.mutate(v), remove: (id) => api.delete.mutate({ id }) },
    confirm,
    (row) => setForm({ row }),
  );
  const { table, filters } = state;
  const plural = `${noun.toLowerCase()}s`;
  const row = form?.row;
  const title = `${noun}s`;
  const body = (f: KitForm<FieldValues, FieldValues>, scope: React.ReactNode) => (
    <div className="grid gap-4 sm:grid-cols-2">
      <TextField form={f} name="name" label="Name" autoFocus />
      {scope}
      {fields(f)}
    </div>
  );
  return (
    <>
      <PageHeader
        title={title}
        crumbs={[{ label: "Offerings" }, { label: crumb }]}
        description={description}
        actions={mayManage && <Button onClick={() => setForm({ row: null })}>Add offering</Button>}
      />
      <DataTable
        label={plural}
        columns={[
          { key: "name", header: "Name", sortable: true, cell: (o) => <TwoLine main={o.name} sub={o.displayText} /> },
          ...columns,
          { key: "scope", header: "Scope", sortable: true, hideBelow: "md", cell: (o) => <ScopeBadge row={o} /> },
          { key: "state", header: "State", sortable: true, cell: (o) => <StateBadge state={o.state} /> },
        ]}
        query={query}
        table={table}
        rowKey={(o) => o.id}
        rowName={(o) => `${noun.toLowerCase()} ${o.name}`}
        searchPlaceholder="Search by name, description or domain…"
        emptyTitle={filters.active ? `No ${filters.values.state} ${plural}` : `No ${plural} yet`}
        emptyHint={emptyHint}
        filters={<StateFilter kind="offering" value={filters.values.state} onChange={(v) => filters.set("state", v as OfferingState)} />}
        rowActions={mayManage ? actions : undefined}
      />
      {row ? (
        <FormDialog
          open
          wide
          onClose={() => setForm(null)}
          title={`Edit ${noun.toLowerCase()} ${row.name}`}
          schema={updateSchema}
          defaultValues={editValues(row)}
          submitLabel="Save changes"
          onSubmit={(v) => api.update.mutate(v)}
          invalidate={[kind]}
          success={(o) => `${noun} ${o.name} saved`}
        >
          {(f) =>
            body(
              f as unknown as KitForm<FieldValues, FieldValues>,
              <ReadOnlyField
                label="Scope"
                value={scopeText(row)}
                hint="The scope cannot change; create a new offering in another scope instead."
              />,
            )
          }
        </FormDialog>
      ) : (
        <FormDialog
          open={form !== null}
          wide
          onClose={() => setForm(null)}
          title={`Add ${noun.toLowerCase()}`}
          waitFor={{ query: scopes, what: "domains" }}
          schema={createSchema}
          defaultValues={{ name: "", ...newValues, domainId: scopes.defaultScope } as DefaultValues<CreateIn>}
          submitLabel="Create offering"
          onSubmit={(v) => api.create.mutate(v)}
          invalidate={[kind]}
          success={(o) => `${noun} ${o.name} created`}
        >
          {(f) =>
            body(
              f as unknown as KitForm<FieldValues, FieldValues>,
              <SelectField
                form={f as unknown as KitForm<FieldValues, FieldValues>}
                name="domainId"
                label="Scope"
                emptyIsNull
                options={scopes.data ?? []}
                hint="Public offerings are visible to every domain; a domain's to it and its sub-domains."
              />,
            )
          }
        </FormDialog>
      )}
      {confirm.dialog}
    </>
  );
}
