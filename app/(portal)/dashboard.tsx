"use client";
import { AdminDashboard } from "@/components/dashboard/admin-dashboard";
import { ResellerDashboard } from "@/components/dashboard/reseller-dashboard";
import { TenantDashboard } from "@/components/dashboard/tenant-dashboard";
import { useCaller } from "@/components/shell/caller-context";
import { PageHeader } from "@/components/ui/page-header";

const roleLabel = { root_admin: "root administrator", domain_admin: "domain administrator", user: "user" } as const;

/** One dashboard per role, each card in the caller's scope (server/services/dashboard.ts). */
export function Dashboard() {
  const caller = useCaller();
  return (
    <>
      <PageHeader
        title="Dashboard"
        description={`Signed in as ${caller.username} (${roleLabel[caller.accountType]}), account ${caller.accountName}`}
      />
      {caller.accountType === "root_admin" ? (
        <AdminDashboard />
      ) : caller.accountType === "domain_admin" ? (
        <ResellerDashboard domainId={caller.domainId} />
      ) : (
        <TenantDashboard />
      )}
    </>
  );
}
