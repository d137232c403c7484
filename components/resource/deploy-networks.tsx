"use client";
import { useQuery } from "@tanstack/react-query";
import { Checkbox, Field, Input } from "@/components/ui/field";
import { Skeleton, ErrorState } from "@/components/ui/states";
import type { RouterOutputs } from "@/components/resource/router-types";
import { useCaller } from "@/components/shell/caller-context";
import { useTRPC } from "@/lib/trpc/client";

export type NetworkChoices = RouterOutputs["network"]["choices"];
export interface NicPick {
  networkId: string;
  ip: string;
  /** Shared networks: the NIC's security groups (empty or absent: the account's default group). */
  securityGroupIds?: string[];
}

/** The account's networks in the deploy's zone, with the address the next NIC gets there. */
export function useNetworkChoices(zoneId: string | null) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.network.choices.queryOptions({ zoneId: zoneId ?? "" }), enabled: !!zoneId });
}

/** What the summary says about the NICs a deploy makes. */
export function describeNics(c: NetworkChoices | undefined, picks: NicPick[], count: number): string | undefined {
  if (!c) return undefined;
  if (picks.length === 0) {
    const def = c.networks.find((n) => n.isDefault);
    if (def) return `${def.name}${def.nextIp ? ` (${def.nextIp}${count > 1 ? " and on" : ""})` : ""}`;
    return c.defaultNetworkToCreate ? `${c.defaultNetworkToCreate.name} (new, 10.1.1.2${count > 1 ? " and on" : ""})` : "None";
  }
  return picks
    .map((p) => {
      const n = c.networks.find((x) => x.id === p.networkId) ?? c.sharedNetworks.find((x) => x.id === p.networkId);
      return `${n?.name ?? "?"} (${p.ip.trim() || n?.nextIp || "no address"})`;
    })
    .join(", ");
}

/**
 * The deploy wizard's Network step: no pick means the account's default network (made with the
 * deploy on a first one); otherwise one NIC per network ticked, in the order ticked, each with the
 * address it will get (the next free one, or one typed for a single VM).
 */
