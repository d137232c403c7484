"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { registerTemplateInput } from "@/lib/validation/templates";

/** Root admin: templates of every zone; register one from an image on a secondary store. */
export function Templates() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.template.list.queryOptions({}));
  const [open, setOpen] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.template.pathKey() });
  const del = useMutation(trpc.template.delete.mutationOptions({ onSettled: refresh }));
  const setState = useMutation(trpc.template.update.mutationOptions({ onSettled: refresh }));
  return (
    <>
      <PageHeader
        title="Templates"
        description="Images VMs are created from. KVM templates are qcow2 or raw images on a zone's secondary store; the first VM on a primary storage copies the image there once."
        actions={<Button onClick={() => setOpen(true)}>Register template</Button>}
      />
      <Card>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        ) : list.data.length === 0 ? (
          <EmptyState title="No templates" hint="Register one from an image on a secondary store." />
        ) : (
          <table className="w-full text-sm">
            <thead className="text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="py-2">Name</th>
                <th>Hypervisor</th>
                <th>OS type</th>
                <th>Size</th>
                <th>Zone / store</th>
                <th>In use</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.map((t) => (
                <tr key={t.id} className="border-t border-slate-100">
                  <td className="py-2">
                    <div className="font-medium">{t.name}</div>
                    <div className="font-mono text-xs text-slate-500">{t.path}</div>
                  </td>
                  <td>
                    <Badge tone="blue">{t.hypervisorType === "kvm" ? "KVM" : "Simulator"}</Badge> <span className="text-xs text-slate-500">{t.format}</span>
                  </td>
                  <td>{t.osType}</td>
                  <td>{t.sizeGib} GiB</td>
                  <td>
                    {t.zoneName ?? "All zones"}
                    {t.secondaryStoreName ? <div className="text-xs text-slate-500">{t.secondaryStoreName}</div> : null}
                  </td>
                  <td>{t.instances}</td>
                  <td>
                    <StateBadge state={t.state} />
                  </td>
                  <td className="space-x-2 text-right">
                    <Button size="sm" variant="secondary" onClick={() => setState.mutate({ id: t.id, state: t.state === "active" ? "inactive" : "active" })}>
                      {t.state === "active" ? "Deactivate" : "Activate"}
                    </Button>
                    <Button size="sm" variant="danger" disabled={t.instances > 0} onClick={() => del.mutate({ id: t.id })} aria-label={`Delete ${t.name}`}>
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {del.error ? <p className="mt-2 text-sm text-red-600">{del.error.message}</p> : null}
      </Card>
      {open ? <RegisterDialog onClose={() => setOpen(false)} onDone={refresh} /> : null}
    </>
  );
}

function RegisterDialog({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const stores = useQuery(trpc.secondaryStore.list.queryOptions({ pageSize: 100 }));
  const [form, setForm] = useState({ name: "", osType: "Other Linux (64-bit)", hypervisorType: "kvm", format: "qcow2", secondaryStoreId: "", path: "", sizeGib: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const register = useMutation(
    trpc.template.register.mutationOptions({
      onSuccess: () => {
        onDone();
        onClose();
      },
      onError: (e) => {
        const field = (e.data as { field?: string } | undefined)?.field;
        setErrors({ [field ?? "form"]: e.message });
      },
    }),
  );
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm((f) => ({ ...f, [k]: e.target.value }));
  function submit(e: React.FormEvent) {
    e.preventDefault();
    const parsed = registerTemplateInput.safeParse({
      ...form,
      secondaryStoreId: form.secondaryStoreId || stores.data?.items[0]?.id || "",
      sizeGib: form.sizeGib ? Number(form.sizeGib) : undefined,
      isPublic: true,
    });
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? "form"), i.message])));
      return;
    }
    setErrors({});
    register.mutate(parsed.data);
  }
  return (
    <Dialog
      open
      onClose={onClose}
      title="Register template"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="register-template" loading={register.isPending}>
            Register
          </Button>
        </>
      }
    >
      <form id="register-template" className="space-y-3" onSubmit={submit} noValidate>
        <Field label="Name" error={errors.name}>{(id) => <Input id={id} value={form.name} onChange={set("name")} invalid={!!errors.name} />}</Field>
        <Field label="OS type" error={errors.osType}>{(id) => <Input id={id} value={form.osType} onChange={set("osType")} />}</Field>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Hypervisor" error={errors.hypervisorType}>
            {(id) => (
              <Select id={id} value={form.hypervisorType} onChange={(e) => setForm((f) => ({ ...f, hypervisorType: e.target.value, format: e.target.value === "kvm" ? "qcow2" : "simulator" }))}>
                <option value="kvm">KVM</option>
                <option value="simulator">Simulator</option>
              </Select>
            )}
          </Field>
          <Field label="Format" error={errors.format}>
            {(id) => (
              <Select id={id} value={form.format} onChange={set("format")}>
                <option value="qcow2">qcow2</option>
                <option value="raw">raw</option>
                <option value="simulator">simulator</option>
              </Select>
            )}
          </Field>
        </div>
        <Field label="Secondary store" error={errors.secondaryStoreId}>
          {(id) => (
            <Select id={id} value={form.secondaryStoreId} onChange={set("secondaryStoreId")}>
              {(stores.data?.items ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name} ({s.path})
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Image path" error={errors.path} hint="Inside the secondary store, e.g. templates/tiny.qcow2">
          {(id) => <Input id={id} className="font-mono" value={form.path} onChange={set("path")} invalid={!!errors.path} spellCheck={false} />}
        </Field>
        <Field label="Size (GiB)" error={errors.sizeGib} hint="Empty: the image's own size">
          {(id) => <Input id={id} type="number" min={1} value={form.sizeGib} onChange={set("sizeGib")} />}
        </Field>
        {errors.form ? <p className="text-sm text-red-600">{errors.form}</p> : null}
      </form>
    </Dialog>
  );
}
