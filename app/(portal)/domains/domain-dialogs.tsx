"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useForm } from "react-hook-form";
import { displayPath, DomainOptions } from "@/components/resource/domain-tree";
import type { DomainNode } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { Button } from "@/components/ui/button";
import { Dialog, useOpeningState } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { createDomainInput, moveDomainInput, renameDomainInput } from "@/lib/validation/identity";

function FormError({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700">
      {message}
    </p>
  ) : null;
}

function useInvalidateDomains() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.domain.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.account.pathKey() }),
    ]);
}

function Footer({ formId, label, loading, onClose }: { formId: string; label: string; loading: boolean; onClose: () => void }) {
  return (
    <>
      <Button variant="secondary" onClick={onClose}>
        Cancel
      </Button>
      <Button type="submit" form={formId} loading={loading}>
        {label}
      </Button>
    </>
  );
}

export function CreateDomainDialog({
  parent,
  nodes,
  onClose,
  onCreated,
}: {
  parent: DomainNode | null;
  nodes: DomainNode[];
  onClose: () => void;
  onCreated: (id: string) => void;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDomains();
  const [formError, setFormError] = useOpeningState<string | null>(parent, null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(createDomainInput),
    defaultValues: { parentId: "", name: "" },
  });
  useEffect(() => {
    if (parent) reset({ parentId: parent.id, name: "" });
  }, [parent, reset]);
  const create = useMutation(
    trpc.domain.create.mutationOptions({
      onSuccess: async (d) => {
        await invalidate();
        toast(`Domain ${d.name} created`);
        onClose();
        onCreated(d.id);
      },
      onError: (err) => setFormError(applyServerError(err, setError, ["name", "parentId"])),
    }),
  );
  return (
    <Dialog
      open={parent !== null}
      onClose={onClose}
      title="Add sub-domain"
      footer={<Footer formId="create-domain-form" label="Create domain" loading={create.isPending} onClose={onClose} />}
    >
      <form id="create-domain-form" noValidate className="space-y-4" onSubmit={(e) => void handleSubmit((v) => create.mutate(v))(e)}>
        <div className="text-sm">
          <p className="font-medium text-slate-700">Parent domain</p>
          <p className="mt-1 text-slate-600">{parent ? displayPath(nodes, parent.id) : ""}</p>
        </div>
        <Field label="Domain name" error={formState.errors.name?.message ?? formState.errors.parentId?.message}>
          {(id) => <Input id={id} autoFocus autoComplete="off" invalid={Boolean(formState.errors.name)} {...register("name")} />}
        </Field>
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}

export function RenameDomainDialog({ domain, onClose }: { domain: DomainNode | null; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDomains();
  const [formError, setFormError] = useOpeningState<string | null>(domain, null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(renameDomainInput),
    defaultValues: { id: "", name: "" },
  });
  useEffect(() => {
    if (domain) reset({ id: domain.id, name: domain.name });
  }, [domain, reset]);
  const rename = useMutation(
    trpc.domain.rename.mutationOptions({
      onSuccess: async (d) => {
        await invalidate();
        toast(`Domain renamed to ${d.name}`);
        onClose();
      },
      onError: (err) => setFormError(applyServerError(err, setError, ["name"])),
    }),
  );
  return (
    <Dialog
      open={domain !== null}
      onClose={onClose}
      title={`Rename ${domain?.name ?? "domain"}`}
      footer={<Footer formId="rename-domain-form" label="Rename" loading={rename.isPending} onClose={onClose} />}
    >
      <form id="rename-domain-form" noValidate className="space-y-4" onSubmit={(e) => void handleSubmit((v) => rename.mutate(v))(e)}>
        <Field label="New name" error={formState.errors.name?.message}>
          {(id) => <Input id={id} autoFocus autoComplete="off" invalid={Boolean(formState.errors.name)} {...register("name")} />}
        </Field>
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}

export function MoveDomainDialog({ domain, nodes, onClose }: { domain: DomainNode | null; nodes: DomainNode[]; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDomains();
  const [formError, setFormError] = useOpeningState<string | null>(domain, null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(moveDomainInput),
    defaultValues: { id: "", parentId: "" },
  });
  useEffect(() => {
    if (domain) reset({ id: domain.id, parentId: domain.parentId ?? "" });
  }, [domain, reset]);
  const move = useMutation(
    trpc.domain.move.mutationOptions({
      onSuccess: async (d) => {
        await invalidate();
        toast(`Domain ${d.name} moved`);
        onClose();
      },
      onError: (err) => setFormError(applyServerError(err, setError, ["parentId"])),
    }),
  );
  return (
    <Dialog
      open={domain !== null}
      onClose={onClose}
      title={`Move ${domain?.name ?? "domain"}`}
      footer={<Footer formId="move-domain-form" label="Move" loading={move.isPending} onClose={onClose} />}
    >
      <form id="move-domain-form" noValidate className="space-y-4" onSubmit={(e) => void handleSubmit((v) => move.mutate(v))(e)}>
        <p className="text-sm text-slate-600">
          The domain moves with its sub-domains and accounts. Their use then counts against the new parent&apos;s limits, which must allow
          it.
        </p>
        <Field label="New parent domain" error={formState.errors.parentId?.message}>
          {(id) => (
            <Select id={id} invalid={Boolean(formState.errors.parentId)} {...register("parentId")}>
              <DomainOptions nodes={nodes} exclude={(n) => (domain ? n.path.startsWith(domain.path) : false)} />
            </Select>
          )}
        </Field>
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}
