"use client";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { cappedLabel, QueryCard, Stat } from "./query-card";

/** Root admin: is anything broken? Hosts by status, failed jobs in the last hour, open alerts. */
export function HealthCard() {
  const trpc = useTRPC();
  const q = useQuery(trpc.dashboard.health.queryOptions());
  return (
    <QueryCard title="Health" query={q} testId="card-health">
      {(h) => {
        const alerts = h.openAlerts.warning + h.openAlerts.critical;
        return (
          <div className="grid grid-cols-2 gap-3 p-4 sm:grid-cols-3 lg:grid-cols-6">
            <Stat label="Hosts up" value={h.hosts.up} href="/infrastructure/hosts?status=up" tone="good" testId="health-up" />
            <Stat
              label="Disconnected"
              value={h.hosts.disconnected}
              href="/infrastructure/hosts?status=disconnected"
              tone={h.hosts.disconnected ? "warn" : "default"}
              testId="health-disconnected"
            />
            <Stat
              label="Down"
              value={h.hosts.down}
              href="/infrastructure/hosts?status=down"
              tone={h.hosts.down ? "bad" : "default"}
              testId="health-down"
            />
            <Stat
              label="Maintenance"
              value={h.hosts.maintenance}
              href="/infrastructure/hosts?state=maintenance"
              testId="health-maintenance"
            />
            <Stat
              label="Failed jobs (1 h)"
              value={cappedLabel(h.failedJobsLastHour)}
              href="/events?time=1h&level=error"
              tone={h.failedJobsLastHour.count ? "bad" : "default"}
              testId="health-failed-jobs"
            />
            <Stat
              label={h.openAlerts.critical ? `Open alerts (${h.openAlerts.critical} critical)` : "Open alerts"}
              value={alerts}
              href="/alerts"
              tone={h.openAlerts.critical ? "bad" : alerts ? "warn" : "default"}
              testId="health-alerts"
            />
          </div>
        );
      }}
    </QueryCard>
  );
}
