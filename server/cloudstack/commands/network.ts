import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { networkRules, networks, publicIps } from "@/db/schema";
import { formatIp, parseIp } from "@/lib/ipv4";
import { anyCidrSchema } from "@/lib/validation/network-rules";
import { isAdmin } from "@/server/authz/caller";
import { recordCompletedJob } from "@/server/orchestrator/jobs/queue";
import { csDate, listBody } from "../envelope";
import { CsError } from "../errors";
import { cs, pagingParams } from "../params";
import {
  csGuestType,
  csServices,
  networkDomains,
  renderFirewallRule,
  renderIp,
  renderLoadBalancerRule,
  renderNetworks,
  renderPortForwardingRule,
  type NetworkRow,
  type RuleRow,
} from "../render-network";
import { pageSlice } from "./catalog";
import { accountIdOf, csPage } from "./paging";
import { command, type CsContext } from "./types";

/**
 * Guest networks, public IPs and their rules (CloudStack's network commands), each a call of the
 * network, publicIp, networkRule and nic procedures acting as the key's user. Stratus applies a
 * rule change inside the call (the network's router follows in a network.restart job); the
 * CloudStack async commands answer a job recorded as done with that change, whose result is the
 * object, as queryAsyncJobResult shows it.
 */

type Api = CsContext["api"];
type Rule = Awaited<ReturnType<Api["networkRule"]["list"]>>[number];

const notFound = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
const port = (label: string) => cs.int(label, 1, 65535);
const protocolParam = (label: string, allowed: readonly string[]) =>
  z
    .string({ error: `${label} is required` })
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(allowed as [string, ...string[]], { message: `${label} must be one of ${allowed.join(", ")}` }));
const cidrListParam = (label: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean),
    )
    .pipe(z.array(anyCidrSchema(label)).max(32, { message: `${label}: at most 32` }));
const idList = (label: string) =>
  z
    .string({ error: `${label} is required` })
    .transform((s) =>
      s
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().uuid({ message: `${label}: not a list of valid ids` })).min(1, { message: `${label} is required` }));
/** Options Stratus cannot honour are refused naming the parameter, never ignored. */
const refuse = (name: string, why: string): never => {
  throw new CsError(431, `${name} is not supported: ${why}`);
};
const everywhere = (cidrs: string[] | undefined) => !cidrs || cidrs.every((c) => c === "0.0.0.0/0");

// ---- reading through the scoped procedures ----

/** Every network the caller may see (network.list, read in Stratus pages). */
async function allNetworks(ctx: CsContext): Promise<NetworkRow[]> {
  const page = await csPage({}, async (page, pageSize) => {
    const r = await ctx.api.network.list({ page, pageSize });
    return { items: r.items, total: r.total };
  });
  return page.items;
}

const networkRow = async (ctx: CsContext, id: string) => (await ctx.api.network.get({ id })) as NetworkRow;
/** A lookup whose NOT_FOUND means "not there (for this caller)"; any other failure is thrown. */
const orNull = <T>(p: Promise<T>) =>
  p.catch((e: unknown) => {
    if (e instanceof TRPCError && e.code === "NOT_FOUND") return null;
    throw e;
  });

/** Which network an address or rule is on (a bare id read; the scoped procedures then decide whether the caller sees it). */
async function networkIdOf(ctx: CsContext, table: "ip" | "rule", id: string): Promise<string | null> {
  const t = table === "ip" ? publicIps : networkRules;
  const [row] = await ctx.db.select({ networkId: t.networkId }).from(t).where(eq(t.id, id));
  return row?.networkId ?? null;
}

interface Holding {
  n: NetworkRow;
  ips: Awaited<ReturnType<Api["publicIp"]["list"]>>;
  rules: Rule[];
}

/** The public addresses and rules of the given networks (isolated ones: only they have a router). */
async function holdings(ctx: CsContext, nets: NetworkRow[]): Promise<Holding[]> {
  const out: Holding[] = [];
  for (const n of nets.filter((x) => x.guestType === "isolated")) {
    const [ips, rules] = await Promise.all([ctx.api.publicIp.list({ networkId: n.id }), ctx.api.networkRule.list({ networkId: n.id })]);
    out.push({ n, ips, rules });
  }
  return out;
}

