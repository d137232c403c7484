import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db";
import { instances, loadBalancerMembers, networkOfferings, networkRules, networks, nics, publicIps } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { instanceScope, networkScope, publicIpScope } from "@/server/authz/scopes";
import { conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { recordNetworkRuleUsage } from "@/server/core/usage";
import { retryOnDeadlock } from "@/server/core/retry";
import {
  ruleKindLabels,
  serviceOfKind,
  type CreateEgressRuleInput,
  type CreateFirewallRuleInput,
  type CreateLoadBalancerInput,
  type CreatePortForwardInput,
  type NetworkRuleKind,
} from "@/lib/validation/network-rules";
import type { Network } from "./ipam";
import { networkEvent } from "@/server/core/events";
import { dropRules, eventOf, usageOf } from "@/server/core/network-rules";
import { getNetworkInScope } from "./operations";
import { reapply } from "./public-ips";

/**
 * Network rules: static NAT, port forwarding, firewall (ingress), egress, load balancing, with
 * CloudStack's semantics. Every change locks the network row (FOR NO KEY UPDATE, as acquiring an
 * address does), so checks such as "no overlapping public ports" see every committed rule and two
 * racing creates are serialised; then it writes the rule, its event and usage fact, and queues a
 * network.restart that applies the network's whole desired state (rules from these rows).
 */

export type NetworkRule = typeof networkRules.$inferSelect;
type PublicIp = typeof publicIps.$inferSelect;

const portsText = (a: number | null, b: number | null) => (a === null ? "" : a === b || b === null ? `:${a}` : `:${a}-${b}`);

/** A public IP in the caller's scope with its network and offering; another tenant's is NOT_FOUND. */
async function publicIpInScope(db: DbOrTx, caller: Caller, id: string) {
  const [row] = await db
    .select({ ip: publicIps, n: networks, o: networkOfferings })
    .from(publicIps)
    .innerJoin(networks, eq(networks.id, publicIps.networkId))
    .innerJoin(networkOfferings, eq(networkOfferings.id, networks.networkOfferingId))
    .where(and(eq(publicIps.id, id), publicIpScope(caller)));
  if (!row) throw new ServiceError("NOT_FOUND", "Public IP not found", "publicIpId");
  return row;
}

function requireService(o: typeof networkOfferings.$inferSelect, n: Network, kind: NetworkRuleKind) {
  const service = serviceOfKind[kind];
  if (!o.services.includes(service))
    throw new ServiceError(
      "PRECONDITION_FAILED",
      `${ruleKindLabels[kind]} is not available on ${n.name}: its offering ${o.name} does not provide the ${service} service`,
    );
}

/**
 * A NIC on the network of a VM the caller may see, of the network's account and not expunged:
 * anything else is NOT_FOUND naming `field`.
 */
async function nicsOnNetwork(db: DbOrTx, caller: Caller, n: Network, nicIds: string[], field: string) {
  if (nicIds.length === 0) return [];
  const rows = await db
    .select({ nic: nics, vmName: instances.name })
    .from(nics)
    .innerJoin(instances, eq(instances.id, nics.instanceId))
    .where(and(inArray(nics.id, nicIds), eq(instances.accountId, n.accountId), ne(instances.state, "expunged"), instanceScope(caller)));
  for (const id of nicIds) {
    const r = rows.find((x) => x.nic.id === id);
    if (!r) throw new ServiceError("NOT_FOUND", "Instance NIC not found", field);
    if (r.nic.networkId !== n.id) throw new ServiceError("BAD_REQUEST", `${r.vmName}'s NIC is not on network ${n.name}`, field);
    if (!r.nic.ip) throw new ServiceError("BAD_REQUEST", `${r.vmName}'s NIC has no address`, field);
  }
  return nicIds.map((id) => rows.find((x) => x.nic.id === id)!);
}

/** Locks the network (serialising rule changes on it) and refuses one being deleted. */
async function lockNetwork(tx: Tx, n: Network): Promise<Network> {
  const [locked] = await tx.select().from(networks).where(eq(networks.id, n.id)).for("no key update");
  if (!locked) throw notFound("Network");
  if (locked.state === "destroying") throw conflict(`Network ${n.name} is being deleted`);
  return locked;
}

/** The IP still held (a release may have won the lock). */
async function ipStillHeld(tx: Tx, ip: PublicIp) {
  const [still] = await tx.select({ id: publicIps.id }).from(publicIps).where(eq(publicIps.id, ip.id));
  if (!still) throw new ServiceError("NOT_FOUND", "Public IP not found", "publicIpId");
}

async function staticNatOn(tx: DbOrTx, publicIpId: string) {
  const [r] = await tx
    .select({ id: networkRules.id })
    .from(networkRules)
    .where(and(eq(networkRules.publicIpId, publicIpId), eq(networkRules.kind, "static_nat")));
  return r ?? null;
}

/** Port-forward and LB rules on the IP whose public ports (for `protocol`) overlap [a, b]. */
async function publicPortClash(tx: DbOrTx, publicIpId: string, protocol: string, a: number, b: number) {
  const rows = await tx
    .select()
    .from(networkRules)
    .where(
      and(
        eq(networkRules.publicIpId, publicIpId),
        eq(networkRules.protocol, protocol),
        inArray(networkRules.kind, ["port_forward", "load_balancer"]),
      ),
    );
  return rows.find((r) => r.startPort! <= b && r.endPort! >= a) ?? null;
}

/** Writes a rule with its event and usage fact, then queues the apply; returns the rule and the job. */
async function insertRule(
  tx: Tx,
  caller: Caller,
  n: Network,
  values: Omit<typeof networkRules.$inferInsert, "networkId">,
  describe: string,
) {
  const [rule] = await tx
    .insert(networkRules)
    .values({ ...values, networkId: n.id })
    .returning();
  await networkEvent(tx, n, eventOf[rule!.kind][0], `${describe} on network ${n.name}`, {
    actor: caller.userId,
    details: { ruleId: rule!.id },
  });
  await recordNetworkRuleUsage(tx, usageOf(rule!.kind, true), rule!, n);
  return rule!;
}

/** Runs a rule change in one transaction (network locked), mapping a partial-unique violation to CONFLICT. */
async function change<T>(db: Db, n: Network, caller: Caller, run: (tx: Tx, locked: Network) => Promise<T>, clash: string, field?: string) {
  try {
    return await retryOnDeadlock(() =>
      db.transaction(async (tx) => {
        const locked = await lockNetwork(tx, n);
        const result = await run(tx, locked);
        const jobId = await reapply(tx, locked, caller.userId);
        return { ...result, jobId };
      }),
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(clash, field);
    throw e;
  }
}

// ---- static NAT ----

export async function enableStaticNat(db: Db, caller: Caller, input: { publicIpId: string; nicId: string }) {
  const { ip, n, o } = await publicIpInScope(db, caller, input.publicIpId);
  requireService(o, n, "static_nat");
  if (ip.isSourceNat)
    throw new ServiceError(
      "BAD_REQUEST",
      `${ip.address} is the source-NAT address of ${n.name}; acquire another address for static NAT`,
      "publicIpId",
    );
  const [target] = await nicsOnNetwork(db, caller, n, [input.nicId], "nicId");
  return change(
    db,
    n,
    caller,
    async (tx, locked) => {
      await ipStillHeld(tx, ip);
      if (await staticNatOn(tx, ip.id)) throw conflict(`${ip.address} already has static NAT; disable it first`, "publicIpId");
      const [other] = await tx
        .select({ id: networkRules.id })
        .from(networkRules)
        .where(and(eq(networkRules.publicIpId, ip.id), inArray(networkRules.kind, ["port_forward", "load_balancer"])));
      if (other)
        throw conflict(`${ip.address} has port-forwarding or load-balancing rules; delete them before enabling static NAT`, "publicIpId");
      const rule = await insertRule(
        tx,
        caller,
        locked,
        { kind: "static_nat", publicIpId: ip.id, protocol: "all", nicId: target!.nic.id, privateIp: target!.nic.ip },
        `Static NAT ${ip.address} → ${target!.vmName} (${target!.nic.ip})`,
      );
      return { rule };
    },
    `${target!.vmName}'s NIC or ${ip.address} already has static NAT`,
    "nicId",
  );
}

// ---- port forwarding ----

export async function createPortForward(db: Db, caller: Caller, input: CreatePortForwardInput) {
  const { ip, n, o } = await publicIpInScope(db, caller, input.publicIpId);
  requireService(o, n, "port_forward");
  if (input.openFirewall) requireService(o, n, "firewall");
  const [target] = await nicsOnNetwork(db, caller, n, [input.nicId], "nicId");
  if (input.privateIp && input.privateIp !== target!.nic.ip)
    throw new ServiceError("BAD_REQUEST", `Private IP must be an address of ${target!.vmName}'s NIC (${target!.nic.ip})`, "privateIp");
  const pub: [number, number] = [input.publicStartPort, input.publicEndPort ?? input.publicStartPort];
  const priv: [number, number] = [input.privateStartPort, input.privateEndPort ?? input.privateStartPort];
  return change(
    db,
    n,
    caller,
    async (tx, locked) => {
      await ipStillHeld(tx, ip);
      if (await staticNatOn(tx, ip.id))
        throw conflict(`${ip.address} has static NAT: every port already goes to its VM; disable static NAT first`, "publicIpId");
      const clash = await publicPortClash(tx, ip.id, input.protocol, pub[0], pub[1]);
      if (clash)
        throw conflict(
          `Public ports ${pub[0]}-${pub[1]}/${input.protocol} of ${ip.address} overlap a ${ruleKindLabels[clash.kind].toLowerCase()} rule (${clash.startPort}-${clash.endPort})`,
          "publicStartPort",
        );
      const rule = await insertRule(
        tx,
        caller,
        locked,
        {
          kind: "port_forward",
          publicIpId: ip.id,
          protocol: input.protocol,
          startPort: pub[0],
          endPort: pub[1],
          privateStartPort: priv[0],
          privateEndPort: priv[1],
          nicId: target!.nic.id,
          privateIp: target!.nic.ip,
        },
        `Port forward ${ip.address}${portsText(...pub)}/${input.protocol} → ${target!.vmName} ${target!.nic.ip}${portsText(...priv)}`,
      );
      const firewall = input.openFirewall
        ? await insertRule(
            tx,
            caller,
            locked,
            { kind: "firewall", publicIpId: ip.id, protocol: input.protocol, startPort: pub[0], endPort: pub[1], cidrs: ["0.0.0.0/0"] },
            `Firewall rule ${ip.address}${portsText(...pub)}/${input.protocol} from 0.0.0.0/0`,
          )
        : null;
      return { rule, firewall };
    },
    "The rule conflicts with another",
  );
}

// ---- firewall (ingress) and egress ----

export async function createFirewallRule(db: Db, caller: Caller, input: CreateFirewallRuleInput) {
  const { ip, n, o } = await publicIpInScope(db, caller, input.publicIpId);
  requireService(o, n, "firewall");
  const ports = input.startPort == null ? null : ([input.startPort, input.endPort ?? input.startPort] as const);
  return change(
    db,
    n,
    caller,
    async (tx, locked) => {
      await ipStillHeld(tx, ip);
      const rule = await insertRule(
        tx,
        caller,
        locked,
        {
          kind: "firewall",
          publicIpId: ip.id,
          protocol: input.protocol,
          startPort: ports?.[0],
          endPort: ports?.[1],
          cidrs: input.sourceCidrs,
        },
        `Firewall rule ${ip.address}${ports ? portsText(...ports) : ""}/${input.protocol} from ${input.sourceCidrs.join(", ")}`,
      );
      return { rule };
    },
    "The rule conflicts with another",
  );
}

export async function createEgressRule(db: Db, caller: Caller, input: CreateEgressRuleInput) {
  const n = await getNetworkInScope(db, caller, input.networkId);
  const [o] = await db.select().from(networkOfferings).where(eq(networkOfferings.id, n.networkOfferingId));
  if (o!.guestType !== "isolated")
    throw new ServiceError("BAD_REQUEST", `Network ${n.name} is not isolated: egress rules need its router`, "networkId");
  requireService(o!, n, "egress");
  const ports = input.startPort == null ? null : ([input.startPort, input.endPort ?? input.startPort] as const);
  return change(
    db,
    n,
    caller,
    async (tx, locked) => {
      const rule = await insertRule(
        tx,
        caller,
        locked,
        { kind: "egress", protocol: input.protocol, startPort: ports?.[0], endPort: ports?.[1], cidrs: input.destCidrs },
        `Egress rule ${input.protocol}${ports ? portsText(...ports) : ""} to ${input.destCidrs.join(", ")} (${o!.egressDefault === "allow" ? "blocked: egress is allowed by default" : "allowed: egress is denied by default"})`,
      );
      return { rule };
    },
    "The rule conflicts with another",
  );
}

// ---- load balancing ----

async function setMembers(tx: Tx, ruleId: string, nicIds: string[]) {
  await tx.delete(loadBalancerMembers).where(eq(loadBalancerMembers.ruleId, ruleId));
  if (nicIds.length) await tx.insert(loadBalancerMembers).values([...new Set(nicIds)].map((nicId) => ({ ruleId, nicId })));
}

export async function createLoadBalancer(db: Db, caller: Caller, input: CreateLoadBalancerInput) {
  const { ip, n, o } = await publicIpInScope(db, caller, input.publicIpId);
  requireService(o, n, "load_balancer");
  if (input.openFirewall) requireService(o, n, "firewall");
  const members = await nicsOnNetwork(db, caller, n, [...new Set(input.nicIds)], "nicIds");
  const hc = input.healthCheck
    ? {
        path: input.healthCheck.type === "http" ? input.healthCheck.path! : null,
        intervalMs: input.healthCheck.intervalSeconds * 1000,
        unhealthyAfter: input.healthCheck.unhealthyThreshold,
      }
    : null;
  return change(
    db,
    n,
    caller,
    async (tx, locked) => {
      await ipStillHeld(tx, ip);
      if (await staticNatOn(tx, ip.id)) throw conflict(`${ip.address} has static NAT; disable it first`, "publicIpId");
      const clash = await publicPortClash(tx, ip.id, "tcp", input.publicPort, input.publicPort);
      if (clash)
        throw conflict(
          `Public port ${input.publicPort}/tcp of ${ip.address} is taken by a ${ruleKindLabels[clash.kind].toLowerCase()} rule`,
          "publicPort",
        );
      const rule = await insertRule(
        tx,
        caller,
        locked,
        {
          kind: "load_balancer",
          publicIpId: ip.id,
          protocol: "tcp",
          startPort: input.publicPort,
          endPort: input.publicPort,
          privateStartPort: input.privatePort,
          privateEndPort: input.privatePort,
          name: input.name,
          algorithm: input.algorithm,
          healthCheck: hc,
        },
        `Load balancer ${input.name} ${ip.address}:${input.publicPort} → port ${input.privatePort} (${input.algorithm}, ${members.length} member(s))`,
      );
      await setMembers(
        tx,
        rule.id,
        members.map((m) => m.nic.id),
      );
      const firewall = input.openFirewall
        ? await insertRule(
            tx,
            caller,
            locked,
            {
              kind: "firewall",
              publicIpId: ip.id,
              protocol: "tcp",
              startPort: input.publicPort,
              endPort: input.publicPort,
              cidrs: ["0.0.0.0/0"],
            },
            `Firewall rule ${ip.address}:${input.publicPort}/tcp from 0.0.0.0/0`,
          )
        : null;
      return { rule, firewall };
    },
    "The rule conflicts with another",
  );
}

/** A rule of a network in the caller's scope; another tenant's is NOT_FOUND. */
async function ruleInScope(db: DbOrTx, caller: Caller, id: string) {
  const [row] = await db
    .select({ rule: networkRules, n: networks })
    .from(networkRules)
    .innerJoin(networks, eq(networks.id, networkRules.networkId))
    .where(and(eq(networkRules.id, id), networkScope(caller)));
  if (!row) throw notFound("Rule");
  return row;
}

export async function setLoadBalancerMembers(db: Db, caller: Caller, input: { id: string; nicIds: string[] }) {
  const { rule, n } = await ruleInScope(db, caller, input.id);
  if (rule.kind !== "load_balancer") throw new ServiceError("BAD_REQUEST", "The rule is not a load balancer", "id");
  const members = await nicsOnNetwork(db, caller, n, [...new Set(input.nicIds)], "nicIds");
  return change(
    db,
    n,
    caller,
    async (tx, locked) => {
      const [still] = await tx.select({ id: networkRules.id }).from(networkRules).where(eq(networkRules.id, rule.id));
      if (!still) throw notFound("Rule");
      await setMembers(
        tx,
        rule.id,
        members.map((m) => m.nic.id),
      );
      await networkEvent(
        tx,
        locked,
        "LB.ASSIGN.TO.RULE",
        `Load balancer ${rule.name}: members ${members.map((m) => m.vmName).join(", ") || "none"}`,
        {
          actor: caller.userId,
        },
      );
      return {};
    },
    "The rule conflicts with another",
  );
}

// ---- delete and cascades ----

export async function deleteNetworkRule(db: Db, caller: Caller, id: string) {
  const { n } = await ruleInScope(db, caller, id);
  return change(
    db,
    n,
    caller,
    async (tx) => {
      if ((await dropRules(tx, eq(networkRules.id, id), caller.userId)) === 0) throw notFound("Rule");
      return {};
    },
    "",
  );
}

/** A released address's rules go with it (in the release's transaction). */
export const dropRulesOfPublicIp = (tx: DbOrTx, publicIpId: string, actor: string | null) =>
  dropRules(tx, eq(networkRules.publicIpId, publicIpId), actor);

/** A deleted network's rules go with it. */
export const dropRulesOfNetwork = (tx: DbOrTx, networkId: string, actor: string | null, key?: string) =>
  dropRules(tx, eq(networkRules.networkId, networkId), actor, key);

// ---- reading ----

/** Every rule of a network, with addresses and targets, and whether a firewall rule lets each forward/LB in. */
export async function listNetworkRules(db: DbOrTx, caller: Caller, networkId: string) {
  const n = await getNetworkInScope(db, caller, networkId);
  const rows = await db
    .select({
      rule: networkRules,
      address: publicIps.address,
      vmName: instances.name,
      instanceId: instances.id,
    })
    .from(networkRules)
    .leftJoin(publicIps, eq(publicIps.id, networkRules.publicIpId))
    .leftJoin(nics, eq(nics.id, networkRules.nicId))
    .leftJoin(instances, eq(instances.id, nics.instanceId))
    .where(eq(networkRules.networkId, n.id))
    .orderBy(asc(networkRules.createdAt), asc(networkRules.id));
  const lbIds = rows.filter((r) => r.rule.kind === "load_balancer").map((r) => r.rule.id);
  const members = lbIds.length
    ? await db
        .select({ ruleId: loadBalancerMembers.ruleId, nicId: nics.id, ip: nics.ip, vmName: instances.name, instanceId: instances.id })
        .from(loadBalancerMembers)
        .innerJoin(nics, eq(nics.id, loadBalancerMembers.nicId))
        .innerJoin(instances, eq(instances.id, nics.instanceId))
        .where(inArray(loadBalancerMembers.ruleId, lbIds))
        .orderBy(asc(instances.name))
    : [];
  const firewalls = rows.filter((r) => r.rule.kind === "firewall").map((r) => r.rule);
  const allowed = (r: NetworkRule) =>
    firewalls.some(
      (f) =>
        f.publicIpId === r.publicIpId &&
        (f.protocol === "all" || f.protocol === r.protocol) &&
        (f.startPort === null || (f.startPort <= r.startPort! && f.endPort! >= r.endPort!)),
    );
  return rows.map(({ rule, address, vmName, instanceId }) => ({
    id: rule.id,
    kind: rule.kind,
    publicIpId: rule.publicIpId,
    publicIp: address,
    protocol: rule.protocol,
    startPort: rule.startPort,
    endPort: rule.endPort,
    privateStartPort: rule.privateStartPort,
    privateEndPort: rule.privateEndPort,
    cidrs: rule.cidrs,
    nicId: rule.nicId,
    privateIp: rule.privateIp,
    instanceId,
    instanceName: vmName,
    name: rule.name,
    algorithm: rule.algorithm,
    healthCheck: rule.healthCheck,
    members: members.filter((m) => m.ruleId === rule.id).map(({ ruleId: _r, ...m }) => m),
    /** Port forwards and LBs: whether a firewall rule lets traffic to their public ports in. */
    reachable: rule.kind === "port_forward" || rule.kind === "load_balancer" ? allowed(rule) : null,
    createdAt: rule.createdAt,
  }));
}
