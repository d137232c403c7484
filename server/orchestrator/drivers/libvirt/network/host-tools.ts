import fs from "node:fs/promises";
import { ToolError } from "../run";
import type { HostRunner } from "./host-runner";

/** A link as `ip -j addr show` describes it (the fields the router reads). */
export interface LinkInfo {
  ifname: string;
  flags?: string[];
  master?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
}

/** ip's answer for a device or namespace that is not (or no longer) there. */
export const isGone = (e: unknown) => e instanceof ToolError && /does not exist|Cannot find device|No such device/i.test(e.message);

export type NsPids = Awaited<ReturnType<Tools["nsPids"]>>;

/** The host's tools as small typed calls over one runner. */
export class Tools {
  /** Links (with addresses) per namespace ("" = the host), read once and dropped by any change. */
  private readonly cache = new Map<string, Map<string, LinkInfo>>();

  constructor(readonly run: HostRunner) {}

  ip(args: string[]) {
    if (!args.some((a) => a === "show" || a === "list" || a === "pids")) this.cache.clear();
    return this.run("ip", args, { timeoutMs: 15_000 });
  }
  ns(ns: string, cmd: string, args: string[]) {
    return this.run("ip", ["netns", "exec", ns, cmd, ...args], { timeoutMs: 30_000 });
  }
  async namespaces() {
    // iproute2 keeps named namespaces as files in /run/netns.
    if (this.run.local) return fs.readdir("/run/netns").catch(() => [] as string[]);
    const r = await this.ip(["netns", "list"]);
    return r.stdout
      .split("\n")
      .map((l) => l.split(" ")[0]!)
      .filter(Boolean);
  }
  /** Every process in the namespace. */
  async pidsIn(ns: string) {
    const r = await this.ip(["netns", "pids", ns]).catch(() => ({ stdout: "" }));
    return r.stdout.split(/\s+/).filter(Boolean).map(Number);
  }
  /** What pidOf needs to tell whether a pid runs in the namespace. */
  async nsPids(ns: string): Promise<number[] | { ns: string }> {
    // Locally a process is in the namespace when its /proc/<pid>/ns/net is the same inode (pidOf).
    return this.run.local ? { ns } : this.pidsIn(ns);
  }
  /** Every link of the host or of a namespace (none when the namespace does not exist), in one `ip -j addr show`. */
  private async links(ns?: string) {
    const k = ns ?? "";
    let links = this.cache.get(k);
    if (!links) {
      const r = await this.ip([...(ns ? ["-n", ns] : []), "-j", "-d", "addr", "show"]).catch((e: unknown) => {
        if (ns && e instanceof ToolError && /Cannot open network namespace|No such file/i.test(e.message)) return { stdout: "[]" };
        throw e;
      });
      links = new Map((JSON.parse(r.stdout || "[]") as LinkInfo[]).map((l) => [l.ifname, l]));
      this.cache.set(k, links);
    }
    return links;
  }
  /** Reads the host's and the namespace's links at once. */
  async prefetch(ns: string) {
    await Promise.all([this.links(), this.links(ns)]);
  }
  async link(name: string, ns?: string): Promise<LinkInfo | null> {
    return (await this.links(ns)).get(name) ?? null;
  }
  async addresses(ns: string, dev: string) {
    const l = await this.link(dev, ns);
    return (l?.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`);
  }
  /** Exactly these addresses on the device: missing ones added, others removed. */
  async setAddresses(ns: string, dev: string, want: string[]) {
    const have = await this.addresses(ns, dev);
    for (const a of want) if (!have.includes(a)) await this.ip(["-n", ns, "addr", "replace", a, "dev", dev]);
    for (const a of have) if (!want.includes(a)) await this.ip(["-n", ns, "addr", "del", a, "dev", dev]);
  }
  async mkdir(dir: string) {
    if (this.run.local) await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    else await this.run("mkdir", ["-p", "-m", "0755", "--", dir]);
  }
  async readFile(file: string): Promise<string | null> {
    if (this.run.local) return fs.readFile(file, "utf8").catch(() => null);
    return this.run("cat", ["--", file]).then(
      (r) => r.stdout,
      () => null,
    );
  }
  async writeFile(file: string, content: string) {
    if (this.run.local) await fs.writeFile(file, content);
    else await this.run("tee", ["--", file], { input: content });
  }
  /** The pid in `file` when that process runs inside the namespace (one of `nsPids`). */
  async pidOf(file: string, nsPids: number[] | { ns: string }) {
    const text = await this.readFile(file);
    const pid = Number(text?.trim().split(/\s+/)[0]);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    if (Array.isArray(nsPids)) return nsPids.includes(pid) ? pid : null;
    const [a, b] = await Promise.all([
      fs.stat(`/proc/${pid}/ns/net`).catch(() => null),
      fs.stat(`/run/netns/${nsPids.ns}`).catch(() => null),
    ]);
    return a && b && a.ino === b.ino && a.dev === b.dev ? pid : null;
  }
  /** SIGTERM, then wait (up to 3 s) until the process has gone so its sockets are free. */
  async stop(pid: number) {
    await this.run("kill", ["-TERM", String(pid)]).catch(() => {});
    for (let i = 0; i < 60; i++) {
      if (
        !(await this.run("kill", ["-0", String(pid)]).then(
          () => true,
          () => false,
        ))
      )
        return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.run("kill", ["-KILL", String(pid)]).catch(() => {});
  }
}
