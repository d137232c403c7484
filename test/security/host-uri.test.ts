import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@/db";
import { createHostInput, libvirtUriProblem, updateHostInput } from "@/lib/validation/infrastructure";
import type { Caller } from "@/server/authz/caller";
import { LibvirtDriver } from "@/server/orchestrator/drivers/libvirt/driver";
import { virsh } from "@/server/orchestrator/drivers/libvirt/run";
import { registerDriver } from "@/server/orchestrator/drivers/registry";
import { createHost } from "@/server/services/infrastructure/hosts";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";

/**
 * Host addresses run nothing: a KVM host's libvirt URI is limited to qemu:///system,
 * qemu+ssh://user@host[:port]/system and qemu+tls://host[:port]/system with a few ssh parameters.
 * `?command=` and qemu+ext make virsh spawn a program as the server's user; `?socket=`, qemu+unix
 * and qemu+tcp dial anything. Each attack is refused by the shared schema, by the service (called
 * without the schema) and by the driver where virsh gets the URI, and the program never runs.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-host-uri-"));
const marker = path.join(dir, "ran");
const script = path.join(dir, "evil.sh");
fs.writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });

const attacks = [
  `qemu+ext:///system?command=${script}`,
  `qemu+ext://localhost/system?command=${script}`,
  `qemu+ssh://root@127.0.0.1/system?command=${script}`,
  `qemu+ssh://root@127.0.0.1/system?netcat=${script}`,
  `qemu+ssh://root@127.0.0.1/system?proxy=${script}`,
  `qemu+ssh://root@127.0.0.1/system?%63ommand=${script}`,
  `qemu+ssh://root@127.0.0.1/system?keyfile=/keys/a&command=${script}`,
  `qemu+ssh://root@127.0.0.1/system?no_verify=1`,
  `qemu+ssh://root@127.0.0.1/system?socket=/run/docker.sock`,
  "qemu:///system?socket=/run/docker.sock",
  "qemu+unix:///system?socket=/run/docker.sock",
  "qemu+unix:///system",
  "qemu+tcp://127.0.0.1:22/system",
  "qemu+libssh2://root@127.0.0.1/system",
  "qemu+libssh://root@127.0.0.1/system",
  "QEMU+EXT:///system",
  `qemu+ssh://-oProxyCommand=${script}@127.0.0.1/system`,
  `qemu+ssh://root@-oProxyCommand=${script}/system`,
  "qemu+ssh://127.0.0.1/system",
  "qemu+ssh://root@127.0.0.1:0/system",
  "qemu+ssh://root@127.0.0.1:70000/system",
  "qemu+ssh://root@127.0.0.1/session",
  "qemu+ssh://root@127.0.0.1/system/../session",
  "qemu+tls://root@127.0.0.1/system",
  "qemu+tls://127.0.0.1/system?pkipath=/etc",
  "qemu:///system#x",
  "qemu:///system?",
  "qemu:///session",
  "test:///default",
  "qemu+ssh://root@127.0.0.1/system?keyfile=/srv/keys/../../etc/shadow",
  "qemu+ssh://root@127.0.0.1/system?keyfile=/srv/keys/%2e%2e/x",
  "qemu+ssh://root@127.0.0.1/system?no_tty=1&no_tty=1",
];

/** Well-formed, but naming a key file outside the key directory: only the server, which knows the directory, can refuse it. */
const serverOnlyAttacks = [
  "qemu+ssh://root@127.0.0.1/system?keyfile=/etc/shadow",
  "qemu+ssh://root@127.0.0.1/system?known_hosts=/root/.ssh/known_hosts",
];

const accepted = [
  "qemu:///system",
  "qemu+ssh://root@10.0.0.5/system",
  "qemu+ssh://stratus@kvm-1.example.com:2222/system?no_tty=1",
  "qemu+tls://kvm-1.example.com/system",
  "qemu+tls://[fd00::5]:16514/system",
];

const noMarker = () => expect(fs.existsSync(marker), "the command in the URI ran").toBe(false);

let close: () => Promise<void>;
let db: Db;
let admin: Caller;
let kvmCluster: string;

