"use client";
import { CapacityCard } from "./capacity-card";
import { EventsCard } from "./events-card";
import { HealthCard } from "./health-card";
import { TopAccountsCard } from "./top-accounts-card";
import { VmStatesCard } from "./vm-states-card";

/** Root admin: health first, then capacity, VMs by state, the biggest accounts and what happened. */
export function AdminDashboard() {
  return (
    <div className="space-y-6">
      <HealthCard />
      <CapacityCard />
      <div className="grid gap-6 lg:grid-cols-3">
        <VmStatesCard />
        <TopAccountsCard />
        <EventsCard />
      </div>
    </div>
  );
}
