import { describe, expect, it } from "vitest";
import { hostRunner, shellQuote } from "./host-runner";

describe("hostRunner", () => {
  it("quotes every argument for the remote shell of an SSH host, so none is read as shell syntax", () => {
    expect(shellQuote("srt-k1")).toBe("'srt-k1'");
    expect(shellQuote("a'b; rm -rf /")).toBe(`'a'\\''b; rm -rf /'`);
  });

  it("runs locally for qemu:///system and refuses hosts without a command channel", () => {
    const host = { id: "h", name: "h1", hypervisorType: "kvm" as const };
    expect(hostRunner({ ...host, address: "qemu:///system" }).local).toBe(true);
    expect(hostRunner({ ...host, address: "qemu+ssh://root@10.0.0.5:2222/system" }).local).toBeUndefined();
    expect(() => hostRunner({ ...host, address: "qemu+tls://10.0.0.5/system" })).toThrow(/need a local .* or SSH/);
    expect(() => hostRunner({ ...host, address: "qemu+ssh://root@h/system?command=sh" })).toThrow(/Host h1/);
  });
});
