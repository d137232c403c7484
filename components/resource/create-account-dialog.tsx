"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useForm } from "react-hook-form";
import { useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { Dialog, useOpeningState } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { createAccountInput } from "@/lib/validation/identity";
import { DomainOptions } from "./domain-tree";
import { toast } from "./toast";

const fields = ["domainId", "name", "type", "username", "password", "email", "firstName", "lastName"] as const;

/** "Add account": the account and its first user in one step (CloudStack's createAccount). */
export function CreateAccountDialog({
  open,
  onClose,
  defaultDomainId,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  defaultDomainId?: string;
  onCreated?: (accountId: string) => void;
}) {
  const caller = useCaller();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tree = useQuery({ ...trpc.domain.tree.queryOptions(), enabled: open });
  const [formError, setFormError] = useOpeningState<string | null>(open, null);
  const form = useForm({
    resolver: zodResolver(createAccountInput),
    defaultValues: {
      domainId: defaultDomainId ?? "",
      name: "",
      type: "user" as const,
      username: "",
      password: "",
      email: "",
      firstName: "",
      lastName: "",
    },
  });
  const { register, handleSubmit, reset, setError, setValue, getValues, formState } = form;
  const { errors } = formState;

  useEffect(() => {
    if (open) {
      reset({
        domainId: defaultDomainId ?? "",
        name: "",
        type: "user",
        username: "",
        password: "",
        email: "",
        firstName: "",
        lastName: "",
      });
    }
  }, [open, defaultDomainId, reset]);
  // Until the tree loads the select has no options; then (re)apply the value so the select shows it,
  // defaulting to the given domain or the caller's own top domain.
  useEffect(() => {
    const first = tree.data?.[0];
    if (open && first)
      setValue("domainId", getValues("domainId") || defaultDomainId || first.id, { shouldValidate: formState.isSubmitted });
  }, [open, tree.data, defaultDomainId, getValues, setValue, formState.isSubmitted]);

  const create = useMutation(
    trpc.account.create.mutationOptions({
      onSuccess: async (res) => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.account.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.domain.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.user.pathKey() }),
        ]);
        toast(`Account ${res.account.name} created with user ${res.user.username}`);
        onClose();
        onCreated?.(res.account.id);
      },
      onError: (err) => setFormError(applyServerError(err, setError, fields)),
    }),
  );

  const submit = handleSubmit((values) => {
    setFormError(null);
    create.mutate(values);
  });

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Add account"
      wide
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="create-account-form" loading={create.isPending} disabled={!tree.data}>
            Create account
          </Button>
        </>
      }
    >
      <form id="create-account-form" onSubmit={(e) => void submit(e)} noValidate className="grid gap-4 sm:grid-cols-2">
        <Field label="Domain" error={errors.domainId?.message} className="sm:col-span-2">
          {(id) => (
            <Select id={id} invalid={Boolean(errors.domainId)} {...register("domainId")}>
              {tree.isPending && <option value="">Loading domains…</option>}
              {tree.data && <DomainOptions nodes={tree.data} />}
            </Select>
          )}
        </Field>
        <Field label="Account name" error={errors.name?.message}>
          {(id) => <Input id={id} autoFocus invalid={Boolean(errors.name)} {...register("name")} />}
        </Field>
        <Field label="Account type" error={errors.type?.message} hint="Domain admins manage their domain's sub-domains, accounts and users">
          {(id) => (
            <Select id={id} invalid={Boolean(errors.type)} {...register("type")}>
              <option value="user">User</option>
              <option value="domain_admin">Domain admin</option>
              {caller.accountType === "root_admin" && <option value="root_admin">Root admin (ROOT domain only)</option>}
            </Select>
          )}
        </Field>
        <div className="sm:col-span-2">
          <h3 className="border-t border-slate-200 pt-4 text-sm font-semibold text-slate-800">First user</h3>
          <p className="text-xs text-slate-600">Every account starts with one user; add more later.</p>
        </div>
        <Field label="Username" error={errors.username?.message}>
          {(id) => <Input id={id} autoComplete="off" invalid={Boolean(errors.username)} {...register("username")} />}
        </Field>
        <Field label="Password" error={errors.password?.message} hint="At least 8 characters">
          {(id) => (
            <Input id={id} type="password" autoComplete="new-password" invalid={Boolean(errors.password)} {...register("password")} />
          )}
        </Field>
        <Field label="Email" error={errors.email?.message} className="sm:col-span-2">
          {(id) => <Input id={id} type="email" invalid={Boolean(errors.email)} {...register("email")} />}
        </Field>
        <Field label="First name" error={errors.firstName?.message}>
          {(id) => <Input id={id} invalid={Boolean(errors.firstName)} {...register("firstName")} />}
        </Field>
        <Field label="Last name" error={errors.lastName?.message}>
          {(id) => <Input id={id} invalid={Boolean(errors.lastName)} {...register("lastName")} />}
        </Field>
        {formError && (
          <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700 sm:col-span-2">
            {formError}
          </p>
        )}
      </form>
    </Dialog>
  );
}
