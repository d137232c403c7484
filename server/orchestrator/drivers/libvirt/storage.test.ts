import { describe, expect, it } from "vitest";
import { needsFull } from "./snapshots";
import { baseFile, checkVolumeName, layerFile, layerTag, libvirtPoolName, parseVolXml } from "./storage";
import { isLayerPath } from "./volumes";

const overlayXml = `<volume type='file'>
  <name>vol-1.s-s2.qcow2</name>
  <key>/srv/p/vol-1.s-s2.qcow2</key>
  <capacity unit='bytes'>2147483648</capacity>
  <allocation unit='bytes'>200704</allocation>
  <physical unit='bytes'>196640</physical>
  <target>
    <path>/srv/p/vol-1.s-s2.qcow2</path>
    <format type='qcow2'/>
  </target>
  <backingStore>
    <path>/srv/p/vol-1.qcow2</path>
    <format type='qcow2'/>
  </backingStore>
</volume>`;

describe("libvirt storage names and parsing", () => {
  it("reads sizes, path, format and backing file from vol-dumpxml", () => {
    expect(parseVolXml(overlayXml)).toEqual({
      capacityBytes: 2147483648,
      allocationBytes: 200704,
      path: "/srv/p/vol-1.s-s2.qcow2",
      format: "qcow2",
      backing: "/srv/p/vol-1.qcow2",
    });
    expect(parseVolXml(overlayXml.replace(/<backingStore>[\s\S]*<\/backingStore>/, "")).backing).toBeNull();
    expect(() => parseVolXml("<volume/>")).toThrow(/Unexpected vol-dumpxml/);
  });

  it("names a volume's layers so one volume's files never match another's", () => {
    expect(baseFile("vol-1")).toBe("vol-1.qcow2");
    expect(layerFile("vol-1", "s2")).toBe("vol-1.s-s2.qcow2");
    expect(layerTag("vol-1", "vol-1.s-s2.qcow2")).toBe("s2");
    expect(layerTag("vol-1", "vol-1.qcow2")).toBeNull();
    expect(isLayerPath("vol-1", "/p/vol-1.s-s2.qcow2")).toBe(true);
    expect(isLayerPath("vol-1", "/p/vol-12.qcow2")).toBe(false);
    expect(isLayerPath("i-1-root", "/p/i-1-root.qcow2")).toBe(true);
    expect(isLayerPath("i-1", "/p/i-1-root.qcow2")).toBe(false);
  });

  it("refuses names that could reach outside the pool or be read as options", () => {
    for (const bad of ["../etc", "a/b", "-rf", "a.b", "", "x".repeat(65)]) expect(() => checkVolumeName(bad)).toThrow(/Refusing/);
    expect(() => libvirtPoolName({ id: "../x", type: "local_dir", path: "/srv/p" })).toThrow(/Refusing/);
    expect(libvirtPoolName({ id: "0b5c8e2a-1f", type: "local_dir", path: "/srv/p" })).toBe("stratus-0b5c8e2a-1f");
  });

  it("takes a full snapshot first and then every Nth", () => {
    expect(needsFull(null, 5)).toBe(true);
    expect([0, 1, 2, 3, 4].map((n) => needsFull(n, 5))).toEqual([false, false, false, false, true]);
    expect(needsFull(0, 1)).toBe(true);
  });
});
