import { describe, expect, it } from "vitest";
import { macFor, uuidFor } from "./driver";
import { nicCounters, parseDomStats, parseNodeInfo } from "./parse";
import { cpuTuneFor, domainXml, esc } from "./xml";

const base = {
  name: "i-7",
  uuid: uuidFor("i-7"),
  domainType: "qemu" as const,
  vcpus: 2,
  memoryMib: 256,
  disks: [{ path: "/var/lib/stratus/primary/i-7-root.qcow2", format: "qcow2" as const, target: "vda" }],
  nics: [{ type: "user" as const, mac: macFor("i-7") }],
  vnc: { listen: "127.0.0.1" },
};

describe("domain XML", () => {
  it("escapes every value, so user strings cannot add elements", () => {
    expect(esc(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    const evil = `x</title><devices><disk type='file'><source file='/etc/shadow'/></disk></devices><title>`;
    const xml = domainXml({ ...base, title: evil, hostname: evil });
    expect(xml).not.toContain("/etc/shadow'/>");
    expect(xml.match(/<disk /g)).toHaveLength(2); // the root disk and the (empty) CD-ROM
    expect(xml).toContain("&lt;/title&gt;");
  });

  it("has one CD-ROM, empty or with an ISO, first in the boot order only when asked and loaded", () => {
    const empty = domainXml(base);
    expect(empty).toMatch(/<disk type="file" device="cdrom">\s*<driver name="qemu" type="raw"\/>\s*<target dev="hdc" bus="ide"\/>/);
    expect(empty).not.toContain('<boot dev="cdrom"/>');
    const loaded = domainXml({ ...base, cdrom: { path: "/pool/template-abc.raw", boot: false } });
    expect(loaded).toContain('<source file="/pool/template-abc.raw"/>');
    expect(loaded).not.toContain('<boot dev="cdrom"/>');
    const boots = domainXml({ ...base, cdrom: { path: "/pool/template-abc.raw", boot: true } });
    expect(boots).toMatch(/<boot dev="cdrom"\/>\s*<boot dev="hd"\/>/);
    expect(domainXml({ ...base, cdrom: { path: null, boot: true } })).not.toContain('<boot dev="cdrom"/>');
    expect(() => domainXml({ ...base, cdrom: { path: "x.iso", boot: false } })).toThrow(/absolute/);
  });

  it("refuses names, paths and numbers it cannot trust", () => {
    expect(() => domainXml({ ...base, name: "i-1'/><x" })).toThrow(/bad domain name/);
    expect(() => domainXml({ ...base, disks: [{ ...base.disks[0]!, path: "relative.qcow2" }] })).toThrow(/absolute/);
    expect(() => domainXml({ ...base, vcpus: 1.5 })).toThrow(/vcpus/);
    expect(() => domainXml({ ...base, memoryMib: Number.NaN })).toThrow(/memory/);
  });

  it("describes the VM: type, sizes, disk, NIC, VNC on the host, serial log, ACPI", () => {
    const xml = domainXml({ ...base, serialLogPath: "/p/i-7-serial.log", title: "web & db" });
    expect(xml).toContain(`<domain type="qemu">`);
    expect(xml).toContain(`<memory unit="MiB">256</memory>`);
    expect(xml).toContain(`<vcpu placement="static">2</vcpu>`);
    expect(xml).toContain(`<source file="/var/lib/stratus/primary/i-7-root.qcow2"/>`);
    expect(xml).toMatch(/<graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1"/);
    expect(xml).toContain(`<log file="/p/i-7-serial.log" append="off"/>`);
    expect(xml).toContain("<acpi/>");
    expect(xml).toContain("<title>web &amp; db</title>");
    expect(uuidFor("i-7")).toBe(uuidFor("i-7"));
    expect(uuidFor("i-7")).not.toBe(uuidFor("i-8"));
  });
});

describe("virsh output", () => {
  it("attaches NICs on Stratus networks as virtio bridge interfaces with IPAM's MAC; refuses multicast MACs", () => {
    const xml = domainXml({ ...base, nics: [{ type: "bridge", source: "sbr-k1", mac: "02:00:0a:01:01:0a" }] });
    expect(xml).toMatch(
      /<interface type="bridge">\s*<mac address="02:00:0a:01:01:0a"\/>\s*<source bridge="sbr-k1"\/>\s*<model type="virtio"\/>/,
    );
    expect(() => domainXml({ ...base, nics: [{ type: "bridge", source: "sbr-k1", mac: "01:00:5e:00:00:01" }] })).toThrow(/bad MAC/);
  });

  it("parses nodeinfo and domstats", () => {
    expect(
      parseNodeInfo(
        "CPU model:           x86_64\nCPU(s):              2\nCPU frequency:       2700 MHz\nMemory size:         9267416 KiB\n",
      ),
    ).toEqual({ cpuModel: "x86_64", cpus: 2, mhz: 2700, memoryKib: 9267416 });
    const s = parseDomStats("Domain: 'i-1'\n  state.state=1\n  block.count=1\n  block.0.rd.bytes=42\n\nDomain: 'i-2'\n  state.state=5\n");
    expect(s.get("i-1")!.get("block.0.rd.bytes")).toBe("42");
    expect(s.get("i-2")!.get("state.state")).toBe("5");
    // Each interface's counters by index (the NICs' device order), for per-NIC usage.
    const n = parseDomStats(
      "Domain: 'i-3'\n  net.count=2\n  net.0.name=vnet1\n  net.0.rx.bytes=100\n  net.0.tx.bytes=40\n  net.1.name=vnet2\n  net.1.rx.bytes=7\n",
    );
    expect(nicCounters(n.get("i-3")!)).toEqual([
      { index: 0, rxBytes: 100, txBytes: 40 },
      { index: 1, rxBytes: 7, txBytes: 0 },
    ]);
    expect(nicCounters(s.get("i-2")!)).toEqual([]);
  });
});

describe("CPU cap", () => {
  it("caps each vCPU at the offering's share of a host core with <cputune> period and quota", () => {
    // A 1000 MHz offering on a 2500 MHz host: 40 % of every 100 ms period.
    expect(cpuTuneFor(40)).toEqual({ periodUs: 100_000, quotaUs: 40_000 });
    const xml = domainXml({ ...base, cpuTune: cpuTuneFor(40) });
    expect(xml).toMatch(/<cputune>\s*<period>100000<\/period>\s*<quota>40000<\/quota>\s*<\/cputune>/);
    // libvirt refuses quotas under 1 ms; an offering as fast as the host needs no cap.
    expect(cpuTuneFor(0.2)).toEqual({ periodUs: 100_000, quotaUs: 1000 });
    expect(cpuTuneFor(100)).toBeUndefined();
    expect(cpuTuneFor(undefined)).toBeUndefined();
    expect(domainXml(base)).not.toContain("cputune");
  });
});