/** A public address in the caller's scope with its network, or NOT_FOUND. */
async function ipInScope(ctx: CsContext, id: string) {
  const networkId = await networkIdOf(ctx, "ip", id);
  if (!networkId) throw notFound("Public IP address");
  const n = await orNull(networkRow(ctx, networkId));
  if (!n) throw notFound("Public IP address");
  const [h] = await holdings(ctx, [n]);
  const ip = h?.ips.find((x) => x.id === id);
  if (!h || !ip) throw notFound("Public IP address");
  return { ip, ...h };
}

/** A rule in the caller's scope with its network, or NOT_FOUND. */
async function ruleInScope(ctx: CsContext, id: string, kind: string, what: string) {
  const networkId = await networkIdOf(ctx, "rule", id);
  if (!networkId) throw notFound(what);
  const n = await orNull(networkRow(ctx, networkId));
  const rule = n ? (await ctx.api.networkRule.list({ networkId })).find((r) => r.id === id && r.kind === kind) : undefined;
  if (!n || !rule) throw notFound(what);
  return { n, rule };
}

/** The VM's NIC on network `n` (its other NICs cannot take the network's rules). */
async function nicOn(ctx: CsContext, vmId: string, n: NetworkRow, param: string) {
  const vmNics = await ctx.api.nic.list({ instanceId: vmId });
  const nic = vmNics.find((x) => x.networkId === n.id);
  if (!nic) throw new CsError(431, `${param}: the virtual machine ${vmId} has no NIC on network ${n.name}`);
  return nic;
}

/** An async CloudStack command's job: the change is made, so the job is recorded done (its owner is the network's). */
async function doneJob(ctx: CsContext, type: string, resourceType: string, resourceId: string, networkId: string) {
  const [n] = await ctx.db
    .select({ accountId: networks.accountId, domainPath: networks.domainPath })
    .from(networks)
    .where(eq(networks.id, networkId));
  const job = await recordCompletedJob(ctx.db, {
    type,
    resourceType,
    resourceId,
    accountId: n?.accountId ?? ctx.caller.accountId,
    domainPath: n?.domainPath ?? null,
    userId: ctx.caller.userId,
  });
  return job.id;
}

/** CloudStack's listall and account/domainid as a filter on the owner of what the scoped list returned. */
async function ownerFilter(ctx: CsContext, p: { listall?: boolean; account?: string; domainid?: string }) {
  const accountId = await accountIdOf(ctx, p.account, p.domainid);
  if (accountId) return (n: NetworkRow) => n.accountId === accountId;
  if (isAdmin(ctx.caller) && !p.listall && !p.domainid) return (n: NetworkRow) => n.accountId === ctx.caller.accountId;
  return () => true;
}

const asRule = (r: Rule) => r as unknown as RuleRow;
/** The key of a rule in a job's result (CloudStack's create commands) and in its list. */
const ruleKey = { firewall: "firewallrule", port_forward: "portforwardingrule", load_balancer: "loadbalancer" } as const;
const ruleListKey = { ...ruleKey, load_balancer: "loadbalancerrule" } as const;

/** The object a network command's job worked on, as queryAsyncJobResult shows it; null for other jobs. */
export async function networkJobResult(
  ctx: CsContext,
  type: string,
  resourceType: string,
  resourceId: string,
): Promise<Record<string, unknown> | null> {
  const gone = { success: true };
  if (resourceType === "network") {
    if (type === "network.delete") return gone;
    const n = await orNull(networkRow(ctx, resourceId));
    return n ? { network: (await renderNetworks(ctx.db, [n]))[0] } : gone;
  }
  if (resourceType === "public_ip") {
    if (type !== "publicip.associate") return gone;
    const found = await orNull(ipInScope(ctx, resourceId));
    if (!found) return gone;
    const dom = (await networkDomains(ctx.db, [found.n.id])).get(found.n.id);
    const nat = found.rules.find((r) => r.kind === "static_nat" && r.publicIpId === found.ip.id) ?? null;
    return { ipaddress: renderIp(found.ip, found.n, dom, nat) };
  }
  if (resourceType === "network_rule") {
    const kind = Object.entries(CREATE_JOB).find(([, t]) => t === type)?.[0] as keyof typeof ruleKey | undefined;
    if (!kind) return gone;
    const found = await orNull(ruleInScope(ctx, resourceId, kind, "Rule"));
    if (!found) return gone;
    return { [ruleKey[kind]]: await ruleObject(ctx, found.rule, found.n) };
  }
  return null;
}

