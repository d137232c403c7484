/**
 * Security groups on a real libvirt host with real traffic: a shared network (Stratus's router
 * serves DHCP/DNS only, at routerIp) with a real tiny guest (TCG) whose frames the per-VM nftables
 * bridge table filters, and fake guests (namespaces on the bridge, test/network-lab.ts) as peers.
 * Everything carries a per-run prefix and lives in namespaces and bridges the test creates.
 *
 * Runs in npm test's "networks" suite only (STRATUS_NETWORK_TESTS=1).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import { NetworkLab } from "@/test/network-lab";
import { waitFor } from "@/test/orchestrator";
import { networkDevices, type NetworkSpec, type SecurityGroupRuleSpec, type VmFirewallSpec } from "../../../network/spec";
import type { HostRef, VmSpec } from "../../types";
import { LibvirtDriver } from "../driver";
import { securityGroupTable } from "./security-groups";

const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const host: HostRef = { id: "sg-test", name: "local", address: "qemu:///system", hypervisorType: "kvm", domainType: "qemu" };
const lab = new NetworkLab();
const driver = new LibvirtDriver({ networkStateDir: path.join(lab.dir, "state") });
const key = lab.key("s");
const ROUTER = "10.2.2.254";
const guest = { mac: "02:00:0a:02:02:0a", ip: "10.2.2.10" };
const member = { mac: "02:00:0a:02:02:14", ip: "10.2.2.20" };
const stranger = { mac: "02:00:0a:02:02:15", ip: "10.2.2.21" };

const shared: NetworkSpec = {
  id: "net-shared",
  key,
  type: "shared",
  segment: null,
  uplinks: { publicBridge: null, guestUplink: null },
  guest: {
    cidr: "10.2.2.0/24",
    gateway: "10.2.2.1",
    routerIp: ROUTER,
    dnsDomain: "shared.test",
    dhcp: true,
    dns: true,
    leases: [
      { hostname: "sg", ...guest },
      { hostname: "member", ...member },
      { hostname: "stranger", ...stranger },
    ],
  },
  public: null,
  egressDefault: "allow",
  rateLimitMbps: null,
  rules: [],
};

let dir: string;
const vmName = `rtr-${lab.run}-sg`;
const serial = () => {
  const f = path.join(dir, "primary", `${vmName}-serial.log`);
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
};
const vmSpec = (): VmSpec => ({
  name: vmName,
  cpuCores: 1,
  cpuMhz: 1000,
  memoryMib: 128,
  template: { id: `tsg${lab.run}`, path: path.join(dir, "secondary", "tiny.qcow2"), format: "qcow2", sizeGib: 1 },
  displayName: "sg",
  storage: { poolId: `net${lab.run}`, primaryPath: path.join(dir, "primary"), rootDiskGib: 1 },
  nics: [{ networkId: shared.id, networkKey: key, mac: guest.mac, ip: guest.ip, deviceId: 0 }],
});
const firewall = (rules: SecurityGroupRuleSpec[]): VmFirewallSpec => ({ vmName, nics: [{ ...guest, rules }] });
const http80From = (cidrs: string[]): SecurityGroupRuleSpec => ({ direction: "ingress", protocol: "tcp", ports: [80, 80], cidrs });

/** An HTTP GET of the guest's web server from a namespace: the body, or null when it does not connect. */
function getFrom(ns: string) {
  const r = spawnSync("ip", ["netns", "exec", ns, "curl", "-s", "--max-time", "4", `http://${guest.ip}/`], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return r.status === 0 ? r.stdout.trim() : null;
}
const routerNs = networkDevices(key).namespace;

describe.runIf(process.env.STRATUS_NETWORK_TESTS === "1")("security groups on a libvirt host (real traffic)", () => {
  let fakeMember: { ns: string; address: string | null };
  let fakeStranger: { ns: string; address: string | null };

  beforeAll(async () => {
    if (!fs.existsSync(image)) throw new Error(`The test image ${image} is missing: run scripts/build-test-image.sh`);
    lab.setup();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-sg-"));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, "secondary"));
    fs.copyFileSync(image, path.join(dir, "secondary", "tiny.qcow2"));
    await driver.applyNetwork(host, shared, "router");
    const bridge = networkDevices(key).bridge;
    fakeMember = lab.fakeGuest("member", bridge, member.mac);
    fakeStranger = lab.fakeGuest("stranger", bridge, stranger.mac);
    // The filter is in place before the guest starts (as the vm.deploy job does): ingress from the router only.
    await driver.applySecurityGroups(host, firewall([http80From([`${ROUTER}/32`])]));
    await driver.create(host, vmSpec());
    await driver.start(host, vmSpec());
  }, 300_000);

  afterAll(async () => {
    await driver.destroy(host, vmName).catch(() => {});
    await driver.removeSecurityGroups(host, vmName).catch(() => {});
    if (dir) undefinePoolsUnder(dir);
    await driver.destroyNetwork(host, { id: shared.id, key }).catch(() => {});
    lab.teardown();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("the filtered guest still takes its lease from the DHCP-only router, and the fake guests theirs", async () => {
    expect([fakeMember.address, fakeStranger.address]).toEqual([member.ip, stranger.ip]);
    await waitFor("the guest's DHCP lease", () => /STRATUS-TINY-GUEST eth0 \S+/.test(serial()), 180_000, 500);
    expect(/STRATUS-TINY-GUEST eth0 (\S+)/.exec(serial())![1]).toBe(guest.ip);
    expect(await driver.checkNetwork(host, shared, "router")).toEqual([]);
  }, 200_000);

  it("ingress allowed from a CIDR reaches the guest's port 80; removing the rule blocks it", async () => {
    await waitFor("the guest's web server from the router", () => getFrom(routerNs) === "sg", 60_000, 500);
    expect(getFrom(fakeMember.ns)).toBeNull(); // not in the CIDR
    await driver.applySecurityGroups(host, firewall([]));
    expect(getFrom(routerNs)).toBeNull();
    expect(await driver.checkSecurityGroups(host, firewall([]))).toEqual([]);
  }, 120_000);

  it("a group rule (peers resolved to member addresses) lets a member in and refuses a non-member", async () => {
    await driver.applySecurityGroups(host, firewall([http80From([`${member.ip}/32`])]));
    await waitFor("the member reaches the guest", () => getFrom(fakeMember.ns) === "sg", 20_000, 500);
    expect(getFrom(fakeStranger.ns)).toBeNull();
    expect(getFrom(routerNs)).toBeNull();
    // The guest's own traffic out (all egress allowed) and its replies pass: it fetches from the member.
    const fromGuest = spawnSync(
      "ip",
      ["netns", "exec", fakeMember.ns, "curl", "-s", "--max-time", "8", `http://${guest.ip}/cgi-bin/fetch?${member.ip}/`],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(fromGuest.stdout.trim()).toBe("member");
  }, 60_000);

  it("a table deleted by hand is reported by check and restored by apply", async () => {
    const spec = firewall([http80From([`${member.ip}/32`])]);
    expect(await driver.checkSecurityGroups(host, spec)).toEqual([]);
    spawnSync("nft", ["delete", "table", "bridge", securityGroupTable(vmName)]);
    expect(getFrom(fakeStranger.ns)).toBe("sg"); // unfiltered now
    expect((await driver.checkSecurityGroups(host, spec))[0]).toMatch(/is missing/);
    await driver.applySecurityGroups(host, spec);
    expect(await driver.checkSecurityGroups(host, spec)).toEqual([]);
    expect(getFrom(fakeStranger.ns)).toBeNull();
  }, 60_000);
});
