/**
 * A throw-away network lab for the real-traffic network tests and the benchmark: a public bridge,
 * an "internet" namespace on it with documentation addresses (203.0.113.1 is the zone's gateway,
 * 198.51.100.0/24 the outside clients), and "fake guests" (a namespace with a veth on a network's
 * bridge running busybox udhcpc and httpd). Every name carries the run's prefix `zq<4 chars>`;
 * leftovers of runs whose process has gone are removed at start. Nothing touches the machine's own
 * interfaces, addresses or routes: all addresses live inside the lab's namespaces.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const LAB_ROOT = "/tmp/stratus-netlab";
/** Every device and namespace a lab (or a network it realises) creates is `<kind>-zq<run>…`. */
const OWN_NAME = /^(srt|sin|sfg|sbr|svg|svp|svl|svx|spb|sii|sfh|sup)-zq([a-z0-9]{4})/;

const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
const shOk = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
const ip = (...args: string[]) => sh("ip", args);

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What the lab needs, or why it cannot run here (the suite is skipped with this reason). */
export function labProblem(): string | null {
  if (process.getuid?.() !== 0) return "network tests need root (namespaces, bridges)";
  for (const [tool, pkg] of [
    ["ip", "iproute2"],
    ["nft", "nftables"],
    ["dnsmasq", "dnsmasq-base"],
    ["haproxy", "haproxy"],
    ["busybox", "busybox"],
    ["curl", "curl"],
    ["virsh", "libvirt-clients"],
  ])
    if (shOk("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is missing (apt-get install ${pkg})`;
  return null;
}

function kill(ns: string) {
  const pids = shOk("ip", ["netns", "pids", ns]).stdout?.split(/\s+/).filter(Boolean) ?? [];
  for (const p of pids) shOk("kill", ["-KILL", p]);
}

/** Removes namespaces and links of earlier labs whose process is gone (never a running lab's). */
export function cleanupLeftovers() {
  fs.mkdirSync(LAB_ROOT, { recursive: true });
  const live = new Set(
    fs
      .readdirSync(LAB_ROOT)
      .filter((f) => f.endsWith(".pid"))
      .filter((f) => alive(Number(fs.readFileSync(path.join(LAB_ROOT, f), "utf8"))))
      .map((f) => f.slice(0, -4)),
  );
  const stale = (name: string) => {
    const m = OWN_NAME.exec(name);
    return m && !live.has(`zq${m[2]}`);
  };
  for (const line of ip("netns", "list").split("\n")) {
    const ns = line.split(" ")[0]!;
    if (ns && stale(ns)) {
      kill(ns);
      shOk("ip", ["netns", "del", ns]);
    }
  }
  for (const l of JSON.parse(ip("-j", "link", "show")) as { ifname: string }[]) if (stale(l.ifname)) shOk("ip", ["link", "del", l.ifname]);
  // Guests (rtr-zq<run>-…) and their pools (stratus-net…/stratus-bnet… zq<run>) of dead runs.
  const virsh = (...args: string[]) => shOk("virsh", ["-q", "-c", "qemu:///system", ...args]);
  for (const name of (virsh("list", "--all", "--name").stdout ?? "").split("\n").map((n) => n.trim())) {
    const m = /^rtr-(zq[a-z0-9]{4})-/.exec(name);
    if (!m || live.has(m[1]!)) continue;
    virsh("destroy", "--domain", name);
    virsh("undefine", "--domain", name, "--nvram");
  }
  for (const pool of (virsh("pool-list", "--all", "--name").stdout ?? "").split("\n").map((n) => n.trim())) {
    const m = /^stratus-b?net(zq[a-z0-9]{4})$/.exec(pool);
    if (!m || live.has(m[1]!)) continue;
    virsh("pool-destroy", "--pool", pool);
    virsh("pool-undefine", "--pool", pool);
  }
  for (const f of fs.readdirSync(LAB_ROOT)) {
    const run = f.replace(/\.pid$/, "");
    if (/^zq[a-z0-9]{4}$/.test(run) && !live.has(run)) fs.rmSync(path.join(LAB_ROOT, f), { recursive: true, force: true });
  }
}

export class NetworkLab {
  readonly run = `zq${Math.random().toString(36).slice(2, 6).padEnd(4, "0")}`;
  readonly dir = path.join(LAB_ROOT, this.run);
  readonly publicBridge = `spb-${this.run}`;
  readonly internet = `sin-${this.run}`;
  /** The zone's upstream gateway (in the internet namespace) and the outside clients' addresses. */
  readonly gateway = "203.0.113.1";
  readonly server = "198.51.100.1";
  readonly clients = ["198.51.100.10", "198.51.100.20"];
  private fakes: string[] = [];

  /** A network key with this run's prefix (`zq<run>` + one letter: 7 characters). */
  key(letter: string) {
    return `${this.run}${letter}`;
  }

  setup() {
    cleanupLeftovers();
    fs.mkdirSync(path.join(this.dir, "www", "cgi-bin"), { recursive: true });
    fs.writeFileSync(path.join(LAB_ROOT, `${this.run}.pid`), String(process.pid));
    ip("link", "add", "name", this.publicBridge, "type", "bridge");
    ip("link", "set", this.publicBridge, "up");
    ip("netns", "add", this.internet);
    ip("link", "add", `sii-${this.run}`, "type", "veth", "peer", "name", "eth0", "netns", this.internet);
    ip("link", "set", `sii-${this.run}`, "master", this.publicBridge, "up");
    ip("-n", this.internet, "link", "set", "lo", "up");
    ip("-n", this.internet, "link", "set", "eth0", "up");
    for (const a of [`${this.gateway}/24`, `${this.server}/24`, ...this.clients.map((c) => `${c}/24`)])
      ip("-n", this.internet, "addr", "add", a, "dev", "eth0");
    // The internet's web server: /cgi-bin/ip answers the address the request came from.
    const cgi = path.join(this.dir, "www", "cgi-bin", "ip");
    fs.writeFileSync(cgi, '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "$REMOTE_ADDR"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(this.dir, "www", "index.html"), "internet\n");
    sh("ip", ["netns", "exec", this.internet, "busybox", "httpd", "-p", `${this.server}:80`, "-h", path.join(this.dir, "www")]);
    fs.writeFileSync(
      path.join(this.dir, "udhcpc.sh"),
      [
        "#!/bin/sh",
        '[ "$1" = bound ] || exit 0',
        'ip addr add "$ip/$mask" dev "$interface"',
        'for r in $router; do ip route replace default via "$r"; break; done',
        "exit 0",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
  }

  /** Runs a command inside the internet namespace. */
  inInternet(cmd: string, args: string[]) {
    return shOk("ip", ["netns", "exec", this.internet, cmd, ...args]);
  }

  /** An HTTP GET from the internet (from one of `clients`): the body, or null when it does not connect. */
  curlFromInternet(url: string, from = this.clients[0]!, timeoutS = 3): string | null {
    const r = this.inInternet("curl", ["-s", "--max-time", String(timeoutS), "--interface", from, url]);
    return r.status === 0 ? r.stdout.trim() : null;
  }

  /** Can `from` (a namespace) ping `to`? */
  ping(ns: string, to: string) {
    return shOk("ip", ["netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "1", to]).status === 0;
  }

  /**
   * A fake guest on `bridge`: a namespace with a veth carrying `mac`, taking its address by DHCP
   * (busybox udhcpc) and serving `name` over HTTP on port 80. Returns its namespace and address.
   */
  fakeGuest(name: string, bridge: string, mac: string, opts: { dhcp?: boolean } = {}) {
    const ns = `sfg-${this.run}${this.fakes.length}`;
    const host = `sfh-${this.run}${this.fakes.length}`;
    this.fakes.push(ns);
    ip("netns", "add", ns);
    ip("link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns);
    ip("link", "set", host, "master", bridge, "up");
    ip("-n", ns, "link", "set", "eth0", "address", mac);
    ip("-n", ns, "link", "set", "eth0", "up");
    ip("-n", ns, "link", "set", "lo", "up");
    const www = path.join(this.dir, `www-${ns}`);
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, "index.html"), `${name}\n`);
    sh("ip", ["netns", "exec", ns, "busybox", "httpd", "-p", "80", "-h", www]);
    let address: string | null = null;
    if (opts.dhcp !== false) {
      const r = shOk("ip", [
        "netns",
        "exec",
        ns,
        "busybox",
        "udhcpc",
        "-i",
        "eth0",
        "-q",
        "-n",
        "-t",
        "5",
        "-T",
        "1",
        "-s",
        path.join(this.dir, "udhcpc.sh"),
      ]);
      address = /lease of (\S+) obtained/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? null;
    }
    return { ns, address };
  }

  teardown() {
    for (const ns of [...this.fakes, this.internet]) {
      kill(ns);
      shOk("ip", ["netns", "del", ns]);
    }
    for (let i = 0; i < this.fakes.length; i++) shOk("ip", ["link", "del", `sfh-${this.run}${i}`]);
    shOk("ip", ["link", "del", `sii-${this.run}`]);
    shOk("ip", ["link", "del", this.publicBridge]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.rmSync(path.join(LAB_ROOT, `${this.run}.pid`), { force: true });
  }
}
