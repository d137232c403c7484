"use client";
import { EventsCard } from "./events-card";
import { LimitsCard } from "./limits-card";
import { RecentInstancesCard } from "./recent-instances-card";
import { SpendCard } from "./spend-card";
import { VmStatesCard } from "./vm-states-card";

/** Tenant: its VMs (with quick actions), its spend and forecast, its limits and what happened. */
export function TenantDashboard() {
  return (
    <div className="space-y-6">
      <div className="grid gap-6 lg:grid-cols-3">
        <VmStatesCard />
        <RecentInstancesCard />
        <SpendCard />
      </div>
      <LimitsCard />
      <EventsCard />
    </div>
  );
}
