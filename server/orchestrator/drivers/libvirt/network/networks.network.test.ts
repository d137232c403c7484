/**
 * Networks on a real libvirt host with real traffic: two tiny guests (TCG) and fake guests
 * (namespaces running busybox udhcpc/httpd) behind routers made by applyNetwork, and an "internet"
 * namespace on a test-made public bridge (test/network-lab.ts). Everything carries a per-run prefix
 * and lives in namespaces and bridges the test creates; the machine's own interfaces, addresses and
 * routes are never touched.
 *
 * Runs in npm test's "networks" suite only (STRATUS_NETWORK_TESTS=1): root, ip, nft, dnsmasq,
 * haproxy, busybox, curl and libvirtd, and the image at .cache/test-image/tiny.qcow2.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import { NetworkLab } from "@/test/network-lab";
import { waitFor } from "@/test/orchestrator";
import { networkDevices, type NetworkRule, type NetworkSpec } from "../../../network/spec";
import type { HostRef, VmSpec } from "../../types";
import { LibvirtDriver } from "../driver";
import { run } from "../run";
import { LibvirtNetworks } from "./router";

const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const host: HostRef = { id: "net-test", name: "local", address: "qemu:///system", hypervisorType: "kvm", domainType: "qemu" };
const lab = new NetworkLab();
const driver = new LibvirtDriver({ networkStateDir: path.join(lab.dir, "state") });
/**
 * Network B goes through the path of a remote (SSH) host: files read with cat and written with tee,
 * namespaces and processes listed with ip; only the ssh transport itself is left out (its quoting is
 * unit-tested in host-runner.test.ts).
 */
const remoteStyle = new LibvirtNetworks({
  stateRoot: path.join(lab.dir, "state"),
  runner: () => (cmd, args, opts) => run(cmd, args, opts),
});
const SNAT = "203.0.113.10";
const STATIC = "203.0.113.11";
const guests = {
  g1: { mac: "02:00:0a:01:01:0a", ip: "10.1.1.10" },
  g2: { mac: "02:00:0a:01:01:0b", ip: "10.1.1.11" },
  f1: { mac: "02:00:0a:01:01:14", ip: "10.1.1.20" },
};
const keyA = lab.key("a");
const keyB = lab.key("b");

function specA(rules: NetworkRule[]): NetworkSpec {
  return {
    id: "net-a",
    key: keyA,
    type: "isolated",
    segment: null,
    uplinks: { publicBridge: lab.publicBridge, guestUplink: null },
    guest: {
      cidr: "10.1.1.0/24",
      gateway: "10.1.1.1",
      dnsDomain: "a.test",
      dhcp: true,
      dns: true,
      leases: Object.entries(guests).map(([hostname, g]) => ({ hostname, ...g })),
    },
    public: { gateway: lab.gateway, prefixLength: 24, vlan: null, addresses: [SNAT, STATIC], sourceNat: SNAT },
    egressDefault: "allow",
    rateLimitMbps: null,
    rules,
  };
}
/** A second tenant's network with the same CIDR, its own public address and one fake guest. */
const specB: NetworkSpec = {
  ...specA([]),
  id: "net-b",
  key: keyB,
  guest: { ...specA([]).guest!, dnsDomain: "b.test", leases: [{ mac: "02:00:0a:01:01:1e", ip: "10.1.1.30", hostname: "b1" }] },
  public: { gateway: lab.gateway, prefixLength: 24, vlan: null, addresses: ["203.0.113.20"], sourceNat: "203.0.113.20" },
};
const openTcp = (publicIp: string, p: number, sourceCidrs = ["0.0.0.0/0"]): NetworkRule => ({
  kind: "firewall",
  id: `fw-${publicIp}-${p}-${sourceCidrs.join()}`,
  publicIp,
  protocol: "tcp",
  ports: [p, p],
  sourceCidrs,
});
const open80 = (publicIp: string) => openTcp(publicIp, 80);
const forward8080: NetworkRule = {
  kind: "portForward",
  id: "pf-8080",
  publicIp: SNAT,
  protocol: "tcp",
  publicPorts: [8080, 8080],
  privateIp: guests.g1.ip,
  privatePorts: [80, 80],
};
const open8080 = (sourceCidrs?: string[]) => openTcp(SNAT, 8080, sourceCidrs);

