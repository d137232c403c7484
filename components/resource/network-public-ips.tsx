"use client";
import { useQuery } from "@tanstack/react-query";
import { useConfirm } from "@/components/resource/confirm";
import { WhenLoaded } from "@/components/resource/filters";
import { formatDateTime } from "@/components/resource/format";
import { useInvalidate, useResourceMutation } from "@/components/resource/mutations";
import type { RouterOutputs } from "@/components/resource/router-types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable } from "@/components/ui/data-table";
import { Card } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";

type PublicIp = RouterOutputs["publicIp"]["list"][number];

/** A network's public addresses: acquire one (the first is the source NAT), release one. */
export function NetworkPublicIps({ network }: { network: { id: string; name: string; guestType: string; state: string } }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const list = useQuery(trpc.publicIp.list.queryOptions({ networkId: network.id }));
  const invalidate = useInvalidate(["publicIp", "network", "networkRule", "limit"]);
  const confirm = useConfirm();
  const acquire = useResourceMutation({
    run: () => client.publicIp.acquire.mutate({ networkId: network.id }),
    invalidate: ["publicIp", "network", "limit"],
    success: (ip) => `Acquired ${ip.address}${ip.isSourceNat ? " (source NAT)" : ""}`,
  });
  const why =
    network.guestType !== "isolated"
      ? "Only isolated networks have a router for public addresses"
      : network.state === "destroying"
        ? "The network is being deleted"
        : null;
  return (
    <Card
      title="Public IP addresses"
      actions={
        <Button variant="secondary" disabled={!!why} title={why ?? undefined} loading={acquire.isPending} onClick={() => acquire.mutate()}>
          Acquire public IP
        </Button>
      }
    >
      <WhenLoaded query={list} what="public addresses">
        {(ips) => (
          <StaticTable<PublicIp>
            label="Public IP addresses"
            rows={ips}
            rowKey={(i) => i.id}
            rowName={(i) => `public IP ${i.address}`}
            emptyTitle="No public address"
            emptyHint="Acquire one: the first becomes the network's source-NAT address, through which its instances reach out."
            columns={[
              {
                key: "address",
                header: "Address",
                cell: (i) => (
                  <span className="whitespace-nowrap">
                    <span className="font-mono">{i.address}</span>
                    {i.isSourceNat && (
                      <Badge tone="blue" className="ml-2">
                        Source NAT
                      </Badge>
                    )}
                  </span>
                ),
              },
              { key: "createdAt", header: "Acquired", hideBelow: "sm", cell: (i) => formatDateTime(i.createdAt) },
            ]}
            rowActions={(i) => [
              {
                label: "Release",
                danger: true,
                disabled: i.isSourceNat && ips.length > 1 ? "The source-NAT address goes last" : null,
                onSelect: () =>
                  confirm.ask({
                    title: `Release ${i.address}?`,
                    message: "The address goes back to the zone; another network may get it.",
                    confirmLabel: "Release",
                    danger: true,
                    run: async () => {
                      await client.publicIp.release.mutate({ id: i.id });
                      await invalidate();
                    },
                  }),
              },
            ]}
          />
        )}
      </WhenLoaded>
      {confirm.dialog}
    </Card>
  );
}
