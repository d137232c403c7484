import { describe, expect, it } from "vitest";
import { parseDomBlkInfoPhysical } from "./vm-snapshots";

describe("parseDomBlkInfoPhysical", () => {
  it("sums the physical bytes of every disk and skips an empty CD-ROM (virsh domblkinfo --all, libvirt 9.0)", () => {
    const out = [
      " Target   Capacity     Allocation   Physical",
      "----------------------------------------------",
      " vda      1073741824   95571968     95813771",
      " vdb      1073741824   217088       458891",
      " hdc      -            -            -",
      "",
    ].join("\n");
    expect(parseDomBlkInfoPhysical(out)).toBe(95813771 + 458891);
    expect(parseDomBlkInfoPhysical("")).toBe(0);
  });
});
