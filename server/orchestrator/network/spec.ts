/**
 * The contract between the network model (database, services, API) and the drivers: the whole
 * desired state of one guest network, computed from the database and applied whole by a driver
 * (libvirt: bridge + router namespace + dnsmasq + one atomic `nft -f`; simulator: stored and
 * compared). Applying the same spec twice changes nothing; applying a new one replaces the old
 * state (rules are never sent as deltas), so a restart, a crash or a hand edit is repaired by
 * applying again. Drivers know nothing of accounts: every name here is Stratus-generated.
 */
import type { HostRef } from "../drivers/types";

/** An inclusive port range; a single port is [p, p]. */
export type PortRange = [number, number];
export type RuleProtocol = "tcp" | "udp" | "icmp" | "all";

export type NetworkRule =
  /** 1:1 NAT both ways between a public address and a guest address. */
  | { kind: "staticNat"; id: string; publicIp: string; privateIp: string }
  | {
      kind: "portForward";
      id: string;
      publicIp: string;
      protocol: "tcp" | "udp";
      publicPorts: PortRange;
      privateIp: string;
      privatePorts: PortRange;
    }
  /** Ingress allowed to a public address (everything else to it is dropped). */
  | { kind: "firewall"; id: string; publicIp: string; protocol: RuleProtocol; ports: PortRange | null; sourceCidrs: string[] }
  /** Egress from the guest network: an exception to `egressDefault`. */
  | { kind: "egress"; id: string; protocol: RuleProtocol; ports: PortRange | null; destCidrs: string[] }
  | {
      kind: "loadBalancer";
      id: string;
      publicIp: string;
      protocol: "tcp";
      publicPort: number;
      privatePort: number;
      algorithm: "roundrobin" | "leastconn" | "source";
      members: { ip: string }[];
      /** TCP connect check (or HTTP GET when `path` is set) against each member's private port. */
      healthCheck: { path: string | null; intervalMs: number; unhealthyAfter: number } | null;
    };

export interface DhcpLease {
  mac: string;
  ip: string;
  hostname: string;
}

export interface NetworkSpec {
  /** The network's id in Stratus (uuid). */
  id: string;
  /**
   * Short, unique, Stratus-generated key (`[a-z0-9]{1,8}`) from which the driver builds device names
   * (see `networkDevices`); tests give theirs a per-run prefix so runs cannot collide.
   */
  key: string;
  type: "isolated" | "shared" | "l2";
  /** The VLAN (802.1Q) or VXLAN id of the guest network on the host's guest uplink; null: untagged bridge. */
  segment: { kind: "vlan" | "vxlan"; id: number } | null;
  /** Host interfaces the zone names (traffic labels): the public bridge and the guest uplink (null: none, bridge stays local). */
  uplinks: { publicBridge: string | null; guestUplink: string | null };
  /** Guest side with its router; null for L2 networks (no router, no IPAM). */
  guest: {
    cidr: string /* e.g. "10.1.1.0/24" */;
    gateway: string /* the router's guest address, e.g. "10.1.1.1" */;
    /**
     * The router's own guest address when it is not the gateway: shared networks, whose gateway is
     * the zone's router, get a DHCP/DNS-only router here. Absent: the router is the gateway.
     */
    routerIp?: string;
    dnsDomain: string;
    dhcp: boolean;
    dns: boolean;
    /** Static leases from IPAM: only these MACs get addresses. */
    leases: DhcpLease[];
  } | null;
  /** Public side of the router: isolated networks once they hold a public IP; null otherwise. */
  public: {
    /** The zone's upstream gateway on the public network, and its prefix length. */
    gateway: string;
    prefixLength: number;
    vlan: number | null;
    /** Every public address of this network (bound on the router's public interface). */
    addresses: string[];
    /** The source-NAT address (one of `addresses`). */
    sourceNat: string | null;
  } | null;
  egressDefault: "allow" | "deny";
  /** Rate limit per network in Mbit/s; null: none. */
  rateLimitMbps: number | null;
  rules: NetworkRule[];
}

/** Where a host takes part: the router host runs the namespace, dnsmasq and nftables; members only need the bridge. */
export type NetworkRole = "router" | "member";

/** Optional on a hypervisor driver: realises networks on a host. */
export interface NetworkDriver {
  /** Makes the host match `spec` (idempotent; one atomic rule replace). */
  applyNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole): Promise<void>;
  /** Removes everything the network had on the host; idempotent. */
  destroyNetwork(host: HostRef, spec: Pick<NetworkSpec, "id" | "key">): Promise<void>;
  /** What differs between the host and `spec` (empty when it matches): the reconciler applies again when not. */
  checkNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole): Promise<string[]>;
}

/** A VM's NIC as a driver attaches it: to the network's bridge, with the MAC from IPAM. */
export interface NicSpec {
  networkId: string;
  networkKey: string;
  mac: string;
  /** The address IPAM gave it (null on L2 networks); the guest takes it by DHCP. */
  ip: string | null;
  /** Device order: 0 is the default NIC. */
  deviceId: number;
}

/** Device names of a network on a host, from its key (Linux limits names to 15 characters). */
export function networkDevices(key: string): { bridge: string; namespace: string; guestVeth: string; publicVeth: string } {
  if (!/^[a-z0-9]{1,8}$/.test(key)) throw new Error(`network key must be 1-8 of [a-z0-9], not ${JSON.stringify(key)}`);
  return { bridge: `sbr-${key}`, namespace: `srt-${key}`, guestVeth: `svg-${key}`, publicVeth: `svp-${key}` };
}

/**
 * Security groups of one VM, resolved for the driver (CloudStack's semantics on shared networks):
 * ingress to a NIC is dropped unless a rule allows it; egress from a NIC is allowed unless the NIC's
 * groups have egress rules, then only what they allow. Replies to allowed traffic pass (stateful).
 * Peers are CIDRs only: a group peer is resolved to its members' addresses (/32) by the services,
 * so the spec changes, and is applied again, when a member comes or goes.
 */
export interface SecurityGroupRuleSpec {
  direction: "ingress" | "egress";
  protocol: RuleProtocol;
  /** tcp/udp: ports (null: all); icmp/all: null. */
  ports: PortRange | null;
  /** Ingress: source CIDRs; egress: destination CIDRs. Empty: the rule matches no one (a group with no members). */
  cidrs: string[];
}

export interface VmFirewallSpec {
  /** The VM's hypervisor-side name (`i-<number>`). */
  vmName: string;
  /** Every NIC with security groups (the others are not filtered); sorted by MAC. */
  nics: { mac: string; ip: string; rules: SecurityGroupRuleSpec[] }[];
}

/**
 * Optional on a hypervisor driver, next to NetworkDriver: realises a VM's security groups on the
 * host it runs on (libvirt: one nftables bridge table per VM, replaced whole by one `nft -f`).
 */
export interface SecurityGroupDriver {
  /** Makes the host filter the VM's NICs as `spec` says (idempotent; one atomic replace). An empty `nics` removes the filter. */
  applySecurityGroups(host: HostRef, spec: VmFirewallSpec): Promise<void>;
  /** What differs between the host and `spec` (empty when it matches). */
  checkSecurityGroups(host: HostRef, spec: VmFirewallSpec): Promise<string[]>;
  /** Removes the VM's filter; idempotent. */
  removeSecurityGroups(host: HostRef, vmName: string): Promise<void>;
}
