import { createHash } from "node:crypto";
import type { NetworkRole, NetworkSpec } from "../../../network/spec";
import { DriverError, type HostRef } from "../../types";
import { ToolError } from "../run";
import { isGone, Tools, type LinkInfo, type NsPids } from "./host-tools";
import { dnsmasqFiles } from "./dnsmasq";
import { haproxyConfig } from "./haproxy";
import { hostRunner, type HostRunner } from "./host-runner";
import { devicesOf, NFT_TABLE, NS_GUEST_IF, NS_PUBLIC_LINK, nsPublicIf, routerGuestIp, stateDirOf } from "./names";
import { canonicalListing, nftRuleset } from "./nft";
import { cidr, ifname, ipv4, positiveInt, segmentId } from "./values";

/** Where routers keep their generated files on a host (tmpfs: a reboot clears it with the namespaces). */
export const DEFAULT_STATE_ROOT = "/run/stratus/networks";

/**
 * Realises networks on a libvirt host with the host's own tools: iproute2 for the bridge, the
 * router namespace and its veth pairs; dnsmasq (DHCP, DNS), nftables (NAT, firewall, egress, rate
 * limit) and haproxy (load balancing) inside the namespace. Every call is an argument array run
 * through the host's runner (locally or over SSH). apply is idempotent and ends with one atomic
 * `nft -f`; check lists what differs from the spec so a reconciler knows when to apply again.
 */
