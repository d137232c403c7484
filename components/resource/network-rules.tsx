"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useConfirm } from "@/components/resource/confirm";
import { WhenLoaded } from "@/components/resource/filters";
import { useInvalidate } from "@/components/resource/mutations";
import { NetworkDiagram } from "@/components/resource/network-diagram";
import {
  EgressDialog,
  FirewallDialog,
  LbMembersDialog,
  LoadBalancerDialog,
  PortForwardDialog,
  StaticNatDialog,
  type Target,
} from "@/components/resource/network-rule-forms";
import type { RouterOutputs } from "@/components/resource/router-types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StaticTable, type Column } from "@/components/ui/data-table";
import { Card } from "@/components/ui/page-header";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { ruleKindLabels, serviceOfKind, type NetworkRuleKind } from "@/lib/validation/network-rules";

type Rule = RouterOutputs["networkRule"]["list"][number];
type Ip = RouterOutputs["publicIp"]["list"][number];
interface Net {
  id: string;
  name: string;
  cidr: string | null;
  gateway: string | null;
  guestType: string;
  state: string;
  services: string[];
  egressDefault: "allow" | "deny";
  vms: (Target & { instanceState: string })[];
}

const ports = (a: number | null, b: number | null) =>
  a === null ? <span className="text-slate-500">any</span> : <span className="font-mono">{a === b ? a : `${a}-${b}`}</span>;
const tabs = ["firewall", "port_forward", "static_nat", "load_balancer"] as const;
type Tab = (typeof tabs)[number];
type Dialog = { kind: Tab; ip: Ip } | { kind: "egress" } | { kind: "members"; lb: Rule } | null;

/**
 * A network's rules: its picture, a panel per public address (tabs for firewall, port forwarding,
 * static NAT and load balancing) and its egress rules. Kinds the offering lacks are shown as such.
 */
export function NetworkRules({ network }: { network: Net }) {
  const trpc = useTRPC();
  const ipsQ = useQuery(trpc.publicIp.list.queryOptions({ networkId: network.id }));
  const rulesQ = useQuery(trpc.networkRule.list.queryOptions({ networkId: network.id }));
  const [dialog, setDialog] = useState<Dialog>(null);
  const has = (k: NetworkRuleKind) => network.services.includes(serviceOfKind[k]);
  const targets: Target[] = network.vms.filter((v) => v.instanceState !== "expunged" && v.instanceState !== "destroyed");
  const close = () => setDialog(null);
  return (
    <>
      <Card title="Network diagram">
        <WhenLoaded query={rulesQ} what="rules">
          {(rules) => (
            <NetworkDiagram
              name={network.name}
              cidr={network.cidr}
              gateway={network.gateway}
              ips={ipsQ.data ?? []}
              rules={rules}
              vms={network.vms}
            />
          )}
        </WhenLoaded>
      </Card>
      <WhenLoaded query={ipsQ} what="public addresses">
        {(ips) => (
          <WhenLoaded query={rulesQ} what="rules">
            {(rules) => (
              <>
                {ips.map((ip) => (
                  <PublicIpPanel
                    key={ip.id}
                    ip={ip}
                    rules={rules.filter((r) => r.publicIpId === ip.id)}
                    has={has}
                    onAdd={(kind) => setDialog({ kind, ip })}
                    onMembers={(lb) => setDialog({ kind: "members", lb })}
                  />
                ))}
                <EgressCard
                  network={network}
                  rules={rules.filter((r) => r.kind === "egress")}
                  enabled={has("egress")}
                  onAdd={() => setDialog({ kind: "egress" })}
                />
              </>
            )}
          </WhenLoaded>
        )}
      </WhenLoaded>
      {dialog?.kind === "firewall" && <FirewallDialog open onClose={close} ip={dialog.ip} />}
      {dialog?.kind === "port_forward" && (
        <PortForwardDialog open onClose={close} ip={dialog.ip} targets={targets} canOpenFirewall={has("firewall")} />
      )}
      {dialog?.kind === "static_nat" && <StaticNatDialog open onClose={close} ip={dialog.ip} targets={targets} />}
      {dialog?.kind === "load_balancer" && (
        <LoadBalancerDialog open onClose={close} ip={dialog.ip} targets={targets} canOpenFirewall={has("firewall")} />
      )}
      {dialog?.kind === "members" && <LbMembersDialog open onClose={close} lb={dialog.lb} targets={targets} />}
      {dialog?.kind === "egress" && <EgressDialog open onClose={close} networkId={network.id} egressDefault={network.egressDefault} />}
    </>
  );
}