async function ruleObject(ctx: CsContext, r: Rule, n: NetworkRow) {
  if (r.kind === "firewall") return renderFirewallRule(asRule(r), n);
  if (r.kind === "port_forward") return renderPortForwardingRule(asRule(r), n);
  return renderLoadBalancerRule(asRule(r), n, (await networkDomains(ctx.db, [n.id])).get(n.id));
}

/** Stratus job types recorded for CloudStack's async network commands (jobs.ts names their command classes). */
const CREATE_JOB = {
  firewall: "rule.firewall.create",
  port_forward: "rule.portforward.create",
  load_balancer: "rule.loadbalancer.create",
} as const;
export const NETWORK_JOB_COMMAND: Record<string, string> = {
  "network.delete": "org.apache.cloudstack.api.command.user.network.DeleteNetworkCmd",
  "network.restart": "org.apache.cloudstack.api.command.user.network.RestartNetworkCmd",
  "publicip.associate": "org.apache.cloudstack.api.command.user.address.AssociateIPAddrCmd",
  "publicip.disassociate": "org.apache.cloudstack.api.command.user.address.DisassociateIPAddrCmd",
  "rule.firewall.create": "org.apache.cloudstack.api.command.user.firewall.CreateFirewallRuleCmd",
  "rule.firewall.delete": "org.apache.cloudstack.api.command.user.firewall.DeleteFirewallRuleCmd",
  "rule.portforward.create": "org.apache.cloudstack.api.command.user.firewall.CreatePortForwardingRuleCmd",
  "rule.portforward.delete": "org.apache.cloudstack.api.command.user.firewall.DeletePortForwardingRuleCmd",
  "rule.staticnat.disable": "org.apache.cloudstack.api.command.user.nat.DisableStaticNatCmd",
  "rule.loadbalancer.create": "org.apache.cloudstack.api.command.user.loadbalancer.CreateLoadBalancerRuleCmd",
  "rule.loadbalancer.delete": "org.apache.cloudstack.api.command.user.loadbalancer.DeleteLoadBalancerRuleCmd",
  "rule.loadbalancer.assign": "org.apache.cloudstack.api.command.user.loadbalancer.AssignToLoadBalancerRuleCmd",
  "rule.loadbalancer.remove": "org.apache.cloudstack.api.command.user.loadbalancer.RemoveFromLoadBalancerRuleCmd",
};

/** deleteFirewallRule, deletePortForwardingRule, deleteLoadBalancerRule: one rule of the kind, by id. */
function deleteRule(name: string, kind: keyof typeof ruleKey, what: string, jobType: string) {
  return command({
    name,
    description: `Deletes a ${what.toLowerCase()}`,
    isasync: true,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      const { n } = await ruleInScope(ctx, p.id, kind, what);
      await ctx.api.networkRule.delete({ id: p.id });
      return { jobid: await doneJob(ctx, jobType, "network_rule", p.id, n.id) };
    },
  });
}

/** listFirewallRules, listPortForwardingRules, listLoadBalancerRules: the rules of a kind on the caller's addresses. */
function listRules(name: string, kind: keyof typeof ruleKey, ipParam: "ipaddressid" | "publicipid") {
  // The address parameter's name differs by command (CloudStack's); typed as both, sent as one.
  const ipShape = { [ipParam]: cs.id(ipParam).optional() } as Record<"ipaddressid" | "publicipid", z.ZodOptional<ReturnType<typeof cs.id>>>;
  return command({
    name,
    description: `Lists ${kind === "firewall" ? "firewall" : kind === "port_forward" ? "port-forwarding" : "load-balancer"} rules`,
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      ...ipShape,
      networkid: cs.id("networkid").optional(),
      name: z.string().optional(),
      zoneid: cs.id("zoneid").optional(),
      virtualmachineid: cs.id("virtualmachineid").optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
    },
    async run(ctx, p) {
      const ipId = p[ipParam];
      const keyword = p.keyword ?? "";
      const byId = p.id ? await networkIdOf(ctx, "rule", p.id) : undefined;
      const byIp = ipId ? await networkIdOf(ctx, "ip", ipId) : undefined;
      if (byId === null || byIp === null) return {};
      const only = p.networkid ?? byId ?? byIp;
      const owns = await ownerFilter(ctx, p);
      const nets = only ? [await networkRow(ctx, only)] : (await allNetworks(ctx)).filter(owns);
      const dom = await networkDomains(
        ctx.db,
        nets.map((n) => n.id),
      );
      const hit = (await holdings(ctx, nets)).flatMap(({ n, rules }) =>
        rules
          .filter(
            (r) =>
              r.kind === kind &&
              (!p.id || r.id === p.id) &&
              (!ipId || r.publicIpId === ipId) &&
              (!p.zoneid || n.zoneId === p.zoneid) &&
              (!p.name || r.name === p.name) &&
              (!keyword || (r.name ?? r.publicIp ?? "").includes(keyword)) &&
              (!p.virtualmachineid || r.instanceId === p.virtualmachineid || r.members.some((m) => m.instanceId === p.virtualmachineid)),
          )
          .map((r) =>
            kind === "firewall"
              ? renderFirewallRule(asRule(r), n)
              : kind === "port_forward"
                ? renderPortForwardingRule(asRule(r), n)
                : renderLoadBalancerRule(asRule(r), n, dom.get(n.id)),
          ),
      );
      return listBody(ruleListKey[kind], pageSlice(hit, p), hit.length);
    },
  });
}

