"use client";
import type { FieldValues } from "react-hook-form";
import { useTRPCClient } from "@/lib/trpc/client";
import { createUserInput, resetPasswordInput, updateUserInput } from "@/lib/validation/identity";
import { FormDialog, type KitForm, SelectField, TextField } from "./form-dialog";
import { useAccountOptions } from "./options";
import type { UserRow } from "./router-types";

type UserValues = { username: string; password: string; email?: string; firstName?: string; lastName?: string };
const changes = ["user", "account"] as const;

/** Email and names: the same in "Add account" (its first user), "Add user" and "Edit user". */
function ContactFields<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  autoFocus,
}: {
  form: KitForm<TIn, TOut>;
  autoFocus?: boolean;
}) {
  const f = form as unknown as KitForm<UserValues, UserValues>;
  return (
    <>
      <TextField form={f} name="email" label="Email" type="email" autoFocus={autoFocus} className="sm:col-span-2" />
      <TextField form={f} name="firstName" label="First name" />
      <TextField form={f} name="lastName" label="Last name" />
    </>
  );
}

/** A new user's sign-in and contact fields. */
export function NewUserFields<TIn extends FieldValues, TOut extends FieldValues>({
  form,
  autoFocus,
}: {
  form: KitForm<TIn, TOut>;
  autoFocus?: boolean;
}) {
  const f = form as unknown as KitForm<UserValues, UserValues>;
  return (
    <>
      <TextField form={f} name="username" label="Username" autoComplete="off" autoFocus={autoFocus} />
      <TextField form={f} name="password" label="Password" type="password" autoComplete="new-password" hint="At least 8 characters" />
      <ContactFields form={f} />
    </>
  );
}

export const emptyUser = { username: "", password: "", email: "", firstName: "", lastName: "" };

/** Add a user to an account (fixed when `accountId` is given, else picked from the accounts in scope). */
export function CreateUserDialog({ open, onClose, accountId }: { open: boolean; onClose: () => void; accountId?: string }) {
  const client = useTRPCClient();
  const accounts = useAccountOptions("", open && !accountId);
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      title="Add user"
      wide
      waitFor={accountId ? undefined : { query: accounts, what: "accounts" }}
      schema={createUserInput}
      defaultValues={{ accountId: accountId ?? accounts.data?.[0]?.value ?? "", ...emptyUser }}
      submitLabel="Create user"
      onSubmit={(v) => client.user.create.mutate(v)}
      invalidate={changes}
      success={(u) => `User ${u.username} created`}
    >
      {(f) => (
        <div className="grid gap-4 sm:grid-cols-2">
          {!accountId && <SelectField form={f} name="accountId" label="Account" options={accounts.data ?? []} className="sm:col-span-2" />}
          <NewUserFields form={f} autoFocus={!!accountId} />
        </div>
      )}
    </FormDialog>
  );
}

/** Edit a user's contact details. */
export function EditUserDialog({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={user !== null}
      onClose={onClose}
      title={`Edit user ${user?.username ?? ""}`}
      schema={updateUserInput}
      defaultValues={{ id: user?.id ?? "", email: user?.email ?? "", firstName: user?.firstName ?? "", lastName: user?.lastName ?? "" }}
      submitLabel="Save"
      onSubmit={(v) => client.user.update.mutate(v)}
      invalidate={changes}
      success={(u) => `User ${u.username} updated`}
    >
      {(f) => (
        <div className="grid gap-4 sm:grid-cols-2">
          <ContactFields form={f} autoFocus />
        </div>
      )}
    </FormDialog>
  );
}

/** Set a new password for another user; the user's sessions end. */
export function ResetPasswordDialog({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const client = useTRPCClient();
  return (
    <FormDialog
      open={user !== null}
      onClose={onClose}
      title={`Reset password of ${user?.username ?? ""}`}
      schema={resetPasswordInput}
      defaultValues={{ id: user?.id ?? "", password: "" }}
      submitLabel="Reset password"
      onSubmit={(v) => client.user.resetPassword.mutate(v)}
      invalidate={changes}
      success={() => `Password of ${user?.username ?? "the user"} reset; their sessions were ended`}
    >
      {(f) => (
        <>
          <p className="text-sm text-slate-600">The user is signed out everywhere and signs in with the new password.</p>
          <TextField
            form={f}
            name="password"
            label="New password"
            type="password"
            autoComplete="new-password"
            autoFocus
            hint="At least 8 characters"
          />
        </>
      )}
    </FormDialog>
  );
}