export class LibvirtNetworks {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: { stateRoot?: string; runner?: (host: HostRef) => HostRunner } = {}) {}

  private root() {
    return this.opts.stateRoot ?? DEFAULT_STATE_ROOT;
  }

  /** One operation at a time per network and host: two applies never interleave their steps. */
  private serial<T>(host: HostRef, key: string, fn: () => Promise<T>): Promise<T> {
    const k = `${host.id}/${key}`;
    const next = (this.queues.get(k) ?? Promise.resolve()).then(fn, fn);
    this.queues.set(
      k,
      next.catch(() => {}),
    );
    return next;
  }

  private tools(host: HostRef) {
    return new Tools((this.opts.runner ?? hostRunner)(host));
  }

  applyNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole): Promise<void> {
    return this.serial(host, spec.key, async () => {
      const t = this.tools(host);
      const dev = devicesOf(spec.key);
      await this.ensureBridge(t, spec);
      if (role === "member" || !spec.guest) return;
      const dir = stateDirOf(this.root(), spec.key);
      // Generate everything first: a bad spec fails before anything on the host changes.
      const ruleset = nftRuleset(spec);
      const dns = dnsmasqFiles(spec, dir);
      const lb = haproxyConfig(spec, dir);
      const net = cidr(spec.guest.cidr, "guest CIDR");
      const routerIp = ipv4(routerGuestIp(spec.guest), "router address");

      const [namespaces] = await Promise.all([t.namespaces(), t.mkdir(dir), t.prefetch(dev.namespace)]);
      if (!namespaces.includes(dev.namespace)) await t.ip(["netns", "add", dev.namespace]);
      if (!(await t.link("lo", dev.namespace))?.flags?.includes("UP")) await t.ip(["-n", dev.namespace, "link", "set", "lo", "up"]);

      // Guest side: veth svg-<key> (on the bridge) ↔ guest0 (in the namespace) with the gateway (router) address.
      await this.ensureVeth(t, dev.guestVeth, NS_GUEST_IF, dev.namespace, dev.bridge);
      await t.setAddresses(dev.namespace, NS_GUEST_IF, [`${routerIp}/${net.prefix}`]);

      // Public side: veth svp-<key> (on the zone's public bridge) ↔ public0, the public addresses and the default route.
      if (spec.public) {
        const bridge = spec.uplinks.publicBridge;
        if (!bridge)
          throw new DriverError(`Network ${spec.key} has public addresses but the zone names no public bridge on host ${host.name}`);
        if (!(await t.link(ifname(bridge))))
          throw new DriverError(`The zone's public bridge ${bridge} does not exist on host ${host.name}`);
        await this.ensureVeth(t, dev.publicVeth, NS_PUBLIC_LINK, dev.namespace, bridge);
        const pubIf = nsPublicIf(spec);
        if (pubIf !== NS_PUBLIC_LINK && !(await t.link(pubIf, dev.namespace)))
          await t.ip([
            "-n",
            dev.namespace,
            "link",
            "add",
            "link",
            NS_PUBLIC_LINK,
            "name",
            pubIf,
            "type",
            "vlan",
            "id",
            String(spec.public.vlan),
          ]);
        if (!(await t.link(pubIf, dev.namespace))?.flags?.includes("UP")) await t.ip(["-n", dev.namespace, "link", "set", pubIf, "up"]);
        const prefix = positiveInt(spec.public.prefixLength, "public prefix length", 32);
        await t.setAddresses(
          dev.namespace,
          pubIf,
          spec.public.addresses.map((a) => `${ipv4(a, "public address")}/${prefix}`),
        );
      } else if (await t.link(dev.publicVeth)) {
        await t.ip(["link", "del", dev.publicVeth]);
      }

      // The addresses are in place: the rest is independent and runs side by side.
      const gateway = spec.public ? ipv4(spec.public.gateway, "public gateway") : null;
      await Promise.all([
        t.ns(dev.namespace, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]),
        gateway && t.ip(["-n", dev.namespace, "route", "replace", "default", "via", gateway, "dev", nsPublicIf(spec)]),
        (async () => {
          const pids = await t.nsPids(dev.namespace);
          await this.ensureDnsmasq(t, dev.namespace, dir, dns, pids);
          await this.ensureHaproxy(t, dev.namespace, dir, lb, pids);
        })(),
        // The whole ruleset in one transaction.
        (async () => {
          await t.writeFile(`${dir}/nft.conf`, ruleset);
          await t.ns(dev.namespace, "nft", ["-f", `${dir}/nft.conf`]);
        })(),
      ]);
      // The kernel's listing of it is kept so check can spot any later edit. The same file always
      // lists the same, so only a changed ruleset is listed again: right after this apply, in the
      // network's queue (a check waits for it), since the rules already hold.
      const stored = await t.readFile(`${dir}/nft.listed`);
      if (!stored?.startsWith(`${hash(ruleset)}\n`))
        void this.serial(host, spec.key, async () => {
          const listed = await t.ns(dev.namespace, "nft", ["list", "table", "ip", NFT_TABLE]);
          await t.writeFile(`${dir}/nft.listed`, `${hash(ruleset)}\n${canonicalListing(listed.stdout)}`);
        }).catch(() => {}); // a failed listing only makes the next check report a difference
    });
  }

  destroyNetwork(host: HostRef, spec: Pick<NetworkSpec, "id" | "key">): Promise<void> {
    return this.serial(host, spec.key, async () => {
      const t = this.tools(host);
      const dev = devicesOf(spec.key);
      if ((await t.namespaces()).includes(dev.namespace)) {
        for (const pid of await t.pidsIn(dev.namespace)) await t.run("kill", ["-TERM", String(pid)]).catch(() => {});
        await t.ip(["netns", "del", dev.namespace]);
      }
      // The veths' host ends go with the namespace, asynchronously: one already gone is fine.
      for (const name of [dev.guestVeth, dev.publicVeth, dev.vlan, dev.vxlan, dev.bridge])
        if (await t.link(name))
          await t.ip(["link", "del", name]).catch((e: unknown) => {
            if (!isGone(e)) throw e;
          });
      await t.run("rm", ["-rf", "--", stateDirOf(this.root(), spec.key)]);
    });
  }

  checkNetwork(host: HostRef, spec: NetworkSpec, role: NetworkRole): Promise<string[]> {
    return this.serial(host, spec.key, async () => {
      const t = this.tools(host);
      const dev = devicesOf(spec.key);
      const diffs: string[] = [];
      const bridge = await t.link(dev.bridge);
      if (!bridge) diffs.push(`bridge ${dev.bridge} is missing`);
      else if (!bridge.flags?.includes("UP")) diffs.push(`bridge ${dev.bridge} is down`);
      const seg = segmentDevice(spec);
      if (seg) {
        const l = await t.link(seg);
        const mismatch = l && segmentMismatch(l, spec);
        if (!l) diffs.push(`${spec.segment!.kind} device ${seg} is missing`);
        else if (mismatch) diffs.push(`${seg} ${mismatch}`);
        else if (l.master !== dev.bridge) diffs.push(`${seg} is not on bridge ${dev.bridge}`);
      }
      for (const other of [dev.vlan, dev.vxlan])
        if (other !== seg && (await t.link(other))) diffs.push(`${other} exists but the network has no such segment`);
      if (role === "member" || !spec.guest) return diffs;
      const dir = stateDirOf(this.root(), spec.key);
      if (!(await t.namespaces()).includes(dev.namespace)) return [...diffs, `router namespace ${dev.namespace} is missing`];

      const net = cidr(spec.guest.cidr);
      await this.checkVeth(t, diffs, dev.guestVeth, dev.bridge, dev.namespace, NS_GUEST_IF, [`${routerGuestIp(spec.guest)}/${net.prefix}`]);
      if (spec.public) {
        const pubIf = nsPublicIf(spec);
        const want = spec.public.addresses.map((a) => `${a}/${spec.public!.prefixLength}`);
        await this.checkVeth(
          t,
          diffs,
          dev.publicVeth,
          spec.uplinks.publicBridge ?? "",
          dev.namespace,
          NS_PUBLIC_LINK,
          pubIf === NS_PUBLIC_LINK ? want : null,
        );
        if (pubIf !== NS_PUBLIC_LINK) {
          const have = await t.link(pubIf, dev.namespace);
          if (!have) diffs.push(`public VLAN interface ${pubIf} is missing`);
          else await compareAddresses(t, diffs, dev.namespace, pubIf, want);
        }
        const routes = await t.ns(dev.namespace, "ip", ["-4", "route", "show", "default"]).catch(() => ({ stdout: "" }));
        if (!routes.stdout.includes(`via ${spec.public.gateway} `)) diffs.push(`default route via ${spec.public.gateway} is missing`);
      } else if (await t.link(dev.publicVeth)) diffs.push(`public veth ${dev.publicVeth} exists but the network has no public address`);

      const fwd = await t.ns(dev.namespace, "sysctl", ["-n", "net.ipv4.ip_forward"]).catch(() => ({ stdout: "" }));
      if (fwd.stdout.trim() !== "1") diffs.push("IP forwarding is off in the router namespace");

      const ruleset = nftRuleset(spec);
      const listed = await t.ns(dev.namespace, "nft", ["list", "table", "ip", NFT_TABLE]).then(
        (r) => r.stdout,
        () => null,
      );
      const stored = await t.readFile(`${dir}/nft.listed`);
      if (listed === null) diffs.push(`nftables table ${NFT_TABLE} is missing`);
      else if (stored !== `${hash(ruleset)}\n${canonicalListing(listed)}`) diffs.push("nftables ruleset differs from the generated one");

      const pids = await t.nsPids(dev.namespace);
      const dns = dnsmasqFiles(spec, dir);
      const dnsPid = await t.pidOf(`${dir}/dnsmasq.pid`, pids);
      if (dns) {
        if (!dnsPid) diffs.push("dnsmasq is not running");
        if ((await t.readFile(`${dir}/dnsmasq.conf`)) !== dns.conf) diffs.push("dnsmasq configuration differs");
        if ((await t.readFile(`${dir}/dnsmasq.hosts`)) !== dns.hosts) diffs.push("dnsmasq static leases differ");
      } else if (dnsPid) diffs.push("dnsmasq runs but the network has neither DHCP nor DNS");
      const lb = haproxyConfig(spec, dir);
      const lbPid = await t.pidOf(`${dir}/haproxy.pid`, pids);
      if (lb) {
        if (!lbPid) diffs.push("haproxy is not running");
        if ((await t.readFile(`${dir}/haproxy.cfg`)) !== lb) diffs.push("haproxy configuration differs");
      } else if (lbPid) diffs.push("haproxy runs but the network has no load-balancer rule");
      return diffs;
    });
  }

  /** The bridge, up, with the network's VLAN/VXLAN sub-interface of the guest uplink in it (when the zone has one). */
  private async ensureBridge(t: Tools, spec: NetworkSpec) {
    const dev = devicesOf(spec.key);
    if (!(await t.link(dev.bridge))) await t.ip(["link", "add", "name", dev.bridge, "type", "bridge"]);
    if (!(await t.link(dev.bridge))?.flags?.includes("UP")) await t.ip(["link", "set", dev.bridge, "up"]);
    const seg = segmentDevice(spec);
    // A segment device the spec no longer has, or one of another kind or id, goes.
    for (const other of [dev.vlan, dev.vxlan]) {
      const l = await t.link(other);
      if (l && (other !== seg || segmentMismatch(l, spec))) await t.ip(["link", "del", other]);
    }
    if (!seg || !spec.segment) return;
    const uplink = ifname(spec.uplinks.guestUplink!);
    if (!(await t.link(seg))) {
      if (!(await t.link(uplink))) throw new DriverError(`The guest uplink ${uplink} does not exist on this host`);
      const id = String(segmentId(spec.segment));
      await t
        .ip(
          spec.segment.kind === "vlan"
            ? ["link", "add", "link", uplink, "name", seg, "type", "vlan", "id", id]
            : // Multicast flooding on the uplink finds the other hosts' VTEPs without a controller.
              ["link", "add", seg, "type", "vxlan", "id", id, "dev", uplink, "group", "239.1.1.1", "dstport", "4789"],
        )
        .catch((e: unknown) => {
          if (e instanceof ToolError && /Unknown device type/i.test(e.message))
            throw new DriverError(
              `This host's kernel cannot make ${spec.segment!.kind.toUpperCase()} devices (module ${spec.segment!.kind === "vlan" ? "8021q" : "vxlan"})`,
            );
          throw e;
        });
    }
    const l = await t.link(seg);
    if (l?.master !== dev.bridge || !l.flags?.includes("UP")) await t.ip(["link", "set", seg, "master", dev.bridge, "up"]);
  }

  private async ensureVeth(t: Tools, hostEnd: string, nsEnd: string, ns: string, bridge: string) {
    if (!(await t.link(hostEnd))) {
      // A namespace end without its host end is a half-removed pair: start again.
      if (await t.link(nsEnd, ns)) await t.ip(["-n", ns, "link", "del", nsEnd]);
      await t.ip(["link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd, "netns", ns]);
    }
    const h = await t.link(hostEnd);
    if (h?.master !== bridge || !h.flags?.includes("UP")) await t.ip(["link", "set", hostEnd, "master", bridge, "up"]);
    if (!(await t.link(nsEnd, ns))?.flags?.includes("UP")) await t.ip(["-n", ns, "link", "set", nsEnd, "up"]);
  }

  private async checkVeth(t: Tools, diffs: string[], hostEnd: string, bridge: string, ns: string, nsEnd: string, want: string[] | null) {
    const h = await t.link(hostEnd);
    if (!h) diffs.push(`veth ${hostEnd} is missing`);
    else {
      if (h.master !== bridge) diffs.push(`veth ${hostEnd} is not on bridge ${bridge}`);
      if (!h.flags?.includes("UP")) diffs.push(`veth ${hostEnd} is down`);
    }
    const n = await t.link(nsEnd, ns);
    if (!n) return diffs.push(`${nsEnd} is missing in ${ns}`);
    if (!n.flags?.includes("UP")) diffs.push(`${nsEnd} is down in ${ns}`);
    if (want) await compareAddresses(t, diffs, ns, nsEnd, want);
  }

  private async ensureDnsmasq(t: Tools, ns: string, dir: string, files: ReturnType<typeof dnsmasqFiles>, nsPids: NsPids) {
    const pid = await t.pidOf(`${dir}/dnsmasq.pid`, nsPids);
    if (!files) {
      if (pid) await t.run("kill", ["-TERM", String(pid)]);
      return;
    }
    const confChanged = (await t.readFile(`${dir}/dnsmasq.conf`)) !== files.conf;
    const hostsChanged = (await t.readFile(`${dir}/dnsmasq.hosts`)) !== files.hosts;
    if (hostsChanged) await t.writeFile(`${dir}/dnsmasq.hosts`, files.hosts);
    if (confChanged) await t.writeFile(`${dir}/dnsmasq.conf`, files.conf);
    if (pid && !confChanged) {
      // New static leases: dnsmasq rereads its hosts file on SIGHUP, no restart.
      if (hostsChanged) await t.run("kill", ["-HUP", String(pid)]);
      return;
    }
    if (pid) await t.stop(pid);
    await t.ns(ns, "dnsmasq", [`--conf-file=${dir}/dnsmasq.conf`]);
  }

  private async ensureHaproxy(t: Tools, ns: string, dir: string, cfg: string | null, nsPids: NsPids) {
    const pid = await t.pidOf(`${dir}/haproxy.pid`, nsPids);
    if (!cfg) {
      if (pid) await t.stop(pid);
      return;
    }
    const changed = (await t.readFile(`${dir}/haproxy.cfg`)) !== cfg;
    if (pid && !changed) return;
    await t.writeFile(`${dir}/haproxy.cfg.new`, cfg);
    await t.ns(ns, "haproxy", ["-c", "-q", "-f", `${dir}/haproxy.cfg.new`]);
    await t.run("mv", ["-f", `${dir}/haproxy.cfg.new`, `${dir}/haproxy.cfg`]);
    // A running haproxy hands its listeners over to the new one (-sf) and finishes its connections.
    await t.ns(ns, "haproxy", ["-D", "-f", `${dir}/haproxy.cfg`, "-p", `${dir}/haproxy.pid`, ...(pid ? ["-sf", String(pid)] : [])]);
  }
}

/** Why an existing segment device is not the spec's (another kind or id), or null. */
function segmentMismatch(l: LinkInfo, spec: NetworkSpec) {
  if (!spec.segment) return "is not wanted";
  const kind = l.linkinfo?.info_kind;
  if (kind !== spec.segment.kind) return `is a ${kind ?? "device"}, not a ${spec.segment.kind}`;
  const id = l.linkinfo?.info_data?.id;
  return id === spec.segment.id ? null : `has id ${id}, not ${spec.segment.id}`;
}

function segmentDevice(spec: NetworkSpec) {
  if (!spec.segment || !spec.uplinks.guestUplink) return null;
  const dev = devicesOf(spec.key);
  return spec.segment.kind === "vlan" ? dev.vlan : dev.vxlan;
}

async function compareAddresses(t: Tools, diffs: string[], ns: string, dev: string, want: string[]) {
  const have = await t.addresses(ns, dev);
  const missing = want.filter((a) => !have.includes(a));
  const extra = have.filter((a) => !want.includes(a));
  if (missing.length) diffs.push(`${dev} lacks ${missing.join(", ")}`);
  if (extra.length) diffs.push(`${dev} has extra ${extra.join(", ")}`);
}

const hash = (text: string) => createHash("sha256").update(text).digest("hex");