export const networkCommands = [
  command({
    name: "listNetworkOfferings",
    description: "Lists the network offerings the caller may use",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      name: z.string().optional(),
      guestiptype: z
        .string()
        .transform((s) => s.toLowerCase())
        .pipe(z.enum(["isolated", "shared", "l2"], { message: "guestiptype must be Isolated, Shared or L2" }))
        .optional(),
      state: z
        .string()
        .transform((s) => s.toLowerCase())
        .pipe(z.enum(["enabled", "disabled"], { message: "state must be Enabled or Disabled" }))
        .optional(),
      traffictype: z.enum(["Guest", "guest"], { message: "traffictype: Stratus's network offerings are all Guest" }).optional(),
      zoneid: cs.id("zoneid").optional(),
      isdefault: cs.bool("isdefault").optional(),
      forvpc: cs.bool("forvpc").optional(),
      specifyvlan: cs.bool("specifyvlan").optional(),
    },
    async run(ctx, p) {
      const page = await csPage({}, async (page, pageSize) => {
        const r = await ctx.api.networkOffering.list({ page, pageSize, search: p.name ?? p.keyword });
        return { items: r.items, total: r.total };
      });
      const hit = page.items.filter(
        (o) =>
          (!p.id || o.id === p.id) &&
          (!p.name || o.name === p.name) &&
          (!p.guestiptype || o.guestType === p.guestiptype) &&
          (!p.state || (o.state === "active") === (p.state === "enabled")) &&
          (p.isdefault === undefined || o.isDefault === p.isdefault) &&
          // No offering is for VPCs, none lets the user pick a VLAN.
          p.forvpc !== true &&
          p.specifyvlan !== true,
      );
      const out = pageSlice(hit, p).map((o) => ({
        id: o.id,
        name: o.name,
        displaytext: o.displayText ?? o.name,
        guestiptype: csGuestType(o.guestType),
        traffictype: "Guest",
        state: o.state === "active" ? "Enabled" : "Disabled",
        isdefault: o.isDefault,
        specifyvlan: false,
        specifyipranges: o.guestType === "shared",
        conservemode: true,
        forvpc: false,
        ispersistent: false,
        egressdefaultpolicy: o.egressDefault === "allow",
        networkrate: o.rateLimitMbps ?? undefined,
        availability: o.isDefault ? "Required" : "Optional",
        service: csServices(o.services),
        domainid: o.domainId ?? undefined,
        created: csDate(o.createdAt),
      }));
      return listBody("networkoffering", out, hit.length);
    },
  }),
  command({
    name: "listNetworks",
    description: "Lists guest networks",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      zoneid: cs.id("zoneid").optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
      type: z.string().optional(),
      networkofferingid: cs.id("networkofferingid").optional(),
      isdefault: cs.bool("isdefault").optional(),
      canusefordeploy: cs.bool("canusefordeploy").optional(),
      issystem: cs.bool("issystem").optional(),
      forvpc: cs.bool("forvpc").optional(),
      restartrequired: cs.bool("restartrequired").optional(),
      traffictype: z.string().optional(),
    },
    async run(ctx, p) {
      const owns = p.id ? () => true : await ownerFilter(ctx, p);
      const nets = p.id ? [await networkRow(ctx, p.id)] : await allNetworks(ctx);
      const hit = nets.filter(
        (n) =>
          owns(n) &&
          (!p.zoneid || n.zoneId === p.zoneid) &&
          (!p.type || csGuestType(n.guestType).toLowerCase() === p.type.toLowerCase()) &&
          (!p.networkofferingid || n.networkOfferingId === p.networkofferingid) &&
          (p.isdefault === undefined || n.isDefault === p.isdefault) &&
          (p.canusefordeploy === undefined || (n.state !== "destroying") === p.canusefordeploy) &&
          (!p.traffictype || p.traffictype.toLowerCase() === "guest") &&
          (!p.keyword || n.name.includes(p.keyword)) &&
          // Stratus has no system networks, VPCs, or networks waiting for a restart.
          p.issystem !== true &&
          p.forvpc !== true &&
          p.restartrequired !== true,
      );
      return listBody("network", await renderNetworks(ctx.db, pageSlice(hit, p)), hit.length);
    },
  }),
  command({
    name: "createNetwork",
    description: "Creates an isolated or L2 guest network",
    isasync: false,
    params: {
      name: z.string({ error: "name is required" }).min(1, { message: "name is required" }),
      displaytext: z.string().optional(),
      networkofferingid: cs.id("networkofferingid"),
      zoneid: cs.id("zoneid"),
      gateway: z.string().optional(),
      netmask: z.string().optional(),
      networkdomain: z.string().optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
      vlan: z.string().optional(),
      startip: z.string().optional(),
      endip: z.string().optional(),
      aclid: z.string().optional(),
      vpcid: z.string().optional(),
    },
    async run(ctx, p) {
      // An admin names another account with account + domainid (accountIdOf resolves it in the caller's scope).
      if (p.domainid && !p.account && p.domainid !== ctx.caller.domainId) throw new CsError(431, "account is required with domainid");
      const accountId = await accountIdOf(ctx, p.account, p.domainid);
      if (p.displaytext && p.displaytext !== p.name) refuse("displaytext", "a Stratus network is shown by its name");
      if (p.vlan) refuse("vlan", "Stratus gives a network a VLAN from the zone's guest ranges");
      if (p.startip || p.endip) refuse(p.startip ? "startip" : "endip", "an isolated network's whole CIDR is its guest range");
      if (p.aclid || p.vpcid) refuse(p.aclid ? "aclid" : "vpcid", "Stratus has no VPCs");
      let cidr: string | undefined;
      if (p.gateway || p.netmask) {
        if (!p.gateway || !p.netmask)
          throw new CsError(431, `${p.gateway ? "netmask" : "gateway"} is required with ${p.gateway ? "gateway" : "netmask"}`);
        const gw = parseIp(p.gateway);
        const mask = parseIp(p.netmask);
        const prefix = mask === null ? -1 : mask.toString(2).replace(/0+$/, "").length;
        if (gw === null) throw new CsError(431, "gateway must be an IPv4 address like 10.1.2.1");
        if (mask === null || (prefix > 0 && mask !== (0xffffffff << (32 - prefix)) >>> 0))
          throw new CsError(431, "netmask must be an IPv4 netmask like 255.255.255.0");
        const network = (gw & mask) >>> 0;
        cidr = `${formatIp(network)}/${prefix}`;
        if (gw !== network + 1)
          throw new CsError(431, `gateway must be the first address of ${cidr} (${formatIp(network + 1)}): Stratus's router takes it`);
      }
      const n = await ctx.api.network.create({
        accountId,
        name: p.name,
        zoneId: p.zoneid,
        networkOfferingId: p.networkofferingid,
        cidr,
        dnsDomain: p.networkdomain,
      });
      return { network: (await renderNetworks(ctx.db, [await networkRow(ctx, n.id)]))[0] };
    },
  }),
  command({
    name: "deleteNetwork",
    description: "Deletes a guest network without NICs",
    isasync: true,
    params: { id: cs.id("id"), forced: cs.bool("forced").optional() },
    async run(ctx, p) {
      if (p.forced) refuse("forced", "remove the network's NICs (or expunge their VMs) first");
      return { jobid: (await ctx.api.network.delete({ id: p.id })).jobId };
    },
  }),
  command({
    name: "listPublicIpAddresses",
    description: "Lists the public IP addresses of the caller's networks",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      ipaddress: z.string().optional(),
      associatednetworkid: cs.id("associatednetworkid").optional(),
      networkid: cs.id("networkid").optional(),
      zoneid: cs.id("zoneid").optional(),
      isstaticnat: cs.bool("isstaticnat").optional(),
      issourcenat: cs.bool("issourcenat").optional(),
      allocatedonly: cs.bool("allocatedonly").optional(),
      forvirtualnetwork: cs.bool("forvirtualnetwork").optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
    },
    async run(ctx, p) {
      if (p.allocatedonly === false) refuse("allocatedonly", "Stratus lists only the addresses your networks hold");
      if (p.networkid) refuse("networkid", "it names the public network; use associatednetworkid for the guest network");
      const byId = p.id ? await networkIdOf(ctx, "ip", p.id) : undefined;
      if (byId === null) return {};
      const only = p.associatednetworkid ?? byId;
      const owns = await ownerFilter(ctx, p);
      const nets = only ? [await networkRow(ctx, only)] : (await allNetworks(ctx)).filter(owns);
      const dom = await networkDomains(
        ctx.db,
        nets.map((n) => n.id),
      );
      const hit = (await holdings(ctx, nets)).flatMap(({ n, ips, rules }) =>
        ips.flatMap((ip) => {
          const nat = rules.find((r) => r.kind === "static_nat" && r.publicIpId === ip.id) ?? null;
          const ok =
            (!p.id || ip.id === p.id) &&
            (!p.ipaddress || ip.address === p.ipaddress) &&
            (!p.zoneid || n.zoneId === p.zoneid) &&
            (p.isstaticnat === undefined || (nat !== null) === p.isstaticnat) &&
            (p.issourcenat === undefined || ip.isSourceNat === p.issourcenat) &&
            p.forvirtualnetwork !== false &&
            (!p.keyword || ip.address.includes(p.keyword));
          return ok ? [renderIp(ip, n, dom.get(n.id), nat)] : [];
        }),
      );
      return listBody("publicipaddress", pageSlice(hit, p), hit.length);
    },
  }),
  command({
    name: "associateIpAddress",
    description: "Acquires a public IP address for an isolated network",
    isasync: true,
    params: {
      networkid: cs.id("networkid").optional(),
      zoneid: cs.id("zoneid").optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
      isportable: cs.bool("isportable").optional(),
      vpcid: z.string().optional(),
      ipaddress: z.string().optional(),
    },
    async run(ctx, p) {
      if (p.isportable) refuse("isportable", "Stratus addresses belong to one zone");
      if (p.vpcid) refuse("vpcid", "Stratus has no VPCs");
      if (p.ipaddress) refuse("ipaddress", "Stratus gives the next free address of the zone's ranges");
      if (p.account || p.domainid) refuse(p.account ? "account" : "domainid", "the address goes to the network's account");
      let networkId = p.networkid;
      if (!networkId) {
        if (!p.zoneid) throw new CsError(431, "networkid is required (or zoneid, for the account's default network in that zone)");
        const inZone = (await allNetworks(ctx)).filter(
          (n) => n.zoneId === p.zoneid && n.accountId === ctx.caller.accountId && n.guestType === "isolated" && n.state !== "destroying",
        );
        networkId = (inZone.find((n) => n.isDefault) ?? (inZone.length === 1 ? inZone[0] : undefined))?.id;
        if (!networkId) throw new CsError(431, "networkid is required: the account has no single isolated network in that zone");
      } else if (p.zoneid && (await networkRow(ctx, networkId)).zoneId !== p.zoneid) {
        throw new CsError(431, "zoneid: the network is in another zone");
      }
      const ip = await ctx.api.publicIp.acquire({ networkId });
      return { id: ip.id, jobid: await doneJob(ctx, "publicip.associate", "public_ip", ip.id, networkId) };
    },
  }),
  command({
    name: "disassociateIpAddress",
    description: "Releases a public IP address (its rules go with it)",
    isasync: true,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      const { n } = await ipInScope(ctx, p.id);
      await ctx.api.publicIp.release({ id: p.id });
      return { jobid: await doneJob(ctx, "publicip.disassociate", "public_ip", p.id, n.id) };
    },
  }),
  command({
    name: "enableStaticNat",
    description: "Sends every port of a public IP address to a VM",
    isasync: false,
    params: {
      ipaddressid: cs.id("ipaddressid"),
      virtualmachineid: cs.id("virtualmachineid"),
      networkid: cs.id("networkid").optional(),
      vmguestip: z.string().optional(),
    },
    async run(ctx, p) {
      const { n } = await ipInScope(ctx, p.ipaddressid);
      if (p.networkid && p.networkid !== n.id) throw new CsError(431, "networkid: the address belongs to another network");
      const nic = await nicOn(ctx, p.virtualmachineid, n, "virtualmachineid");
      if (p.vmguestip && p.vmguestip !== nic.ip) throw new CsError(431, `vmguestip must be the VM's address on ${n.name} (${nic.ip})`);
      await ctx.api.networkRule.enableStaticNat({ publicIpId: p.ipaddressid, nicId: nic.id });
      return { success: true };
    },
  }),
  command({
    name: "disableStaticNat",
    description: "Disables static NAT on a public IP address",
    isasync: true,
    params: { ipaddressid: cs.id("ipaddressid") },
    async run(ctx, p) {
      const { n, rules } = await ipInScope(ctx, p.ipaddressid);
      const nat = rules.find((r) => r.kind === "static_nat" && r.publicIpId === p.ipaddressid);
      if (!nat) throw new CsError(431, "ipaddressid: the address has no static NAT");
      await ctx.api.networkRule.delete({ id: nat.id });
      return { jobid: await doneJob(ctx, "rule.staticnat.disable", "public_ip", p.ipaddressid, n.id) };
    },
  }),
  command({
    name: "createFirewallRule",
    description: "Lets traffic from CIDRs in to a public IP address",
    isasync: true,
    params: {
      ipaddressid: cs.id("ipaddressid"),
      protocol: protocolParam("protocol", ["tcp", "udp", "icmp", "all"]),
      startport: port("startport").optional(),
      endport: port("endport").optional(),
      cidrlist: cidrListParam("cidrlist").optional(),
      icmptype: z.literal("-1", { message: "icmptype: Stratus's ICMP rules let every type in; only -1 is supported" }).optional(),
      icmpcode: z.literal("-1", { message: "icmpcode: Stratus's ICMP rules let every code in; only -1 is supported" }).optional(),
      type: z.enum(["user", "User"], { message: "type must be user" }).optional(),
      fordisplay: cs.bool("fordisplay").optional(),
    },
    async run(ctx, p) {
      if ((p.icmptype || p.icmpcode) && p.protocol !== "icmp") throw new CsError(431, "icmptype/icmpcode need protocol icmp");
      if (p.fordisplay === false) refuse("fordisplay", "every rule is shown");
      const { n } = await ipInScope(ctx, p.ipaddressid);
      const r = await ctx.api.networkRule.createFirewall({
        publicIpId: p.ipaddressid,
        protocol: p.protocol as "tcp",
        startPort: p.startport,
        endPort: p.endport,
        sourceCidrs: p.cidrlist ?? [],
      });
      return { id: r.rule.id, jobid: await doneJob(ctx, CREATE_JOB.firewall, "network_rule", r.rule.id, n.id) };
    },
  }),
  command({
    name: "createPortForwardingRule",
    description: "Forwards public ports of an address to a VM",
    isasync: true,
    params: {
      ipaddressid: cs.id("ipaddressid"),
      protocol: protocolParam("protocol", ["tcp", "udp"]),
      privateport: port("privateport"),
      privateendport: port("privateendport").optional(),
      publicport: port("publicport"),
      publicendport: port("publicendport").optional(),
      virtualmachineid: cs.id("virtualmachineid"),
      vmguestip: z.string().optional(),
      networkid: cs.id("networkid").optional(),
      openfirewall: cs.bool("openfirewall").optional(),
      cidrlist: cidrListParam("cidrlist").optional(),
      fordisplay: cs.bool("fordisplay").optional(),
    },
    async run(ctx, p) {
      if (!everywhere(p.cidrlist)) refuse("cidrlist", "restrict the sources with a firewall rule (createFirewallRule cidrlist)");
      if (p.fordisplay === false) refuse("fordisplay", "every rule is shown");
      const { n } = await ipInScope(ctx, p.ipaddressid);
      if (p.networkid && p.networkid !== n.id) throw new CsError(431, "networkid: the address belongs to another network");
      const nic = await nicOn(ctx, p.virtualmachineid, n, "virtualmachineid");
      const r = await ctx.api.networkRule.createPortForward({
        publicIpId: p.ipaddressid,
        protocol: p.protocol as "tcp",
        publicStartPort: p.publicport,
        publicEndPort: p.publicendport,
        privateStartPort: p.privateport,
        privateEndPort: p.privateendport,
        nicId: nic.id,
        privateIp: p.vmguestip,
        // CloudStack opens the firewall for the forwarded ports unless told not to.
        openFirewall: p.openfirewall ?? true,
      });
      return { id: r.rule.id, jobid: await doneJob(ctx, CREATE_JOB.port_forward, "network_rule", r.rule.id, n.id) };
    },
  }),
  command({
    name: "createLoadBalancerRule",
    description: "Balances a public port of an address over VMs",
    isasync: true,
    params: {
      publicipid: cs.id("publicipid").optional(),
      name: z.string({ error: "name is required" }).min(1, { message: "name is required" }),
      algorithm: protocolParam("algorithm", ["roundrobin", "leastconn", "source"]),
      privateport: port("privateport"),
      publicport: port("publicport"),
      protocol: protocolParam("protocol", ["tcp"]).optional(),
      networkid: cs.id("networkid").optional(),
      zoneid: cs.id("zoneid").optional(),
      openfirewall: cs.bool("openfirewall").optional(),
      cidrlist: cidrListParam("cidrlist").optional(),
      description: z.string().optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
      fordisplay: cs.bool("fordisplay").optional(),
    },
    async run(ctx, p) {
      if (!p.publicipid) throw new CsError(431, "publicipid is required (Stratus does not acquire an address for a load balancer)");
      if (!everywhere(p.cidrlist)) refuse("cidrlist", "restrict the sources with a firewall rule (createFirewallRule cidrlist)");
      if (p.description) refuse("description", "a Stratus load balancer has a name only");
      if (p.account || p.domainid) refuse(p.account ? "account" : "domainid", "the rule goes to the address's account");
      if (p.fordisplay === false) refuse("fordisplay", "every rule is shown");
      const { n } = await ipInScope(ctx, p.publicipid);
      if (p.networkid && p.networkid !== n.id) throw new CsError(431, "networkid: the address belongs to another network");
      if (p.zoneid && p.zoneid !== n.zoneId) throw new CsError(431, "zoneid: the address is in another zone");
      const r = await ctx.api.networkRule.createLoadBalancer({
        publicIpId: p.publicipid,
        name: p.name,
        publicPort: p.publicport,
        privatePort: p.privateport,
        algorithm: p.algorithm as "roundrobin",
        nicIds: [],
        openFirewall: p.openfirewall ?? true,
      });
      return { id: r.rule.id, jobid: await doneJob(ctx, CREATE_JOB.load_balancer, "network_rule", r.rule.id, n.id) };
    },
  }),
  ...(["assign", "remove"] as const).map((op) =>
    command({
      name: op === "assign" ? "assignToLoadBalancerRule" : "removeFromLoadBalancerRule",
      description: op === "assign" ? "Adds VMs to a load balancer" : "Removes VMs from a load balancer",
      isasync: true,
      params: { id: cs.id("id"), virtualmachineids: idList("virtualmachineids").optional(), vmidipmap: z.string().optional() },
      async run(ctx, p) {
        if (p.vmidipmap) refuse("vmidipmap", "a VM takes part with its address on the network (use virtualmachineids)");
        if (!p.virtualmachineids) throw new CsError(431, "virtualmachineids is required");
        const { n, rule } = await ruleInScope(ctx, p.id, "load_balancer", "Load balancer rule");
        const named = new Set<string>();
        for (const vm of p.virtualmachineids) named.add((await nicOn(ctx, vm, n, "virtualmachineids")).id);
        const current = rule.members.map((m) => m.nicId);
        const nicIds = op === "assign" ? [...new Set([...current, ...named])] : current.filter((id) => !named.has(id));
        await ctx.api.networkRule.setLoadBalancerMembers({ id: p.id, nicIds });
        return { jobid: await doneJob(ctx, `rule.loadbalancer.${op}`, "network_rule", p.id, n.id) };
      },
    }),
  ),
  listRules("listFirewallRules", "firewall", "ipaddressid"),
  listRules("listPortForwardingRules", "port_forward", "ipaddressid"),
  listRules("listLoadBalancerRules", "load_balancer", "publicipid"),
  deleteRule("deleteFirewallRule", "firewall", "Firewall rule", "rule.firewall.delete"),
  deleteRule("deletePortForwardingRule", "port_forward", "Port forwarding rule", "rule.portforward.delete"),
  deleteRule("deleteLoadBalancerRule", "load_balancer", "Load balancer rule", "rule.loadbalancer.delete"),
];
