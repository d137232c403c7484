"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { TwoLine } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { FormDialog, NumberField, SelectField, TextField } from "@/components/resource/form-dialog";
import { hypervisorLabel, infraCrumb, options } from "@/components/resource/infrastructure";
import { useResourceMutation } from "@/components/resource/mutations";
import type { RouterOutputs } from "@/components/resource/router-types";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { type Column, DataTable, useTableState } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { hypervisorTypes } from "@/lib/validation/infrastructure";
import { registerTemplateInput, templateFormats } from "@/lib/validation/templates";

type Row = RouterOutputs["template"]["list"][number];
const changes = ["template"] as const;

/** Root admin: templates of every zone; register one from an image on a secondary store. */
export function Templates() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const table = useTableState();
  const { page, pageSize } = table.state;
  // Templates are few: the server sends them all (by name); the table pages them here.
  const list = useQuery(
    trpc.template.list.queryOptions(
      { search: table.query.search },
      { select: (rows) => ({ items: rows.slice((page - 1) * pageSize, page * pageSize), total: rows.length }) },
    ),
  );
  const [registering, setRegistering] = useState(false);
  const confirm = useConfirm();
  const setState = useResourceMutation({
    run: (v: { id: string; state: "active" | "inactive" }) => client.template.update.mutate(v),
    invalidate: changes,
    success: (t) => `Template ${t.name} is now ${t.state}`,
  });
  const remove = useResourceMutation({
    run: (t: Row) => client.template.delete.mutate({ id: t.id }),
    invalidate: changes,
    success: (r, t) => (r.deleted ? `Template ${t.name} deleted` : `Template ${t.name} deactivated: expunged VMs' records still name it`),
    quietErrors: true,
  });

  const columns: Column<Row>[] = [
    { key: "name", header: "Name", cell: (t) => <TwoLine main={t.name} sub={t.path} mono /> },
    {
      key: "hypervisorType",
      header: "Hypervisor",
      hideBelow: "md",
      cell: (t) => (
        <span className="whitespace-nowrap">
          <Badge tone="blue">{hypervisorLabel[t.hypervisorType] ?? t.hypervisorType}</Badge>{" "}
          <span className="text-xs text-slate-600">{t.format}</span>
        </span>
      ),
    },
    { key: "osType", header: "OS type", hideBelow: "xl", cell: (t) => t.osType },
    { key: "sizeGib", header: "Size", cell: (t) => `${t.sizeGib} GiB` },
    {
      key: "zone",
      header: "Zone / store",
      hideBelow: "lg",
      cell: (t) => <TwoLine main={<span className="font-normal">{t.zoneName ?? "All zones"}</span>} sub={t.secondaryStoreName} />,
    },
    { key: "instances", header: "In use", hideBelow: "sm", cell: (t) => t.instances },
    { key: "state", header: "State", cell: (t) => <StateBadge state={t.state} /> },
  ];

  return (
    <>
      <PageHeader
        title="Templates"
        crumbs={[infraCrumb, { label: "Templates" }]}
        description="Images VMs are created from. KVM templates are qcow2 or raw images on a zone's secondary store; the first VM on a primary storage copies the image there once."
        actions={<Button onClick={() => setRegistering(true)}>Register template</Button>}
      />
      <DataTable
        label="templates"
        columns={columns}
        query={list}
        table={table}
        rowKey={(t) => t.id}
        rowName={(t) => `template ${t.name}`}
        searchPlaceholder="Search by name…"
        emptyTitle="No templates"
        emptyHint="Register one from an image on a secondary store."
        rowActions={(t) => [
          {
            label: t.state === "active" ? "Deactivate" : "Activate",
            onSelect: () =>
              void setState.mutateAsync({ id: t.id, state: t.state === "active" ? "inactive" : "active" }).catch(() => undefined),
          },
          {
            label: "Delete",
            danger: true,
            disabled: t.instances > 0 ? `${t.instances} instance${t.instances === 1 ? "" : "s"} use it` : null,
            onSelect: () =>
              confirm.ask({
                title: `Delete template ${t.name}?`,
                message: "The template is deleted, or deactivated when the records of expunged VMs still name it.",
                confirmLabel: "Delete template",
                danger: true,
                run: () => remove.mutateAsync(t),
              }),
          },
        ]}
      />
      <RegisterDialog open={registering} onClose={() => setRegistering(false)} />
      {confirm.dialog}
    </>
  );
}

function RegisterDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const stores = useQuery(trpc.secondaryStore.list.queryOptions({ pageSize: 200, sort: "name" }, { select: (p) => p.items }));
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title="Register template"
      schema={registerTemplateInput}
      defaultValues={{
        name: "",
        osType: "Other Linux (64-bit)",
        hypervisorType: "kvm",
        format: "qcow2",
        secondaryStoreId: stores.data?.[0]?.id ?? "",
        path: "",
        isPublic: true,
      }}
      waitFor={{ query: stores, what: "secondary stores" }}
      submitLabel="Register"
      onSubmit={(v) => client.template.register.mutate(v)}
      invalidate={changes}
      success={(t) => `Template ${t.name} registered`}
    >
      {(f) => {
        const ss = stores.data!;
        return (
          <>
            <TextField form={f} name="name" label="Name" autoFocus />
            <TextField form={f} name="osType" label="OS type" />
            <div className="grid grid-cols-2 gap-3">
              <SelectField
                form={f}
                name="hypervisorType"
                label="Hypervisor"
                options={options(hypervisorLabel, hypervisorTypes)}
                onChange={(h) => f.setValue("format", h === "kvm" ? "qcow2" : "simulator", { shouldValidate: true })}
              />
              <SelectField form={f} name="format" label="Format" options={templateFormats.map((x) => ({ value: x, label: x }))} />
            </div>
            <SelectField
              form={f}
              name="secondaryStoreId"
              label="Secondary store"
              empty="Choose a store…"
              options={ss.map((s) => ({ value: s.id, label: `${s.name} (${s.path})` }))}
            />
            <TextField form={f} name="path" label="Image path" mono hint="Inside the secondary store, e.g. templates/tiny.qcow2" />
            <NumberField form={f} name="sizeGib" label="Size (GiB)" min={1} optional hint="Empty: the image's own size" />
          </>
        );
      }}
    </FormDialog>
  );
}
