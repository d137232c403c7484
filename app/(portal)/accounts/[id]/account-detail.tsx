"use client";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { DeleteAccountDialog } from "@/components/resource/delete-account-dialog";
import { accountTypeLabel, formatDateTime } from "@/components/resource/format";
import { JobProgress } from "@/components/resource/job-progress";
import { LimitsEditor } from "@/components/resource/limits-editor";
import { errorMessage } from "@/components/resource/router-types";
import { toast } from "@/components/resource/toast";
import { UsersTable } from "@/components/resource/users-table";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog, Dialog, useOpeningState } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { Card, PageHeader } from "@/components/ui/page-header";
import { EmptyState, ErrorState, Loading } from "@/components/ui/states";
import { applyServerError } from "@/lib/form-errors";
import { useTRPC } from "@/lib/trpc/client";
import { renameAccountInput } from "@/lib/validation/identity";

type State = "enabled" | "disabled" | "locked";
const stateAction: Record<State, { verb: string; message: string }> = {
  enabled: { verb: "Enable", message: "Its users can sign in again and use its resources." },
  disabled: {
    verb: "Disable",
    message: "Its users are signed out at once and cannot sign in until the account is enabled again. Its resources stay as they are.",
  },
  locked: {
    verb: "Lock",
    message:
      "Its users are signed out at once and cannot sign in. Use this for an account under investigation; only an administrator can enable it again.",
  },
};

