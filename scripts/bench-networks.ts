/**
 * npm run bench:networks — networks on this machine's libvirt host (server/orchestrator/drivers/libvirt/network/):
 *   networkReadyMs      from applyNetwork (nothing on the host yet) to the router answering DHCP
 *                       (a fake guest's busybox udhcpc gets its lease);
 *   ruleApplyMsAt1000   one rule changed in a network holding 1,000 rules: the whole applyNetwork
 *                       (devices checked, one atomic `nft -f`, dnsmasq and haproxy left alone), median of 5;
 *   dhcpLeaseMs         a tiny guest (TCG) from `virsh start` to its leased address on the serial console.
 * Everything lives in namespaces and bridges with a per-run prefix (test/network-lab.ts). Needs root,
 * iproute2, nftables, dnsmasq-base, haproxy, busybox, curl, libvirtd and .cache/test-image/tiny.qcow2.
 * Prints a final JSON line {"networkReadyMs","ruleApplyMsAt1000","dhcpLeaseMs", …}.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LibvirtDriver } from "@/server/orchestrator/drivers/libvirt/driver";
import type { HostRef, VmSpec } from "@/server/orchestrator/drivers/types";
import { networkDevices, type NetworkRule, type NetworkSpec } from "@/server/orchestrator/network/spec";
import { undefinePoolsUnder } from "@/test/libvirt-pools";
import { labProblem, NetworkLab } from "@/test/network-lab";

const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const host: HostRef = { id: "bench-net", name: "local", address: "qemu:///system", hypervisorType: "kvm", domainType: "qemu" };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (n: number) => Math.round(n * 10) / 10;

async function main() {
  const problem = labProblem();
  if (problem) throw new Error(problem);
  if (!fs.existsSync(image)) throw new Error(`${image} is missing: run scripts/build-test-image.sh`);
  const lab = new NetworkLab();
  const driver = new LibvirtDriver({ networkStateDir: path.join(lab.dir, "state") });
  const key = lab.key("a");
  const vm = `rtr-${lab.run}-bench`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-bench-net-"));
  fs.chmodSync(dir, 0o755);
  const spec = (rules: NetworkRule[]): NetworkSpec => ({
    id: "bench",
    key,
    type: "isolated",
    segment: null,
    uplinks: { publicBridge: lab.publicBridge, guestUplink: null },
    guest: {
      cidr: "10.9.0.0/16",
      gateway: "10.9.0.1",
      dnsDomain: "bench.test",
      dhcp: true,
      dns: true,
      leases: [
        { mac: "02:00:0a:09:00:0a", ip: "10.9.0.10", hostname: "fake" },
        { mac: "02:00:0a:09:00:0b", ip: "10.9.0.11", hostname: "tiny" },
      ],
    },
    public: { gateway: lab.gateway, prefixLength: 24, vlan: null, addresses: ["203.0.113.10"], sourceNat: "203.0.113.10" },
    egressDefault: "allow",
    rateLimitMbps: null,
    rules,
  });
  try {
    lab.setup();
    // --- network ready: apply, then a DHCP client on the new bridge gets its lease ---
    let t = performance.now();
    await driver.applyNetwork(host, spec([]), "router");
    const applyMs = performance.now() - t;
    const fake = lab.fakeGuest("fake", networkDevices(key).bridge, "02:00:0a:09:00:0a");
    const networkReadyMs = performance.now() - t;
    if (fake.address !== "10.9.0.10") throw new Error(`the fake guest got ${fake.address}, not 10.9.0.10`);
    console.log(`network ready: ${Math.round(networkReadyMs)} ms (applyNetwork ${Math.round(applyMs)} ms, then DHCP)`);

    // --- one rule changed among 1,000 ---
    const rules = (n: number, shift: number): NetworkRule[] => [
      { kind: "firewall", id: "fw", publicIp: "203.0.113.10", protocol: "tcp", ports: [10000, 11999], sourceCidrs: ["0.0.0.0/0"] },
      ...Array.from({ length: n - 1 }, (_, i): NetworkRule => ({
        kind: "portForward",
        id: `pf${i}`,
        publicIp: "203.0.113.10",
        protocol: "tcp",
        publicPorts: [10000 + i, 10000 + i],
        privateIp: "10.9.0.10",
        privatePorts: [i === 0 ? 80 + shift : 80, i === 0 ? 80 + shift : 80],
      })),
    ];
    await driver.applyNetwork(host, spec(rules(1000, 0)), "router");
    const times: number[] = [];
    for (let i = 1; i <= 5; i++) {
      // Rule changes come one at a time: let the previous apply's bookkeeping (the ruleset's listing) finish.
      await new Promise((r) => setTimeout(r, 500));
      t = performance.now();
      await driver.applyNetwork(host, spec(rules(1000, i % 2)), "router");
      times.push(performance.now() - t);
    }
    const ruleApplyMsAt1000 = median(times);
    const nftFile = path.join(lab.dir, "state", networkDevices(key).namespace, "nft.conf");
    const nftTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      spawnSync("ip", ["netns", "exec", networkDevices(key).namespace, "nft", "-f", nftFile]);
      nftTimes.push(performance.now() - t);
    }
    const nftOnlyMs = median(nftTimes);
    const diffs = await driver.checkNetwork(host, spec(rules(1000, 1)), "router");
    if (diffs.length) throw new Error(`after the rule changes the router differs: ${diffs.join("; ")}`);
    console.log(`one rule change at 1,000 rules: ${Math.round(ruleApplyMsAt1000)} ms (nft -f alone ${Math.round(nftOnlyMs)} ms)`);
    const forwarded = lab.curlFromInternet("http://203.0.113.10:10001/");
    if (forwarded !== "fake") throw new Error(`port forward 10001 answered ${forwarded}`);

    // --- DHCP for a booting tiny guest ---
    fs.mkdirSync(path.join(dir, "secondary"));
    fs.copyFileSync(image, path.join(dir, "secondary", "tiny.qcow2"));
    const vmSpec: VmSpec = {
      name: vm,
      cpuCores: 1,
      cpuMhz: 1000,
      memoryMib: 128,
      template: { id: `tbench${lab.run}`, path: path.join(dir, "secondary", "tiny.qcow2"), format: "qcow2", sizeGib: 1 },
      displayName: "tiny",
      storage: { poolId: `bnet${lab.run}`, primaryPath: path.join(dir, "primary"), rootDiskGib: 1 },
      nics: [{ networkId: "bench", networkKey: key, mac: "02:00:0a:09:00:0b", ip: "10.9.0.11", deviceId: 0 }],
    };
    await driver.create(host, vmSpec);
    const serial = path.join(dir, "primary", `${vm}-serial.log`);
    t = performance.now();
    await driver.start(host, vmSpec);
    let leased: string | undefined;
    while (!leased && performance.now() - t < 180_000) {
      await new Promise((r) => setTimeout(r, 50));
      leased = fs.existsSync(serial) ? /STRATUS-TINY-GUEST eth0 (\S+)/.exec(fs.readFileSync(serial, "utf8"))?.[1] : undefined;
    }
    const dhcpLeaseMs = performance.now() - t;
    if (leased !== "10.9.0.11") throw new Error(`the tiny guest got ${leased ?? "no address"}, not 10.9.0.11`);
    console.log(`booting tiny guest leased ${leased} after ${Math.round(dhcpLeaseMs)} ms`);

    console.log(
      JSON.stringify({
        networkReadyMs: round(networkReadyMs),
        ruleApplyMsAt1000: round(ruleApplyMsAt1000),
        dhcpLeaseMs: round(dhcpLeaseMs),
        applyNetworkMs: round(applyMs),
        nftOnlyMsAt1000: round(nftOnlyMs),
      }),
    );
  } finally {
    await driver.destroy(host, vm).catch(() => {});
    undefinePoolsUnder(dir);
    await driver.destroyNetwork(host, { id: "bench", key }).catch(() => {});
    lab.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
