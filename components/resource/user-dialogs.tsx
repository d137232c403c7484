"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useForm } from "react-hook-form";
import { Button } from "@/components/ui/button";
import { Dialog, useOpeningState } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { createUserInput, resetPasswordInput, updateUserInput } from "@/lib/validation/identity";
import type { UserRow } from "./router-types";
import { toast } from "./toast";

function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700 sm:col-span-2">
      {message}
    </p>
  );
}

function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.user.pathKey() });
}

const createFields = ["accountId", "username", "password", "email", "firstName", "lastName"] as const;
const emptyCreate = (accountId: string) => ({ accountId, username: "", password: "", email: "", firstName: "", lastName: "" });

/** Add a user to an account (fixed when `accountId` is given, else picked from the accounts in scope). */
export function CreateUserDialog({ open, onClose, accountId }: { open: boolean; onClose: () => void; accountId?: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const accounts = useQuery({
    ...trpc.account.list.queryOptions({ pageSize: 200, sort: "name" }, { placeholderData: keepPreviousData }),
    enabled: open && !accountId,
  });
  const [formError, setFormError] = useOpeningState<string | null>(open, null);
  const { register, handleSubmit, reset, setError, setValue, getValues, formState } = useForm({
    resolver: zodResolver(createUserInput),
    defaultValues: emptyCreate(accountId ?? ""),
  });
  const { errors } = formState;
  useEffect(() => {
    if (open) reset(emptyCreate(accountId ?? ""));
  }, [open, accountId, reset]);
  useEffect(() => {
    const first = accounts.data?.items[0];
    if (open && first) setValue("accountId", getValues("accountId") || first.id, { shouldValidate: formState.isSubmitted });
  }, [open, accounts.data, getValues, setValue, formState.isSubmitted]);

  const create = useMutation(
    trpc.user.create.mutationOptions({
      onSuccess: async (u) => {
        await invalidate();
        toast(`User ${u.username} created`);
        onClose();
      },
      onError: (err) => setFormError(applyServerError(err, setError, createFields)),
    }),
  );

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Add user"
      wide
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="create-user-form" loading={create.isPending} disabled={!accountId && !accounts.data}>
            Create user
          </Button>
        </>
      }
    >
      <form
        id="create-user-form"
        noValidate
        className="grid gap-4 sm:grid-cols-2"
        onSubmit={(e) =>
          void handleSubmit((v) => {
            setFormError(null);
            create.mutate(v);
          })(e)
        }
      >
        {!accountId && (
          <Field label="Account" error={errors.accountId?.message} className="sm:col-span-2">
            {(id) => (
              <Select id={id} invalid={Boolean(errors.accountId)} {...register("accountId")}>
                {accounts.isPending && <option value="">Loading accounts…</option>}
                {accounts.data?.items.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.domainName})
                  </option>
                ))}
              </Select>
            )}
          </Field>
        )}
        <Field label="Username" error={errors.username?.message}>
          {(id) => <Input id={id} autoFocus autoComplete="off" invalid={Boolean(errors.username)} {...register("username")} />}
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
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}

const editFields = ["email", "firstName", "lastName"] as const;

/** Edit a user's contact details. */
export function EditUserDialog({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const [formError, setFormError] = useOpeningState<string | null>(user, null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(updateUserInput),
    defaultValues: { id: "", email: "", firstName: "", lastName: "" },
  });
  const { errors } = formState;
  useEffect(() => {
    if (user) reset({ id: user.id, email: user.email ?? "", firstName: user.firstName ?? "", lastName: user.lastName ?? "" });
  }, [user, reset]);
  const update = useMutation(
    trpc.user.update.mutationOptions({
      onSuccess: async (u) => {
        await invalidate();
        toast(`User ${u.username} updated`);
        onClose();
      },
      onError: (err) => setFormError(applyServerError(err, setError, editFields)),
    }),
  );
  return (
    <Dialog
      open={user !== null}
      onClose={onClose}
      title={`Edit user ${user?.username ?? ""}`}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="edit-user-form" loading={update.isPending}>
            Save
          </Button>
        </>
      }
    >
      <form id="edit-user-form" noValidate className="grid gap-4" onSubmit={(e) => void handleSubmit((v) => update.mutate(v))(e)}>
        <Field label="Email" error={errors.email?.message}>
          {(id) => <Input id={id} type="email" autoFocus invalid={Boolean(errors.email)} {...register("email")} />}
        </Field>
        <Field label="First name" error={errors.firstName?.message}>
          {(id) => <Input id={id} invalid={Boolean(errors.firstName)} {...register("firstName")} />}
        </Field>
        <Field label="Last name" error={errors.lastName?.message}>
          {(id) => <Input id={id} invalid={Boolean(errors.lastName)} {...register("lastName")} />}
        </Field>
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}

/** Set a new password for another user; the user's sessions end. */
export function ResetPasswordDialog({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const [formError, setFormError] = useOpeningState<string | null>(user, null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(resetPasswordInput),
    defaultValues: { id: "", password: "" },
  });
  const { errors } = formState;
  useEffect(() => {
    if (user) reset({ id: user.id, password: "" });
  }, [user, reset]);
  const mutation = useMutation(
    trpc.user.resetPassword.mutationOptions({
      onSuccess: () => {
        toast(`Password of ${user?.username ?? "the user"} reset; their sessions were ended`);
        onClose();
      },
      onError: (err) => setFormError(applyServerError(err, setError, ["password"])),
    }),
  );
  return (
    <Dialog
      open={user !== null}
      onClose={onClose}
      title={`Reset password of ${user?.username ?? ""}`}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="reset-password-form" loading={mutation.isPending}>
            Reset password
          </Button>
        </>
      }
    >
      <form id="reset-password-form" noValidate className="grid gap-4" onSubmit={(e) => void handleSubmit((v) => mutation.mutate(v))(e)}>
        <p className="text-sm text-slate-600">The user is signed out everywhere and signs in with the new password.</p>
        <Field label="New password" error={errors.password?.message} hint="At least 8 characters">
          {(id) => (
            <Input
              id={id}
              type="password"
              autoFocus
              autoComplete="new-password"
              invalid={Boolean(errors.password)}
              {...register("password")}
            />
          )}
        </Field>
        <FormError message={formError} />
      </form>
    </Dialog>
  );
}
