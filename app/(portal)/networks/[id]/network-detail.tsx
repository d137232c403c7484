"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { None } from "@/components/resource/cells";
import { DetailState } from "@/components/resource/detail-state";
import { formatDateTime, formatRelative } from "@/components/resource/format";
import { InstanceStateBadge } from "@/components/resource/instance-state";
import { JobProgress, jobNoun } from "@/components/resource/job-progress";
import { NetworkStateBadge, useNetworkActions, whyNotNetwork } from "@/components/resource/network-actions";
import { NetworkPublicIps } from "@/components/resource/network-public-ips";
import { NetworkRules } from "@/components/resource/network-rules";
import type { RouterOutputs } from "@/components/resource/router-types";
import { useCaller } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card, Fact, Facts, PageHeader } from "@/components/ui/page-header";
import { EmptyState } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import { guestTypeLabels } from "@/lib/validation/networks";
import { liveInterval } from "@/lib/live";

const crumbs = [{ label: "Network" }, { label: "Networks", href: "/networks" }];
type Detail = RouterOutputs["network"]["get"];
type NicRow = Detail["vms"][number];

export function NetworkDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const caller = useCaller();
  const query = useQuery(
    trpc.network.get.queryOptions(
      { id },
      { refetchInterval: (q) => liveInterval(!!q.state.data && (!!q.state.data.activeJob || q.state.data.state === "destroying")) },
    ),
  );
  const actions = useNetworkActions({ onDeleted: () => router.push("/networks") });

  if (!query.data)
    return (
      <DetailState
        query={query}
        noun="Network"
        crumbs={crumbs}
        notFoundHint="It does not exist, it has been deleted, or it belongs to an account you cannot see."
        back={{ href: "/networks", label: "Back to networks" }}
      />
    );

  const n = query.data;
  const withNics = { ...n, nicCount: n.vms.length };
  return (
    <>
      <PageHeader
        title={n.name}
        crumbs={[...crumbs, { label: n.name }]}
        description={`${guestTypeLabels[n.guestType]} network · ${n.cidr ?? "no addresses (L2)"} · ${n.zoneName}`}
        actions={
          <div role="toolbar" aria-label="Network actions" className="flex flex-wrap gap-2">
            <Button
              variant="secondary"
              disabled={!!whyNotNetwork("restart", withNics)}
              title={whyNotNetwork("restart", withNics) ?? undefined}
              onClick={() => actions.restart(n)}
            >
              Restart
            </Button>
            <Button
              variant="danger"
              disabled={!!whyNotNetwork("delete", withNics)}
              title={whyNotNetwork("delete", withNics) ?? undefined}
              onClick={() => actions.remove(n)}
            >
              Delete
            </Button>
          </div>
        }
      />
      <div className="space-y-6">
        {n.activeJob && <JobProgress key={n.activeJob.id} jobId={n.activeJob.id} subject={n.name} />}
        <Card title="Summary">
          <Facts testId="network-summary">
            <Fact label="State">
              <NetworkStateBadge state={n.state} testId="network-state" />
            </Fact>
            <Fact label="CIDR">{n.cidr ? <span className="font-mono">{n.cidr}</span> : <None>None (L2)</None>}</Fact>
            <Fact label="Gateway">{n.gateway ? <span className="font-mono">{n.gateway}</span> : <None>None</None>}</Fact>
            <Fact label="VLAN">{n.vlan === null ? <None>Untagged</None> : <span className="tabular-nums">{n.vlan}</span>}</Fact>
            <Fact label="Addresses">
              {n.addressesTotal === null ? (
                <None>No IPAM (L2)</None>
              ) : (
                <span className="tabular-nums" data-testid="network-addresses">
                  {n.addressesFree} free of {n.addressesTotal}
                </span>
              )}
            </Fact>
            <Fact label="DNS domain">
              <span className="font-mono break-all">{n.dnsDomain}</span>
            </Fact>
            <Fact label="Offering">{n.offeringName}</Fact>
            <Fact label="Services">{n.services.length ? n.services.join(", ") : <None>None</None>}</Fact>
            <Fact label="Egress by default">{n.egressDefault === "allow" ? "Allowed" : "Denied"}</Fact>
            <Fact label="Rate limit">{n.rateLimitMbps === null ? <None>None</None> : `${n.rateLimitMbps} Mbit/s`}</Fact>
            <Fact label="Zone">{n.zoneName}</Fact>
            {caller.accountType !== "user" && <Fact label="Account">{n.accountName}</Fact>}
            <Fact label="Created">{formatDateTime(n.createdAt)}</Fact>
          </Facts>
        </Card>
        <Card title="Instances on this network">
          <StaticTable<NicRow>
            label="Instances and their addresses"
            rows={n.vms}
            rowKey={(v) => v.nicId}
            emptyTitle="No instance uses this network"
            emptyHint="Deploy an instance and pick this network; it gets the next free address."
            columns={[
              {
                key: "instance",
                header: "Instance",
                cell: (v) => (
                  <Link href={`/instances/${v.instanceId}`} className="font-medium text-brand-700 hover:underline">
                    {v.instanceName}
                  </Link>
                ),
              },
              { key: "state", header: "State", cell: (v) => <InstanceStateBadge state={v.instanceState} /> },
              { key: "ip", header: "IP address", cell: (v) => (v.ip ? <span className="font-mono">{v.ip}</span> : <None>None (L2)</None>) },
              { key: "mac", header: "MAC", hideBelow: "md", cell: (v) => <span className="font-mono text-xs">{v.mac}</span> },
              { key: "device", header: "NIC", hideBelow: "sm", cell: (v) => (v.deviceId === 0 ? "Default" : `#${v.deviceId}`) },
            ]}
          />
        </Card>
        {n.guestType === "isolated" && <NetworkPublicIps network={n} />}
        {n.guestType === "isolated" && <NetworkRules network={n} />}
        <div className="grid gap-6 xl:grid-cols-2">
          <Card title="Events">
            {n.events.length === 0 ? (
              <EmptyState title="No events yet" />
            ) : (
              <ul tabIndex={0} className="max-h-96 divide-y divide-slate-100 overflow-y-auto text-sm" aria-label="Events of this network">
                {n.events.map((e) => (
                  <li key={e.id} className="px-4 py-2">
                    <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
                      <span title={formatDateTime(e.createdAt)}>{formatRelative(e.createdAt)}</span>
                      <code>{e.type}</code>
                      {e.level !== "info" && <Badge tone={e.level === "error" ? "red" : "amber"}>{e.level}</Badge>}
                    </div>
                    <p className="text-slate-800">{e.description}</p>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Recent jobs">
            {n.recentJobs.length === 0 ? (
              <EmptyState title="No jobs yet" />
            ) : (
              <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto text-sm" aria-label="Recent jobs of this network">
                {n.recentJobs.map((j) => (
                  <li key={j.id} className="flex flex-wrap items-center gap-2 px-4 py-2">
                    <span className="font-medium text-slate-800">{jobNoun(j.type)}</span>
                    <Badge tone={j.status === "failed" ? "red" : j.status === "succeeded" ? "green" : "blue"}>{j.status}</Badge>
                    <span className="text-xs text-slate-600" title={formatDateTime(j.createdAt)}>
                      {formatRelative(j.createdAt)}
                    </span>
                    {j.error && <span className="basis-full text-xs text-red-700">{j.error}</span>}
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      </div>
      {actions.dialogs}
    </>
  );
}