let dir: string;
const vmName = (g: string) => `rtr-${lab.run}-${g}`;
const serial = (g: string) => {
  const f = path.join(dir, "primary", `${vmName(g)}-serial.log`);
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
};
function vmSpec(g: "g1" | "g2"): VmSpec {
  return {
    name: vmName(g),
    cpuCores: 1,
    cpuMhz: 1000,
    memoryMib: 128,
    template: { id: `tnet${lab.run}`, path: path.join(dir, "secondary", "tiny.qcow2"), format: "qcow2", sizeGib: 1 },
    displayName: g,
    storage: { poolId: `net${lab.run}`, primaryPath: path.join(dir, "primary"), rootDiskGib: 1 },
    nics: [{ networkId: "net-a", networkKey: keyA, mac: guests[g].mac, ip: guests[g].ip, deviceId: 0 }],
  };
}
/** Runs a command in a router's namespace. */
const inRouter = (key: string, cmd: string, args: string[]) =>
  spawnSync("ip", ["netns", "exec", networkDevices(key).namespace, cmd, ...args], { encoding: "utf8", timeout: 20_000 });
/** An HTTP GET from a router's namespace (it sits on the guest bridge): the body or null. */
const getFromRouter = (key: string, url: string) => {
  const r = inRouter(key, "curl", ["-s", "--max-time", "8", url]);
  return r.status === 0 ? r.stdout.trim() : null;
};
/** The guest itself fetches `target` (host/path) through its /cgi-bin/fetch, i.e. from inside the guest. */
const fetchFromGuest = (ip: string, target: string) => getFromRouter(keyA, `http://${ip}/cgi-bin/fetch?${target}`);