export function DeployNetworks({
  query,
  picks,
  onChange,
  count,
  error,
}: {
  query: ReturnType<typeof useNetworkChoices>;
  picks: NicPick[];
  onChange: (p: NicPick[]) => void;
  count: number;
  error?: string;
}) {
  if (query.isPending) return <Skeleton className="h-16 w-full" />;
  if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const c = query.data;
  const def = c.networks.find((n) => n.isDefault);
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600" data-testid="default-network-note">
        {picks.length > 0
          ? "One NIC per network ticked, in this order; the first is the default NIC."
          : def
            ? `Nothing ticked: a NIC on your default network ${def.name}${def.nextIp ? `, address ${def.nextIp}` : ""}${count > 1 ? " and the next ones" : ""}.`
            : c.defaultNetworkToCreate
              ? `Nothing ticked: your default network ${c.defaultNetworkToCreate.name} is created with this deploy (${c.defaultNetworkToCreate.offeringName}).`
              : "Nothing ticked: the instance gets no NIC on a network."}
      </p>
      {c.networks.length > 0 && (
        <ul className="divide-y divide-slate-100 rounded-md border border-slate-200" aria-label="Your networks in this zone">
          {c.networks.map((n) => {
            const i = picks.findIndex((p) => p.networkId === n.id);
            const picked = i >= 0;
            return (
              <li key={n.id} className="flex flex-wrap items-center gap-3 px-3 py-2">
                <Checkbox
                  label={`${n.name} (${n.cidr ?? "L2"})`}
                  checked={picked}
                  onChange={(e) =>
                    onChange(e.target.checked ? [...picks, { networkId: n.id, ip: "" }] : picks.filter((p) => p.networkId !== n.id))
                  }
                />
                {picked && (
                  <span className="text-xs text-slate-600" data-testid={`nic-address-${n.name}`}>
                    NIC {i === 0 ? "default" : `#${i}`} ·{" "}
                    {picks[i]!.ip.trim() || (n.nextIp ?? (n.cidr ? "no free address" : "no address (L2)"))}
                    {count > 1 && !picks[i]!.ip.trim() && n.nextIp ? " and the next ones" : ""}
                  </span>
                )}
                {picked && count === 1 && n.cidr && (
                  <Field label={`Address on ${n.name} (optional)`} className="w-full sm:w-56">
                    {(id) => (
                      <Input
                        id={id}
                        className="font-mono"
                        placeholder={n.nextIp ?? ""}
                        value={picks[i]!.ip}
                        onChange={(e) => onChange(picks.map((p, j) => (j === i ? { ...p, ip: e.target.value } : p)))}
                      />
                    )}
                  </Field>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <SharedNetworkPicks networks={c.sharedNetworks} picks={picks} onChange={onChange} count={count} />
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * Shared networks the account may use (an administrator's, on a router outside Stratus): a NIC
 * there is filtered by security groups, chosen here (none ticked: the account's default group).
 */
function SharedNetworkPicks({
  networks,
  picks,
  onChange,
  count,
}: {
  networks: NetworkChoices["sharedNetworks"];
  picks: NicPick[];
  onChange: (p: NicPick[]) => void;
  count: number;
}) {
  const trpc = useTRPC();
  const caller = useCaller();
  const anyPicked = picks.some((p) => networks.some((n) => n.id === p.networkId));
  const groups = useQuery({ ...trpc.securityGroup.list.queryOptions(), enabled: anyPicked });
  if (networks.length === 0) return null;
  const own = (groups.data?.items ?? []).filter((g) => g.accountId === caller.accountId);
  return (
    <ul className="divide-y divide-slate-100 rounded-md border border-slate-200" aria-label="Shared networks in this zone">
      {networks.map((n) => {
        const i = picks.findIndex((p) => p.networkId === n.id);
        const pick = i >= 0 ? picks[i]! : null;
        const chosen = pick?.securityGroupIds ?? [];
        const setGroups = (ids: string[]) =>
          onChange(picks.map((p, j) => (j === i ? { ...p, securityGroupIds: ids.length ? ids : undefined } : p)));
        return (
          <li key={n.id} className="space-y-2 px-3 py-2">
            <div className="flex flex-wrap items-center gap-3">
              <Checkbox
                label={`${n.name} (shared, ${n.cidr})`}
                checked={!!pick}
                onChange={(e) =>
                  onChange(e.target.checked ? [...picks, { networkId: n.id, ip: "" }] : picks.filter((p) => p.networkId !== n.id))
                }
              />
              {pick && (
                <span className="text-xs text-slate-600" data-testid={`nic-address-${n.name}`}>
                  NIC {i === 0 ? "default" : `#${i}`} · {n.nextIp ?? "no free address"}
                  {count > 1 && n.nextIp ? " and the next ones" : ""}
                </span>
              )}
            </div>
            {pick && (
              <fieldset className="ml-6">
                <legend className="text-xs font-medium text-slate-700">Security groups on {n.name}</legend>
                {groups.isPending ? (
                  <Skeleton className="h-6 w-48" />
                ) : groups.error ? (
                  <ErrorState error={groups.error} onRetry={() => void groups.refetch()} />
                ) : (
                  <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
                    {own.length === 0 && <p className="text-xs text-slate-600">Your default group is created with this deploy.</p>}
                    {own.map((g) => (
                      <Checkbox
                        key={g.id}
                        label={g.name}
                        checked={chosen.length ? chosen.includes(g.id) : g.isDefault}
                        onChange={(e) => {
                          const base = chosen.length ? chosen : own.filter((o) => o.isDefault).map((o) => o.id);
                          setGroups(e.target.checked ? [...base, g.id] : base.filter((x) => x !== g.id));
                        }}
                      />
                    ))}
                  </div>
                )}
              </fieldset>
            )}
          </li>
        );
      })}
    </ul>
  );
}
