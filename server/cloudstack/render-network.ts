import { eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { domains, networks } from "@/db/schema";
import { formatIp, parseCidr } from "@/lib/ipv4";
import { csDate } from "./envelope";
import { capitalise } from "./render";

/**
 * Networks, public IPs and their rules in CloudStack's shapes (NetworkResponse, IPAddressResponse,
 * FirewallResponse, FirewallRuleResponse, LoadBalancerResponse field names). Renderers take rows
 * the scoped network procedures returned; the domain columns they add are of those same networks.
 */

const NETWORK_STATE: Record<string, string> = {
  allocated: "Allocated",
  implemented: "Implemented",
  shutdown: "Shutdown",
  destroying: "Destroy",
};
const GUEST_TYPE: Record<string, string> = { isolated: "Isolated", shared: "Shared", l2: "L2" };

export const csGuestType = (t: string) => GUEST_TYPE[t] ?? capitalise(t);
/** CloudStack lists an offering's services as objects ({name}). */
export const csServices = (services: readonly string[]) => services.map((name) => ({ name }));

/** A row of network.list / network.get (the fields the renderers read). */
export interface NetworkRow {
  id: string;
  name: string;
  state: string;
  cidr: string | null;
  gateway: string | null;
  dnsDomain: string;
  vlan: number | null;
  createdAt: Date;
  zoneId: string;
  zoneName: string;
  accountId: string;
  accountName: string;
  networkOfferingId: string;
  offeringName: string;
  guestType: string;
  services: readonly string[];
  isDefault: boolean;
  activeJob?: unknown;
}

/** The listed networks' domains (not in the network list's columns). */
export async function networkDomains(db: DbOrTx, ids: string[]) {
  const rows = await db
    .select({ id: networks.id, domainId: networks.domainId, domainName: domains.name })
    .from(networks)
    .innerJoin(domains, eq(domains.id, networks.domainId))
    .where(ids.length ? inArray(networks.id, ids) : sql`false`);
  return new Map(rows.map((r) => [r.id, r]));
}

const netmaskOf = (cidr: string | null) => {
  const c = cidr ? parseCidr(cidr) : null;
  return c ? formatIp(c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0) : undefined;
};

export async function renderNetworks(db: DbOrTx, rows: NetworkRow[]) {
  const dom = await networkDomains(
    db,
    rows.map((n) => n.id),
  );
  return rows.map((n) => ({
    id: n.id,
    name: n.name,
    displaytext: n.name,
    state: NETWORK_STATE[n.state] ?? capitalise(n.state),
    type: csGuestType(n.guestType),
    traffictype: "Guest",
    broadcastdomaintype: n.vlan === null ? "Native" : "Vlan",
    vlan: n.vlan === null ? undefined : String(n.vlan),
    zoneid: n.zoneId,
    zonename: n.zoneName,
    cidr: n.cidr ?? undefined,
    gateway: n.gateway ?? undefined,
    netmask: netmaskOf(n.cidr),
    networkdomain: n.dnsDomain,
    networkofferingid: n.networkOfferingId,
    networkofferingname: n.offeringName,
    networkofferingdisplaytext: n.offeringName,
    isdefault: n.isDefault,
    issystem: false,
    acltype: n.guestType === "shared" ? "Domain" : "Account",
    account: n.accountName,
    domainid: dom.get(n.id)?.domainId,
    domain: dom.get(n.id)?.domainName,
    service: csServices(n.services),
    canusefordeploy: n.state !== "destroying",
    restartrequired: false,
    specifyipranges: n.guestType === "shared",
    created: csDate(n.createdAt),
  }));
}

/** A public address (publicIp.list) with its network and, when it has one, its static NAT rule. */
export interface IpRow {
  id: string;
  address: string;
  isSourceNat: boolean;
  createdAt: Date;
}
export interface StaticNatOf {
  instanceId: string | null;
  instanceName: string | null;
  privateIp: string | null;
}

export function renderIp(ip: IpRow, n: NetworkRow, dom: { domainId: string; domainName: string } | undefined, nat: StaticNatOf | null) {
  return {
    id: ip.id,
    ipaddress: ip.address,
    allocated: csDate(ip.createdAt),
    zoneid: n.zoneId,
    zonename: n.zoneName,
    issourcenat: ip.isSourceNat,
    isstaticnat: nat !== null,
    issystem: false,
    forvirtualnetwork: true,
    virtualmachineid: nat?.instanceId ?? undefined,
    virtualmachinename: nat?.instanceName ?? undefined,
    virtualmachinedisplayname: nat?.instanceName ?? undefined,
    vmipaddress: nat?.privateIp ?? undefined,
    associatednetworkid: n.id,
    associatednetworkname: n.name,
    state: "Allocated",
    account: n.accountName,
    domainid: dom?.domainId,
    domain: dom?.domainName,
  };
}

/** A rule of networkRule.list (the fields the renderers read). */
export interface RuleRow {
  id: string;
  kind: string;
  publicIpId: string | null;
  publicIp: string | null;
  protocol: string;
  startPort: number | null;
  endPort: number | null;
  privateStartPort: number | null;
  privateEndPort: number | null;
  cidrs: string[] | null;
  privateIp: string | null;
  instanceId: string | null;
  instanceName: string | null;
  name: string | null;
  algorithm: string | null;
  members: { instanceId: string }[];
}

/** "Add" while the network's apply (a job) is in flight, "Active" once applied. */
export const ruleState = (n: NetworkRow) => (n.activeJob ? "Add" : "Active");

export function renderFirewallRule(r: RuleRow, n: NetworkRow) {
  return {
    id: r.id,
    protocol: r.protocol,
    startport: r.startPort ?? undefined,
    endport: r.endPort ?? undefined,
    // An ICMP rule of Stratus lets every ICMP type in: CloudStack's -1/-1.
    icmptype: r.protocol === "icmp" ? -1 : undefined,
    icmpcode: r.protocol === "icmp" ? -1 : undefined,
    ipaddressid: r.publicIpId ?? undefined,
    ipaddress: r.publicIp ?? undefined,
    networkid: n.id,
    state: ruleState(n),
    cidrlist: (r.cidrs ?? ["0.0.0.0/0"]).join(","),
    traffictype: "Ingress",
  };
}

export function renderPortForwardingRule(r: RuleRow, n: NetworkRow) {
  // CloudStack's FirewallRuleResponse carries the ports as strings.
  return {
    id: r.id,
    protocol: r.protocol,
    publicport: String(r.startPort),
    publicendport: String(r.endPort ?? r.startPort),
    privateport: String(r.privateStartPort),
    privateendport: String(r.privateEndPort ?? r.privateStartPort),
    virtualmachineid: r.instanceId ?? undefined,
    virtualmachinename: r.instanceName ?? undefined,
    virtualmachinedisplayname: r.instanceName ?? undefined,
    vmguestip: r.privateIp ?? undefined,
    ipaddressid: r.publicIpId ?? undefined,
    ipaddress: r.publicIp ?? undefined,
    networkid: n.id,
    state: ruleState(n),
    cidrlist: "",
  };
}

export function renderLoadBalancerRule(r: RuleRow, n: NetworkRow, dom: { domainId: string; domainName: string } | undefined) {
  return {
    id: r.id,
    name: r.name ?? undefined,
    publicipid: r.publicIpId ?? undefined,
    publicip: r.publicIp ?? undefined,
    publicport: String(r.startPort),
    privateport: String(r.privateStartPort),
    algorithm: r.algorithm ?? "roundrobin",
    protocol: r.protocol,
    networkid: n.id,
    cidrlist: "",
    state: ruleState(n),
    zoneid: n.zoneId,
    zonename: n.zoneName,
    account: n.accountName,
    domainid: dom?.domainId,
    domain: dom?.domainName,
  };
}
