"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { accountTypeLabel } from "@/components/resource/format";
import { toast } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { changeOwnPasswordInput } from "@/lib/validation/identity";

const passwordForm = changeOwnPasswordInput
  .extend({ confirmPassword: z.string() })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The passwords do not match" });

export function SettingsView() {
  const caller = useCaller();
  return (
    <>
      <PageHeader title="Settings" crumbs={[{ label: "Settings" }]} description="Your profile and sign-in." />
      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1.3fr)]">
        <Card title="Profile">
          <dl className="divide-y divide-slate-100 text-sm">
            {[
              ["Username", caller.username],
              ["Account", caller.accountName],
              ["Role", accountTypeLabel[caller.accountType]],
            ].map(([k, v]) => (
              <div key={k} className="flex justify-between gap-4 px-4 py-3">
                <dt className="text-slate-600">{k}</dt>
                <dd className="font-medium text-slate-900">{v}</dd>
              </div>
            ))}
          </dl>
        </Card>
        <ChangePasswordCard />
      </div>
    </>
  );
}

function ChangePasswordCard() {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(passwordForm),
    defaultValues: { currentPassword: "", newPassword: "", confirmPassword: "" },
  });
  const { errors } = formState;
  const change = useMutation(
    trpc.user.changeOwnPassword.mutationOptions({
      onSuccess: () => {
        reset();
        toast("Password changed");
      },
      onError: (err) => setFormError(applyServerError(err, setError, ["currentPassword", "newPassword"])),
    }),
  );
  return (
    <Card title="Change password">
      <form
        noValidate
        aria-label="Change password"
        className="space-y-4 p-4"
        onSubmit={handleSubmit(({ currentPassword, newPassword }) => {
          setFormError(null);
          change.mutate({ currentPassword, newPassword });
        })}
      >
        <Field label="Current password" error={errors.currentPassword?.message}>
          {(id) => <Input id={id} type="password" autoComplete="current-password" invalid={Boolean(errors.currentPassword)} {...register("currentPassword")} />}
        </Field>
        <Field label="New password" error={errors.newPassword?.message} hint="At least 8 characters">
          {(id) => <Input id={id} type="password" autoComplete="new-password" invalid={Boolean(errors.newPassword)} {...register("newPassword")} />}
        </Field>
        <Field label="Confirm new password" error={errors.confirmPassword?.message}>
          {(id) => <Input id={id} type="password" autoComplete="new-password" invalid={Boolean(errors.confirmPassword)} {...register("confirmPassword")} />}
        </Field>
        {formError && (
          <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700">
            {formError}
          </p>
        )}
        <div className="flex justify-end">
          <Button type="submit" loading={change.isPending}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}
