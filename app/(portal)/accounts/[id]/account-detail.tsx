"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useAccountActions } from "@/components/resource/account-actions";
import { DetailState } from "@/components/resource/detail-state";
import { accountTypeLabel, formatDateTime } from "@/components/resource/format";
import { JobProgress } from "@/components/resource/job-progress";
import { LimitsCard } from "@/components/resource/limits-editor";
import { UsersTable } from "@/components/resource/users-table";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Badge, StateBadge } from "@/components/ui/badge";
import { Card, Fact, Facts, PageHeader } from "@/components/ui/page-header";
import { ActionBar } from "@/components/ui/row-menu";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";

const crumbs = [{ label: "Administration" }, { label: "Accounts", href: "/accounts" }];

/** An account: its facts, the same actions as its row in the accounts list, its users and its limits. */
export function AccountDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const caller = useCaller();
  const canManageUsers = useCan("user.manage");
  const canManageLimits = useCan("limit.manage");
  const account = useQuery(trpc.account.get.queryOptions({ id }));
  const limits = useQuery({ ...trpc.limit.forAccount.queryOptions({ accountId: id }), enabled: account.isSuccess });
  const { actions, dialogs } = useAccountActions(() => router.push("/accounts"));

  if (!account.data) {
    return (
      <DetailState
        query={account}
        noun="Account"
        crumbs={crumbs}
        notFoundHint="It does not exist, or it is outside the domains you can see."
        back={{ href: "/accounts", label: "Back to accounts" }}
      />
    );
  }

  const a = account.data;
  const own = a.id === caller.accountId;
  const failed = a.cleanup?.status === "failed";
  return (
    <>
      <PageHeader
        title={a.name}
        crumbs={[...crumbs, { label: a.name }]}
        description={`${accountTypeLabel[a.type]} account in domain ${a.domainName}`}
        actions={<ActionBar label="Account actions" actions={actions({ ...a, cleanupFailed: failed })} />}
      />
      <div className="space-y-6">
        <nav aria-label="Related" className="-mt-3 flex flex-wrap gap-4 text-sm">
          <Link href={`/events?accountId=${a.id}`} className="font-medium text-brand-700 hover:underline">
            Events of this account
          </Link>
          <Link href={`/instances?accountId=${a.id}`} className="font-medium text-brand-700 hover:underline">
            Instances of this account
          </Link>
        </nav>
        {a.state === "removing" && (
          <Card title="Being deleted">
            <div className="space-y-2 p-4 text-sm text-slate-700">
              <p>
                Its users cannot sign in and nothing new can be created in it. Its instances are destroyed and expunged, then its users and
                the account are removed.
              </p>
              {a.cleanup && (
                <JobProgress
                  jobId={a.cleanup.id}
                  subject={`account ${a.name}`}
                  onDone={(job) => (job.status === "succeeded" ? router.push("/accounts") : void account.refetch())}
                />
              )}
              {failed && <p className="text-slate-600">Fix the cause, then use Delete again to carry on.</p>}
            </div>
          </Card>
        )}
        <Card>
          <Facts>
            <Fact label="State">
              <StateBadge state={a.state} />
            </Fact>
            <Fact label="Type">
              <Badge tone={a.type === "user" ? "gray" : "amber"}>{accountTypeLabel[a.type]}</Badge>
            </Fact>
            <Fact label="Domain">
              <Link href={`/domains/${a.domainId}`} className="font-medium text-brand-700 hover:underline">
                {a.domainName}
              </Link>
            </Fact>
            <Fact label="Created">{formatDateTime(a.createdAt)}</Fact>
          </Facts>
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

        <LimitsCard
          title="Limits and use"
          query={limits}
          editable={canManageLimits}
          readOnlyReason="Limits are set by an administrator."
          onSave={(l) => client.limit.setForAccount.mutate({ accountId: a.id, limits: l })}
        />
      </div>
      {dialogs}
    </>
  );
}