function useDeleteRule() {
  const client = useTRPCClient();
  const invalidate = useInvalidate(["networkRule", "network"]);
  const confirm = useConfirm();
  const ask = (r: Rule, what: string) =>
    confirm.ask({
      title: r.kind === "static_nat" ? "Disable static NAT?" : `Delete ${what}?`,
      message: "The network applies its rules again without it.",
      confirmLabel: r.kind === "static_nat" ? "Disable" : "Delete",
      danger: true,
      run: async () => {
        await client.networkRule.delete.mutate({ id: r.id });
        await invalidate();
      },
    });
  return { ask, dialog: confirm.dialog };
}

function PublicIpPanel({
  ip,
  rules,
  has,
  onAdd,
  onMembers,
}: {
  ip: Ip;
  rules: Rule[];
  has: (k: NetworkRuleKind) => boolean;
  onAdd: (k: Tab) => void;
  onMembers: (lb: Rule) => void;
}) {
  const [tab, setTab] = useState<Tab>("firewall");
  const del = useDeleteRule();
  const mine = rules.filter((r) => r.kind === tab);
  const nat = rules.find((r) => r.kind === "static_nat");
  const why = !has(tab)
    ? `The network's offering has no ${serviceOfKind[tab]} service`
    : tab === "static_nat" && ip.isSourceNat
      ? "The source-NAT address cannot take static NAT"
      : tab === "static_nat" && nat
        ? "Static NAT is on; disable it first"
        : (tab === "port_forward" || tab === "load_balancer") && nat
          ? "Static NAT is on: every port already goes to its instance"
          : tab === "static_nat" && rules.some((r) => r.kind === "port_forward" || r.kind === "load_balancer")
            ? "Delete this address's forwards and load balancers first"
            : null;
  const id = `ip-${ip.id}`;
  const addLabel = {
    firewall: "Add firewall rule",
    port_forward: "Add port forward",
    static_nat: "Enable static NAT",
    load_balancer: "Add load balancer",
  }[tab];
  return (
    <Card
      title={`Public IP ${ip.address}`}
      actions={
        <span className="flex items-center gap-2">
          {ip.isSourceNat && <Badge tone="blue">Source NAT</Badge>}
          {nat && <Badge tone="gray">Static NAT → {nat.instanceName}</Badge>}
        </span>
      }
    >
      <div role="tablist" aria-label={`Rules of ${ip.address}`} className="flex gap-1 overflow-x-auto border-b border-slate-200 px-2">
        {tabs.map((k) => {
          const n = rules.filter((r) => r.kind === k).length;
          return (
            <button
              key={k}
              type="button"
              role="tab"
              id={`${id}-tab-${k}`}
              aria-selected={tab === k}
              aria-controls={`${id}-panel`}
              onClick={() => setTab(k)}
              className={`whitespace-nowrap border-b-2 px-3 py-2 text-sm ${tab === k ? "border-brand-600 font-medium text-brand-700" : "border-transparent text-slate-600 hover:text-slate-900"}`}
            >
              {ruleKindLabels[k]}
              {n > 0 && <span className="ml-1 text-xs text-slate-500">({n})</span>}
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} className="space-y-2 p-2">
        <div className="flex flex-wrap items-center justify-between gap-2 px-2">
          <p className="text-sm text-slate-600">{hintOf(tab, ip)}</p>
          <Button variant="secondary" disabled={!!why} title={why ?? undefined} onClick={() => onAdd(tab)}>
            {addLabel}
          </Button>
        </div>
        {why && !has(tab) && <p className="px-2 text-sm text-amber-800">{why}.</p>}
        <StaticTable<Rule>
          label={`${ruleKindLabels[tab]} rules of ${ip.address}`}
          rows={mine}
          rowKey={(r) => r.id}
          rowName={(r) => `${ruleKindLabels[r.kind].toLowerCase()} rule ${r.name ?? ""}`.trim()}
          emptyTitle={tab === "static_nat" ? "Static NAT is off" : `No ${ruleKindLabels[tab].toLowerCase()} rule`}
          emptyHint={tab === "firewall" ? "Nothing from outside reaches this address until a firewall rule allows it." : undefined}
          columns={columnsOf(tab)}
          rowActions={(r) => [
            ...(r.kind === "load_balancer" ? [{ label: "Change members", onSelect: () => onMembers(r) }] : []),
            {
              label: r.kind === "static_nat" ? "Disable" : "Delete",
              danger: true,
              onSelect: () => del.ask(r, `this ${ruleKindLabels[r.kind].toLowerCase()} rule`),
            },
          ]}
        />
      </div>
      {del.dialog}
    </Card>
  );
}

function hintOf(tab: Tab, ip: Ip) {
  switch (tab) {
    case "firewall":
      return `Ingress to ${ip.address}: only what a rule allows comes in.`;
    case "port_forward":
      return "Public ports to an instance's ports; reachable only where a firewall rule allows them.";
    case "static_nat":
      return "The whole address to one instance, both ways.";
    case "load_balancer":
      return "One public TCP port spread over several instances (haproxy).";
  }
}

const reachable = (r: Rule) => (r.reachable ? <Badge tone="green">Open</Badge> : <Badge tone="amber">Closed: add a firewall rule</Badge>);

function columnsOf(tab: Tab): Column<Rule>[] {
  switch (tab) {
    case "firewall":
      return [
        { key: "protocol", header: "Protocol", cell: (r) => r.protocol.toUpperCase() },
        { key: "ports", header: "Ports", cell: (r) => ports(r.startPort, r.endPort) },
        { key: "cidrs", header: "From", cell: (r) => <span className="font-mono text-xs">{r.cidrs.join(", ")}</span> },
      ];
    case "port_forward":
      return [
        { key: "protocol", header: "Protocol", cell: (r) => r.protocol.toUpperCase() },
        { key: "public", header: "Public ports", cell: (r) => ports(r.startPort, r.endPort) },
        {
          key: "target",
          header: "To",
          cell: (r) => (
            <span>
              {r.instanceName} <span className="font-mono text-xs">{r.privateIp}</span>:{ports(r.privateStartPort, r.privateEndPort)}
            </span>
          ),
        },
        { key: "open", header: "Firewall", hideBelow: "sm", cell: reachable },
      ];
    case "static_nat":
      return [
        { key: "target", header: "Instance", cell: (r) => r.instanceName },
        { key: "ip", header: "Private address", cell: (r) => <span className="font-mono">{r.privateIp}</span> },
      ];
    case "load_balancer":
      return [
        { key: "name", header: "Name", cell: (r) => r.name },
        { key: "ports", header: "Ports", cell: (r) => `${r.startPort} → ${r.privateStartPort}` },
        { key: "algorithm", header: "Algorithm", hideBelow: "sm", cell: (r) => r.algorithm },
        {
          key: "members",
          header: "Members",
          cell: (r) => (r.members.length ? r.members.map((m) => m.vmName).join(", ") : <span className="text-slate-500">none</span>),
        },
        {
          key: "health",
          header: "Health check",
          hideBelow: "md",
          cell: (r) =>
            r.healthCheck
              ? `${r.healthCheck.path ? `HTTP ${r.healthCheck.path}` : "TCP"} every ${r.healthCheck.intervalMs / 1000}s, down after ${r.healthCheck.unhealthyAfter}`
              : "none",
        },
        { key: "open", header: "Firewall", hideBelow: "sm", cell: reachable },
      ];
  }
}

function EgressCard({ network, rules, enabled, onAdd }: { network: Net; rules: Rule[]; enabled: boolean; onAdd: () => void }) {
  const del = useDeleteRule();
  const allow = network.egressDefault === "allow";
  return (
    <Card
      title="Egress rules"
      actions={
        <Button
          variant="secondary"
          disabled={!enabled}
          title={enabled ? undefined : "The network's offering has no Firewall service"}
          onClick={onAdd}
        >
          {allow ? "Block traffic" : "Allow traffic"}
        </Button>
      }
    >
      <p className="px-4 pt-3 text-sm text-slate-700" data-testid="egress-default">
        {allow ? (
          <>
            Outgoing traffic is <strong>allowed</strong> by default (the offering); each rule below <strong>blocks</strong> what it matches.
          </>
        ) : (
          <>
            Outgoing traffic is <strong>denied</strong> by default (the offering); each rule below <strong>allows</strong> what it matches.
          </>
        )}
      </p>
      <StaticTable<Rule>
        label="Egress rules"
        rows={rules}
        rowKey={(r) => r.id}
        rowName={() => "egress rule"}
        emptyTitle="No egress rule"
        emptyHint={allow ? "Instances may reach anywhere." : "Instances reach nothing outside the network."}
        columns={[
          { key: "effect", header: "Effect", cell: () => (allow ? <Badge tone="red">Block</Badge> : <Badge tone="green">Allow</Badge>) },
          { key: "protocol", header: "Protocol", cell: (r) => r.protocol.toUpperCase() },
          { key: "ports", header: "Ports", cell: (r) => ports(r.startPort, r.endPort) },
          { key: "cidrs", header: "To", cell: (r) => <span className="font-mono text-xs">{r.cidrs.join(", ")}</span> },
        ]}
        rowActions={(r) => [{ label: "Delete", danger: true, onSelect: () => del.ask(r, "this egress rule") }]}
      />
      {del.dialog}
    </Card>
  );
}