describe.runIf(process.env.STRATUS_NETWORK_TESTS === "1")("networks on a libvirt host (real traffic)", () => {
  let fakeB: { ns: string; address: string | null };
  let fakeA: { ns: string; address: string | null };

  beforeAll(async () => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    lab.setup();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-net-"));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, "secondary"));
    fs.copyFileSync(image, path.join(dir, "secondary", "tiny.qcow2"));
    await driver.applyNetwork(host, specA([]), "router");
    for (const g of ["g1", "g2"] as const) {
      await driver.create(host, vmSpec(g));
      await driver.start(host, vmSpec(g));
    }
  }, 300_000);

  afterAll(async () => {
    for (const g of ["g1", "g2"]) await driver.destroy(host, vmName(g)).catch(() => {});
    if (dir) undefinePoolsUnder(dir);
    for (const key of [keyA, keyB, lab.key("m")]) await driver.destroyNetwork(host, { id: key, key }).catch(() => {});
    lab.teardown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("a real guest takes the spec's lease by DHCP on the network's bridge", async () => {
    for (const g of ["g1", "g2"] as const) {
      await waitFor(`${g}'s DHCP lease`, () => /STRATUS-TINY-GUEST eth0 \S+/.test(serial(g)), 120_000, 500);
      expect(/STRATUS-TINY-GUEST eth0 (\S+)/.exec(serial(g))![1]).toBe(guests[g].ip);
    }
    // The guest's web server answers its hostname (the SMBIOS serial) from its leased address.
    await waitFor("g1's web server", () => getFromRouter(keyA, `http://${guests.g1.ip}/`) === "g1", 30_000, 500);
    expect(await driver.checkNetwork(host, specA([]), "router")).toEqual([]);
  }, 180_000);

  it("the guest reaches the internet through source NAT: the internet sees the source-NAT address", () => {
    expect(fetchFromGuest(guests.g1.ip, `${lab.server}/cgi-bin/ip`)).toBe(SNAT);
  });

  it("a port-forwarding rule lets the internet reach the guest's web server, and removing it blocks it again", async () => {
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`)).toBeNull();
    await driver.applyNetwork(host, specA([forward8080, open8080()]), "router");
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`)).toBe("g1");
    await driver.applyNetwork(host, specA([open8080()]), "router");
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`)).toBeNull();
  });

  it("a firewall rule limits the forwarded port to one CIDR; without any firewall rule ingress is dropped", async () => {
    const [allowed, other] = lab.clients as [string, string];
    await driver.applyNetwork(host, specA([forward8080, open8080([`${allowed}/32`])]), "router");
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`, allowed)).toBe("g1");
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`, other)).toBeNull();
    await driver.applyNetwork(host, specA([forward8080]), "router");
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`, allowed)).toBeNull();
  });

  it("static NAT works both ways", async () => {
    const rules: NetworkRule[] = [{ kind: "staticNat", id: "sn", publicIp: STATIC, privateIp: guests.g2.ip }, open80(STATIC)];
    await driver.applyNetwork(host, specA(rules), "router");
    expect(lab.curlFromInternet(`http://${STATIC}/`)).toBe("g2");
    expect(fetchFromGuest(guests.g2.ip, `${lab.server}/cgi-bin/ip`)).toBe(STATIC);
    // The other guest still leaves through the source-NAT address.
    expect(fetchFromGuest(guests.g1.ip, `${lab.server}/cgi-bin/ip`)).toBe(SNAT);
  });

  it("two guests behind a load-balancer rule both answer, and a stopped one is taken out by the health check", async () => {
    const lb: NetworkRule = {
      kind: "loadBalancer",
      id: "lb1",
      publicIp: SNAT,
      protocol: "tcp",
      publicPort: 80,
      privatePort: 80,
      algorithm: "roundrobin",
      members: [{ ip: guests.g1.ip }, { ip: guests.g2.ip }],
      healthCheck: { path: "/", intervalMs: 500, unhealthyAfter: 2 },
    };
    await driver.applyNetwork(host, specA([lb, open80(SNAT)]), "router");
    expect(await driver.checkNetwork(host, specA([lb, open80(SNAT)]), "router")).toEqual([]);
    const answers = new Set<string | null>();
    await waitFor(
      "both members to answer",
      () => {
        answers.add(lab.curlFromInternet(`http://${SNAT}/`));
        return answers.has("g1") && answers.has("g2");
      },
      30_000,
      100,
    );
    await driver.stop(host, vmName("g2"), { force: true });
    // Once the check has failed twice, every request goes to g1.
    await waitFor(
      "the health check to take g2 out",
      () => Array.from({ length: 4 }, () => lab.curlFromInternet(`http://${SNAT}/`)).every((a) => a === "g1"),
      20_000,
      250,
    );
  }, 90_000);

  it("two networks with the same CIDR cannot reach each other", async () => {
    await remoteStyle.applyNetwork(host, specB, "router");
    expect(await remoteStyle.checkNetwork(host, specB, "router")).toEqual([]);
    fakeB = lab.fakeGuest("b1", networkDevices(keyB).bridge, specB.guest!.leases[0]!.mac);
    expect(fakeB.address).toBe("10.1.1.30");
    // B's guest reaches its own router and the internet (as B's address), so the test can see traffic fail.
    expect(lab.ping(fakeB.ns, "10.1.1.1")).toBe(true);
    const r = spawnSync("ip", ["netns", "exec", fakeB.ns, "curl", "-s", "--max-time", "3", `http://${lab.server}/cgi-bin/ip`], {
      encoding: "utf8",
    });
    expect(r.stdout.trim()).toBe("203.0.113.20");
    // …but not A's guest at the same private addresses, nor does A's guest reach B's.
    expect(lab.ping(fakeB.ns, guests.g1.ip)).toBe(false);
    expect(spawnSync("ip", ["netns", "exec", fakeB.ns, "curl", "-s", "--max-time", "2", `http://${guests.g1.ip}/`]).status).not.toBe(0);
    expect(fetchFromGuest(guests.g1.ip, "10.1.1.30/")).toMatch(/^(wget: can't connect to remote host.*)?$/);
  });

  it("after dnsmasq is killed and nftables flushed by hand, checkNetwork reports both and applyNetwork restores them", async () => {
    const spec = specA([forward8080, open8080()]);
    await driver.applyNetwork(host, spec, "router");
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`)).toBe("g1");
    const pid = fs.readFileSync(path.join(lab.dir, "state", networkDevices(keyA).namespace, "dnsmasq.pid"), "utf8").trim();
    execFileSync("kill", ["-KILL", pid]);
    expect(inRouter(keyA, "nft", ["flush", "ruleset"]).status).toBe(0);
    const diffs = await driver.checkNetwork(host, spec, "router");
    expect(diffs).toEqual(expect.arrayContaining(["dnsmasq is not running", "nftables table stratus is missing"]));
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`)).toBeNull();

    await driver.applyNetwork(host, spec, "router");
    expect(await driver.checkNetwork(host, spec, "router")).toEqual([]);
    expect(lab.curlFromInternet(`http://${SNAT}:8080/`)).toBe("g1");
    // DHCP is back: a new fake guest with its lease gets its address, and the router's DNS names the guests.
    fakeA = lab.fakeGuest("f1", networkDevices(keyA).bridge, guests.f1.mac);
    expect(fakeA.address).toBe(guests.f1.ip);
    const dns = spawnSync("ip", ["netns", "exec", fakeA.ns, "busybox", "nslookup", "g1.a.test", "10.1.1.1"], { encoding: "utf8" });
    expect(dns.stdout).toMatch(/Address:?\s+10\.1\.1\.10/);

    // A hand-added rule is a difference too, and the next apply replaces it.
    expect(inRouter(keyA, "nft", ["add", "rule", "ip", "stratus", "forward", "accept"]).status).toBe(0);
    expect(await driver.checkNetwork(host, spec, "router")).toEqual(["nftables ruleset differs from the generated one"]);
    await driver.applyNetwork(host, spec, "router");
    expect(await driver.checkNetwork(host, spec, "router")).toEqual([]);
  });

  it("the network's rate limit caps a download from the internet", async () => {
    fs.writeFileSync(path.join(lab.dir, "www", "big"), Buffer.alloc(4 * 1024 * 1024, 1));
    /** Bytes per second of a 4 MiB download by the fake guest on network A. */
    const speed = () => {
      const r = spawnSync(
        "ip",
        [
          "netns",
          "exec",
          fakeA.ns,
          "curl",
          "-s",
          "-o",
          "/dev/null",
          "--max-time",
          "20",
          "-w",
          "%{speed_download}",
          `http://${lab.server}/big`,
        ],
        { encoding: "utf8" },
      );
      return Number(r.stdout);
    };
    await driver.applyNetwork(host, { ...specA([]), rateLimitMbps: 8 }, "router");
    const limited = speed();
    await driver.applyNetwork(host, specA([]), "router");
    const free = speed();
    // 8 Mbit/s is 1,000,000 bytes/s (the burst lets a little more through at the start).
    expect(limited).toBeGreaterThan(100_000);
    expect(limited).toBeLessThan(1_400_000);
    expect(free).toBeGreaterThan(3 * limited);
  }, 60_000);

  // VXLAN, since this machine kind's kernel has no 802.1Q (VLAN) support; both take the same path.
  it("a member host gets only the bridge with the network's VXLAN on the guest uplink; destroy removes it all", async () => {
    const key = lab.key("m");
    const uplink = `sup-${lab.run}`;
    // A veth pair stands in for the host's guest uplink (the test's own device, never the machine's).
    execFileSync("ip", ["link", "add", uplink, "type", "veth", "peer", "name", `${uplink}p`]);
    try {
      const spec: NetworkSpec = {
        ...specA([]),
        id: "net-m",
        key,
        segment: { kind: "vxlan", id: 5123 },
        uplinks: { publicBridge: lab.publicBridge, guestUplink: uplink },
      };
      await driver.applyNetwork(host, spec, "member");
      await driver.applyNetwork(host, spec, "member");
      const vxlan = (
        JSON.parse(execFileSync("ip", ["-j", "-d", "link", "show", "dev", `svx-${key}`], { encoding: "utf8" })) as {
          master: string;
          linkinfo: { info_kind: string; info_data: { id: number; link: string } };
        }[]
      )[0]!;
      expect(vxlan.master).toBe(networkDevices(key).bridge);
      expect(vxlan.linkinfo.info_kind).toBe("vxlan");
      expect(vxlan.linkinfo.info_data.id).toBe(5123);
      expect(await driver.checkNetwork(host, spec, "member")).toEqual([]);
      expect(spawnSync("ip", ["netns", "pids", networkDevices(key).namespace]).status).not.toBe(0);
      // Another VXLAN id is a difference, and apply replaces the device.
      const moved: NetworkSpec = { ...spec, segment: { kind: "vxlan", id: 5124 } };
      expect(await driver.checkNetwork(host, moved, "member")).toEqual([`svx-${key} has id 5123, not 5124`]);
      await driver.applyNetwork(host, moved, "member");
      expect(await driver.checkNetwork(host, moved, "member")).toEqual([]);
      await driver.destroyNetwork(host, moved);
      expect(await driver.checkNetwork(host, spec, "member")).toEqual([
        `bridge ${networkDevices(key).bridge} is missing`,
        `vxlan device svx-${key} is missing`,
      ]);
    } finally {
      spawnSync("ip", ["link", "del", uplink]);
    }
  });

  it("destroyNetwork removes the router, its processes and its devices", async () => {
    await remoteStyle.destroyNetwork(host, specB);
    await remoteStyle.destroyNetwork(host, specB);
    const d = networkDevices(keyB);
    expect(spawnSync("ip", ["netns", "pids", d.namespace]).status).not.toBe(0);
    for (const dev of [d.bridge, d.guestVeth, d.publicVeth]) expect(spawnSync("ip", ["link", "show", "dev", dev]).status).not.toBe(0);
    expect(lab.ping(fakeB.ns, "10.1.1.1")).toBe(false);
  });
});