export function AccountDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const caller = useCaller();
  const canManage = useCan("account.manage");
  const canManageUsers = useCan("user.manage");
  const canManageLimits = useCan("limit.manage");
  const account = useQuery(trpc.account.get.queryOptions({ id }));
  const limits = useQuery({ ...trpc.limit.forAccount.queryOptions({ accountId: id }), enabled: account.isSuccess });
  const [pendingState, setPendingState] = useState<State | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [renaming, setRenaming] = useState(false);

  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.account.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.domain.pathKey() }),
    ]);
  const setState = useMutation(
    trpc.account.setState.mutationOptions({
      onSuccess: async (a) => {
        await invalidate();
        toast(`Account ${a.name} is now ${a.state}`);
        setPendingState(null);
      },
    }),
  );
  const deleted = async () => {
    toast(`Account ${account.data?.name ?? ""} deleted`);
    setDeleting(false);
    await invalidate();
    router.push("/accounts");
  };
  const setLimits = useMutation(
    trpc.limit.setForAccount.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.limit.pathKey() });
        toast("Account limits saved");
      },
    }),
  );

  const crumbs = [{ label: "Administration" }, { label: "Accounts", href: "/accounts" }];
  if (account.isPending) {
    return (
      <>
        <PageHeader title="Account" crumbs={crumbs} />
        <Loading label="Loading account…" />
      </>
    );
  }
  if (account.error) {
    return (
      <>
        <PageHeader title="Account" crumbs={crumbs} />
        <Card>
          {account.error.data?.code === "NOT_FOUND" ? (
            <EmptyState
              title="Account not found"
              hint="It does not exist, or it is outside the domains you can see."
              action={
                <Link href="/accounts" className="text-sm font-medium text-brand-700 hover:underline">
                  Back to accounts
                </Link>
              }
            />
          ) : (
            <ErrorState error={account.error} onRetry={() => void account.refetch()} />
          )}
        </Card>
      </>
    );
  }

  const a = account.data;
  const own = a.id === caller.accountId;
  const removing = a.state === "removing";
  const manageable = canManage && !own;

  return (
    <>
      <PageHeader
        title={a.name}
        crumbs={[...crumbs, { label: a.name }]}
        description={`${accountTypeLabel[a.type]} account in domain ${a.domainName}`}
        actions={
          manageable && removing ? (
            a.cleanup?.status === "failed" ? (
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete again
              </Button>
            ) : undefined
          ) : manageable ? (
            <>
              {(["enabled", "disabled", "locked"] as const)
                .filter((s) => s !== a.state)
                .map((s) => (
                  <Button
                    key={s}
                    variant="secondary"
                    onClick={() => {
                      setState.reset();
                      setPendingState(s);
                    }}
                  >
                    {stateAction[s].verb}
                  </Button>
                ))}
              <Button variant="secondary" onClick={() => setRenaming(true)}>
                Rename
              </Button>
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete
              </Button>
            </>
          ) : undefined
        }
      />

      <div className="space-y-6">
        <nav aria-label="Related" className="-mt-3 flex flex-wrap gap-4 text-sm">
          <Link href={`/events?accountId=${a.id}`} className="font-medium text-brand-700 hover:underline">
            Events of this account
          </Link>
        </nav>
        {removing && (
          <Card title="Being deleted">
            <div className="space-y-2 p-4 text-sm text-slate-700">
              <p>
                Its users cannot sign in and nothing new can be created in it. Its instances are destroyed and expunged, then its users and
                the account are removed.
              </p>
              {a.cleanup ? (
                <JobProgress
                  jobId={a.cleanup.id}
                  subject={`account ${a.name}`}
                  onDone={(job) => {
                    // The delete dialog, when open, follows the same job and reports it.
                    if (deleting) return;
                    if (job.status === "succeeded") void deleted();
                    else void account.refetch();
                  }}
                />
              ) : null}
              {a.cleanup?.status === "failed" && manageable && (
                <p className="text-slate-500">Fix the cause, then use Delete again to carry on.</p>
              )}
            </div>
          </Card>
        )}
        <Card>
          <dl className="grid grid-cols-2 gap-4 p-4 text-sm md:grid-cols-4">
            <div>
              <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">State</dt>
              <dd className="mt-1">
                <StateBadge state={a.state} />
              </dd>
            </div>
            <div>
              <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">Type</dt>
              <dd className="mt-1">
                <Badge tone={a.type === "user" ? "gray" : "amber"}>{accountTypeLabel[a.type]}</Badge>
              </dd>
            </div>
            <div>
              <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">Domain</dt>
              <dd className="mt-1">
                <Link href={`/domains/${a.domainId}`} className="font-medium text-brand-700 hover:underline">
                  {a.domainName}
                </Link>
              </dd>
            </div>
            <div>
              <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">Created</dt>
              <dd className="mt-1 text-slate-700">{formatDateTime(a.createdAt)}</dd>
            </div>
          </dl>
          {own && (
            <p className="border-t border-slate-100 px-4 py-2 text-xs text-slate-600">
              This is your own account: its state is managed by your parent domain&apos;s administrator.
            </p>
          )}
        </Card>

        {canManageUsers && (
          <section aria-labelledby="users-heading" className="space-y-3">
            <h2 id="users-heading" className="text-base font-semibold text-slate-800">
              Users
            </h2>
            <UsersTable accountId={a.id} />
          </section>
        )}

        <Card title="Limits and use">
          {limits.isPending ? (
            <Loading />
          ) : limits.error ? (
            <ErrorState error={limits.error} onRetry={() => void limits.refetch()} />
          ) : (
            <LimitsEditor
              rows={limits.data.limits}
              editable={canManageLimits}
              readOnlyReason="Limits are set by an administrator."
              saving={setLimits.isPending}
              onSave={(l) => setLimits.mutateAsync({ accountId: a.id, limits: l })}
            />
          )}
        </Card>
      </div>

      <ConfirmDialog
        open={pendingState !== null}
        onClose={() => setPendingState(null)}
        title={pendingState ? `${stateAction[pendingState].verb} account ${a.name}?` : ""}
        message={pendingState ? stateAction[pendingState].message : ""}
        confirmLabel={pendingState ? `${stateAction[pendingState].verb} account` : "Confirm"}
        danger={pendingState !== "enabled"}
        loading={setState.isPending}
        error={setState.error ? errorMessage(setState.error) : null}
        onConfirm={() => pendingState && setState.mutate({ id: a.id, state: pendingState })}
      />
      <DeleteAccountDialog account={a} open={deleting} onClose={() => setDeleting(false)} onDeleted={() => void deleted()} />
      <RenameAccountDialog open={renaming} onClose={() => setRenaming(false)} id={a.id} name={a.name} />
    </>
  );
}

function RenameAccountDialog({ open, onClose, id, name }: { open: boolean; onClose: () => void; id: string; name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useOpeningState<string | null>(open, null);
  const { register, handleSubmit, reset, setError, formState } = useForm({
    resolver: zodResolver(renameAccountInput),
    defaultValues: { id, name },
  });
  useEffect(() => {
    if (open) reset({ id, name });
  }, [open, id, name, reset]);
  const rename = useMutation(
    trpc.account.rename.mutationOptions({
      onSuccess: async (a) => {
        await queryClient.invalidateQueries({ queryKey: trpc.account.pathKey() });
        toast(`Account renamed to ${a.name}`);
        onClose();
      },
      onError: (err) => setFormError(applyServerError(err, setError, ["name"])),
    }),
  );
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Rename ${name}`}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form="rename-account-form" loading={rename.isPending}>
            Rename
          </Button>
        </>
      }
    >
      <form id="rename-account-form" noValidate className="space-y-4" onSubmit={(e) => void handleSubmit((v) => rename.mutate(v))(e)}>
        <Field label="New name" error={formState.errors.name?.message}>
          {(fid) => <Input id={fid} autoFocus autoComplete="off" invalid={Boolean(formState.errors.name)} {...register("name")} />}
        </Field>
        {formError && (
          <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700">
            {formError}
          </p>
        )}
      </form>
    </Dialog>
  );
}
