"use client";
import { useQuery } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { z } from "zod";
import { When } from "@/components/resource/cells";
import { useConfirm } from "@/components/resource/confirm";
import { KitFormBody, TextField } from "@/components/resource/form-dialog";
import { accountTypeLabel, count, formatDateTime } from "@/components/resource/format";
import { useResourceMutation } from "@/components/resource/mutations";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { Card, PageHeader } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { describeUserAgent } from "@/lib/user-agent";
import { changeOwnPasswordInput } from "@/lib/validation/identity";
import { ApiKeysCard } from "./api-keys-card";

const passwordForm = changeOwnPasswordInput
  .extend({ confirmPassword: z.string() })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The passwords do not match" });

export function SettingsView() {
  const caller = useCaller();
  return (
    <>
      <PageHeader title="Settings" crumbs={[{ label: "Settings" }]} description="Your profile, sign-in and API keys." />
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
        <div className="lg:col-span-2">
          <ApiKeysCard />
        </div>
      </div>
    </>
  );
}

function ChangePasswordCard() {
  const client = useTRPCClient();
  // A new form after each change, so the fields start empty again.
  const [round, setRound] = useState(0);
  return (
    <Card title="Change password">
      <div className="p-4">
        <KitFormBody
          key={round}
          label="Change password"
          onClose={() => setRound((r) => r + 1)}
          cancelLabel={null}
          schema={passwordForm}
          defaultValues={{ currentPassword: "", newPassword: "", confirmPassword: "" }}
          submitLabel="Change password"
          onSubmit={({ currentPassword, newPassword }) => client.user.changeOwnPassword.mutate({ currentPassword, newPassword })}
          invalidate={["session"]}
          success={({ endedSessions }) =>
            endedSessions ? `Password changed; ${count(endedSessions, "other session")} signed out` : "Password changed"
          }
        >
          {(f) => (
            <>
              <TextField form={f} name="currentPassword" label="Current password" type="password" autoComplete="current-password" />
              <TextField
                form={f}
                name="newPassword"
                label="New password"
                type="password"
                autoComplete="new-password"
                hint="At least 8 characters"
              />
              <TextField form={f} name="confirmPassword" label="Confirm new password" type="password" autoComplete="new-password" />
            </>
          )}
        </KitFormBody>
      </div>
    </Card>
  );
}

/** The user's active sign-ins, with "sign out" for each and for all but this one. */
function SessionsCard() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const list = useQuery(trpc.session.list.queryOptions());
  const confirm = useConfirm();
  const end = useResourceMutation({
    run: (v: { id: string }) => client.session.end.mutate(v),
    invalidate: ["session"],
    success: () => "Session signed out",
  });
  const endOthers = useResourceMutation({
    run: () => client.session.endOthers.mutate(),
    invalidate: ["session"],
    success: ({ ended }) => (ended ? `Signed out ${count(ended, "other session")}` : "No other sessions were active"),
    quietErrors: true,
  });
  const others = (list.data ?? []).filter((s) => !s.current).length;
  return (
    <Card
      title="Active sessions"
      actions={
        <Button
          variant="secondary"
          size="sm"
          disabled={!others}
          onClick={() =>
            confirm.ask({
              title: "Sign out all other sessions?",
              message: `Every other browser signed in as you (${others}) is signed out at its next request, and its consoles close. This session stays signed in.`,
              confirmLabel: "Sign out all others",
              danger: true,
              run: () => endOthers.mutateAsync(),
            })
          }
        >
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
                <p className="mt-0.5 text-slate-600">
                  <span className="font-mono">{s.ip}</span> · signed in {formatDateTime(s.createdAt)} · last seen <When at={s.lastSeenAt} />
                </p>
              </div>
              <Button
                variant="secondary"
                size="sm"
                className="self-start sm:self-auto"
                aria-label={s.current ? "Sign out this session" : `Sign out ${describeUserAgent(s.userAgent)} at ${s.ip}`}
                loading={end.isPending && end.variables.id === s.id}
                onClick={() => (s.current ? void signOut({ callbackUrl: "/login" }) : end.mutate({ id: s.id }))}
              >
                Sign out
              </Button>
            </li>
          ))}
        </ul>
      )}
      {confirm.dialog}
    </Card>
  );
}
