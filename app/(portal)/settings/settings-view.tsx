"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { accountTypeLabel, formatDateTime, formatRelative } from "@/components/resource/format";
import { toast } from "@/components/resource/toast";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Field, Input } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { describeUserAgent } from "@/lib/user-agent";
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
        <div className="lg:col-span-2">
          <SessionsCard />
        </div>
      </div>
    </>
  );
}

function ChangePasswordCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(passwordForm),
    defaultValues: { currentPassword: "", newPassword: "", confirmPassword: "" },
  });
  const { errors } = formState;
  const change = useMutation(
    trpc.user.changeOwnPassword.mutationOptions({
      onSuccess: ({ endedSessions }) => {
        reset();
        toast(
          endedSessions
            ? `Password changed; ${endedSessions} other session${endedSessions === 1 ? "" : "s"} signed out`
            : "Password changed",
        );
        void queryClient.invalidateQueries({ queryKey: trpc.session.list.queryKey() });
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
        onSubmit={(e) =>
          void handleSubmit(({ currentPassword, newPassword }) => {
            setFormError(null);
            change.mutate({ currentPassword, newPassword });
          })(e)
        }
      >
        <Field label="Current password" error={errors.currentPassword?.message}>
          {(id) => (
            <Input
              id={id}
              type="password"
              autoComplete="current-password"
              invalid={Boolean(errors.currentPassword)}
              {...register("currentPassword")}
            />
          )}
        </Field>
        <Field label="New password" error={errors.newPassword?.message} hint="At least 8 characters">
          {(id) => (
            <Input id={id} type="password" autoComplete="new-password" invalid={Boolean(errors.newPassword)} {...register("newPassword")} />
          )}
        </Field>
        <Field label="Confirm new password" error={errors.confirmPassword?.message}>
          {(id) => (
            <Input
              id={id}
              type="password"
              autoComplete="new-password"
              invalid={Boolean(errors.confirmPassword)}
              {...register("confirmPassword")}
            />
          )}
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

/** The user's active sign-ins, with "sign out" for each and for all but this one. */
function SessionsCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.session.list.queryOptions());
  const [confirmOthers, setConfirmOthers] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.session.list.queryKey() });
  const end = useMutation(
    trpc.session.end.mutationOptions({
      onSuccess: () => {
        toast("Session signed out");
        void refresh();
      },
      onError: (e) => setActionError(e.message),
    }),
  );
  const endOthers = useMutation(
    trpc.session.endOthers.mutationOptions({
      onSuccess: ({ ended }) => {
        setConfirmOthers(false);
        toast(ended ? `Signed out ${ended} other session${ended === 1 ? "" : "s"}` : "No other sessions were active");
        void refresh();
      },
      onError: (e) => setActionError(e.message),
    }),
  );
  const others = (list.data ?? []).filter((s) => !s.current).length;
  return (
    <Card
      title="Active sessions"
      actions={
        <Button variant="secondary" size="sm" disabled={!others} onClick={() => (setActionError(null), setConfirmOthers(true))}>
          Sign out all others
        </Button>
      }
    >
      {list.isPending ? (
        <Loading label="Loading sessions…" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <EmptyState title="No active sessions" hint="Sessions appear here when you sign in." />
      ) : (
        <ul aria-label="Active sessions" className="divide-y divide-slate-100">
          {list.data.map((s) => (
            <li key={s.id} className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center sm:justify-between">
              <div className="min-w-0 text-sm">
                <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
                  {describeUserAgent(s.userAgent)}
                  {s.current && <Badge tone="green">This session</Badge>}
                </p>
                <p className="mt-0.5 text-slate-500">
                  <span className="font-mono">{s.ip}</span> · signed in {formatDateTime(s.createdAt)} · last seen{" "}
                  {formatRelative(s.lastSeenAt)}
                </p>
              </div>
              <Button
                variant="secondary"
                size="sm"
                className="self-start sm:self-auto"
                aria-label={s.current ? "Sign out this session" : `Sign out ${describeUserAgent(s.userAgent)} at ${s.ip}`}
                loading={end.isPending && end.variables?.id === s.id}
                onClick={() => (s.current ? void signOut({ callbackUrl: "/login" }) : (setActionError(null), end.mutate({ id: s.id })))}
              >
                Sign out
              </Button>
            </li>
          ))}
        </ul>
      )}
      {actionError && !confirmOthers && (
        <p role="alert" className="m-4 rounded-md bg-red-50 p-2 text-sm text-red-700">
          {actionError}
        </p>
      )}
      <ConfirmDialog
        open={confirmOthers}
        onClose={() => setConfirmOthers(false)}
        title="Sign out all other sessions?"
        message={`Every other browser signed in as you (${others}) is signed out at its next request, and its consoles close. This session stays signed in.`}
        confirmLabel="Sign out all others"
        danger
        loading={endOthers.isPending}
        error={actionError}
        onConfirm={() => endOthers.mutate()}
      />
    </Card>
  );
}