beforeAll(async () => {
  // The real libvirt driver: if a URI got through, virsh would run and so would the script.
  registerDriver("kvm", new LibvirtDriver({ callTimeoutMs: 5_000 }));
  const h = await openTestDb();
  close = h.close;
  db = h.db;
  const t = await seedTenancy(db);
  admin = t.callers.admin;
  const c1 = (await api(db, admin).cluster.list({ search: "Cluster 1" })).items[0]!;
  kvmCluster = (await api(db, admin).cluster.create({ podId: c1.podId, name: "KVM", hypervisorType: "kvm" })).id;
});
afterAll(async () => {
  await close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const host = (address: string) => ({
  clusterId: kvmCluster,
  hypervisorType: "kvm" as const,
  name: "attack",
  address,
  cpuCores: 1,
  cpuMhz: 1000,
  memoryMib: 1024,
  tags: [],
});

describe("libvirt host URIs", () => {
  it.each(attacks)("the shared schema refuses %s, naming the address", (uri) => {
    expect(libvirtUriProblem(uri, "/srv/keys")).not.toBeNull();
    const r = createHostInput.safeParse(host(uri));
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toContain("address");
    expect(updateHostInput.safeParse({ id: "00000000-0000-4000-8000-000000000000", address: uri }).success).toBe(false);
  });

  it.each(accepted)("accepts %s", (uri) => {
    expect(libvirtUriProblem(uri)).toBeNull();
    expect(createHostInput.safeParse(host(uri)).success).toBe(true);
  });

  it("accepts key files only directly inside the configured key directory", () => {
    const uri = (q: string) => `qemu+ssh://stratus@kvm-1/system?${q}`;
    expect(libvirtUriProblem(uri("keyfile=/srv/keys/id_ed25519&known_hosts=/srv/keys/known_hosts&no_tty=1"), "/srv/keys")).toBeNull();
    expect(libvirtUriProblem(uri("keyfile=/srv/keys/id_ed25519"), "/srv/keys/")).toBeNull();
    expect(libvirtUriProblem(uri("keyfile=/srv/other/id"), "/srv/keys")).toContain("must be a file directly in /srv/keys");
    expect(libvirtUriProblem(uri("keyfile=/srv/keys/sub/id"), "/srv/keys")).toContain("must be a file directly in /srv/keys");
    expect(libvirtUriProblem(uri("keyfile=/srv/keysX/id"), "/srv/keys")).toContain("must be a file directly in /srv/keys");
    // No directory configured (the server passes ""): no key files at all.
    expect(libvirtUriProblem(uri("keyfile=/srv/keys/id"), "")).toContain("no STRATUS_LIBVIRT_KEY_DIR is configured");
  });

  it.each([...attacks, ...serverOnlyAttacks])(
    "host.create through the router refuses %s with BAD_REQUEST on address, running nothing",
    async (uri) => {
      const e = await api(db, admin)
        .host.create(host(uri))
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(e).toBeInstanceOf(TRPCError);
      expect((e as TRPCError).code).toBe("BAD_REQUEST");
      // The schema's message is prefixed with the field; the service's carries it as `field`.
      const field = ((e as TRPCError).cause as { field?: string } | undefined)?.field;
      expect(field === "address" || (e as TRPCError).message.startsWith("address: ")).toBe(true);
      noMarker();
    },
  );

  it.each([...attacks, ...serverOnlyAttacks])("the service refuses %s before connecting, even without the schema", async (uri) => {
    const e = await createHost(db, admin, host(uri)).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ name: "ServiceError", code: "BAD_REQUEST", field: "address" });
    noMarker();
  });

  it.each([...attacks, ...serverOnlyAttacks])("the driver and virsh refuse %s without spawning anything", async (uri) => {
    const driver = new LibvirtDriver({ callTimeoutMs: 5_000 });
    await expect(driver.ping({ id: "x", name: "attack", address: uri, hypervisorType: "kvm" })).rejects.toThrow(/attack/);
    await expect(virsh(uri, ["version"])).rejects.toThrow(/Refusing the libvirt URI/);
    noMarker();
  });

  it("a stored host whose address predates the rule is refused by the driver too", async () => {
    // Rows written before this rule existed reach the driver without the schema.
    const driver = new LibvirtDriver({ callTimeoutMs: 5_000 });
    await expect(
      driver.getState({ id: "x", name: "old", address: `qemu+ext:///system?command=${script}`, hypervisorType: "kvm" }, "vm-1"),
    ).rejects.toThrow();
    noMarker();
  });
});
