"use client";
import { EventsCard } from "./events-card";
import { LimitsCard } from "./limits-card";
import { RevenueCard } from "./revenue-card";
import { SubtreeCard } from "./subtree-card";
import { TopAccountsCard } from "./top-accounts-card";
import { VmStatesCard } from "./vm-states-card";

/** Domain admin (reseller): its subtree's customers, VMs, use against its limits, and this month's margin. */
export function ResellerDashboard({ domainId }: { domainId: string }) {
  return (
    <div className="space-y-6">
      <div className="grid gap-6 lg:grid-cols-3">
        <SubtreeCard />
        <VmStatesCard />
        <RevenueCard />
      </div>
      <LimitsCard href={`/domains/${domainId}`} />
      <div className="grid gap-6 lg:grid-cols-2">
        <TopAccountsCard />
        <EventsCard />
      </div>
    </div>
  );
}
