import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { resourceCounters, templates, zones } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { testWorkers, usageSequence, waitForJob } from "@/test/orchestrator";
import { addressProblem } from "./address-policy";
import { storeDirectory } from "./store-files";

/**
 * Registering a template or ISO from a URL: a real HTTP server on 127.0.0.1 (allowed by the admin
 * setting) serves real images made with qemu-img; the template.download job fetches them into the
 * simulator zone's secondary store. Attacker URLs end in Error with the reason and no file.
 */
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let server: http.Server;
let base: string;
let port: number;
let zoneId: string;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-tpl-"));
const images = path.join(dataDir, "images");
const saved = { ...process.env };
const MIB = 1024 * 1024;

function qemuImg(...args: string[]) {
  execFileSync("qemu-img", args, { stdio: "ignore" });
}
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

beforeAll(async () => {
  process.env.DATA_DIR = dataDir;
  process.env.STRATUS_TEMPLATE_URL_ALLOW_CIDRS = "127.0.0.1/32";
  process.env.STRATUS_TEMPLATE_MAX_MIB = "4";
  fs.mkdirSync(images);
  qemuImg("create", "-f", "qcow2", path.join(images, "tiny.qcow2"), "64M");
  qemuImg("create", "-f", "qcow2", "-b", "tiny.qcow2", "-F", "qcow2", path.join(images, "backed.qcow2"));
  // A qcow2 whose data lives in another file (here a file of the test; on a victim, /etc/shadow).
  fs.writeFileSync(path.join(images, "secret.raw"), Buffer.alloc(MIB));
  qemuImg("create", "-f", "qcow2", "-o", `data_file=${path.join(images, "secret.raw")}`, path.join(images, "datafile.qcow2"), "1M");
  // A raw disk with a few non-zero sectors (whole 512-byte sectors).
  const raw = Buffer.alloc(2 * MIB);
  raw.write("STRATUS RAW DISK", 4096);
  fs.writeFileSync(path.join(images, "disk.raw"), raw);
  // An ISO 9660 image's signature at sector 16.
  const iso = Buffer.alloc(64 * 1024);
  iso.write("\u0001CD001\u0001", 32768, "latin1");
  fs.writeFileSync(path.join(images, "boot.iso"), iso);

  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const p = url.pathname;
    if (p === "/page.html") return res.end("<!DOCTYPE html><html><body>Not found, but 200</body></html>");
    if (p === "/to-tiny") return res.writeHead(302, { location: "/tiny.qcow2" }).end();
    if (p.startsWith("/hop/")) {
      const n = Number(p.slice(5));
      return res.writeHead(302, { location: n > 0 ? `/hop/${n - 1}` : "/tiny.qcow2" }).end();
    }
    if (p === "/to-other-loopback") return res.writeHead(302, { location: `http://127.0.0.2:${port}/tiny.qcow2` }).end();
    if (p === "/to-metadata") return res.writeHead(307, { location: "http://169.254.169.254/latest/meta-data/" }).end();
    if (p === "/to-file") return res.writeHead(302, { location: "file:///etc/passwd" }).end();
    if (p === "/huge") {
      res.writeHead(200, { "content-length": String(10 * 1024 * MIB) });
      return res.end(); // the client refuses on the header
    }
    if (p === "/endless") {
      // No Content-Length: the body grows past the cap.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(256 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < 64 * MIB) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once("drain", pump);
        }
        res.end();
      };
      res.on("close", () => (sent = Infinity));
      return pump();
    }
    const file = path.join(images, path.basename(p));
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(fs.statSync(file).size) });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  h = await openTestDb();
  t = await seedTenancy(h.db);
  [{ id: zoneId }] = (await h.db.select({ id: zones.id }).from(zones).where(eq(zones.name, "Zone 1"))) as [{ id: string }];
  // Many registrations below: the tenant's template limit (20) is not what these tests are about.
  await h.db
    .update(resourceCounters)
    .set({ max: null })
    .where(and(eq(resourceCounters.accountId, t.tenantAccount.id), eq(resourceCounters.resourceType, "templates")));
  workers = testWorkers(h);
}, 60_000);

afterAll(async () => {
  await workers?.stop();
  await h?.close();
  await new Promise((r) => server?.close(r));
  process.env = saved;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const tenantApi = () => api(h.db, t.callers.tenant);

async function register(url: string, extra: { format?: "qcow2" | "raw" | "iso"; checksum?: string; name?: string } = {}) {
  const { template, jobId } = await tenantApi().template.registerFromUrl({
    name: extra.name ?? `t-${Math.random().toString(36).slice(2, 8)}`,
    osType: "Other Linux (64-bit)",
    zoneId,
    format: extra.format ?? "qcow2",
    url,
    checksum: extra.checksum,
  });
  expect(template.status).toBe("downloading");
  await waitForJob(h.db, jobId);
  const [row] = await h.db.select().from(templates).where(eq(templates.id, template.id));
  return row!;
}

const storeFiles = () => {
  const dir = path.join(storeDirectory({ name: "secondary-1", path: "sim://secondary-1" }), "templates");
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};

async function used(type: "templates" | "secondary_storage_gib") {
  const [r] = await h.db
    .select({ used: resourceCounters.used })
    .from(resourceCounters)
    .where(and(eq(resourceCounters.accountId, t.tenantAccount.id), eq(resourceCounters.resourceType, type)));
  return r!.used;
}

/** Registers an attacker's URL: the template ends in Error with `reason`, and no file of it stays. */
async function refused(url: string, reason: RegExp, extra: Parameters<typeof register>[1] = {}) {
  const row = await register(url, extra);
  expect(row.status).toBe("error");
  expect(row.errorMessage).toMatch(reason);
  expect(storeFiles().filter((f) => f.includes(row.id))).toEqual([]);
  return row;
}

describe("address policy", () => {
  it("refuses what is not public unicast unless the setting allows it", () => {
    for (const ip of ["127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1"])
      expect(addressProblem(ip), ip).toMatch(/private, loopback/);
    for (const ip of ["::1", "fe80::1", "fd00::1", "ff02::1", "::", "::ffff:127.0.0.2", "::ffff:a9fe:a9fe", "64:ff9b::a9fe:a9fe"])
      expect(addressProblem(ip), ip).toMatch(/private, loopback/);
    expect(addressProblem("127.0.0.1")).toBeNull(); // allowed by the test's setting
    expect(addressProblem("93.184.216.34")).toBeNull();
    expect(addressProblem("2a00:1450::1")).toBeNull();
  });
});

describe("template from a URL", () => {
  it("downloads a qcow2 with its checksum to Ready, counting it against templates and secondary storage", async () => {
    const before = { n: await used("templates"), gib: await used("secondary_storage_gib") };
    const row = await register(`${base}/to-tiny`, { checksum: `sha256:${sha256(path.join(images, "tiny.qcow2"))}` });
    expect(row.errorMessage).toBeNull();
    expect(row.status).toBe("ready");
    expect(row.progress).toBe(100);
    expect(row.format).toBe("qcow2");
    expect(row.sizeGib).toBe(1); // 64 MiB virtual, in whole GiB
    expect(fs.existsSync(row.path)).toBe(true);
    expect(storeFiles().filter((f) => f.startsWith("."))).toEqual([]); // no temporary files left
    expect(await used("templates")).toBe(before.n + 1);
    expect(await used("secondary_storage_gib")).toBe(before.gib + 1);
    // The tenant lists it; a tenant of a sibling domain does not see it.
    expect((await tenantApi().template.listImages({ filter: "mine" })).map((x) => x.id)).toContain(row.id);
    expect((await api(h.db, t.callers.globex).template.listImages()).map((x) => x.id)).not.toContain(row.id);
    // Deleting gives both back and removes the file.
    await tenantApi().template.delete({ id: row.id });
    expect(fs.existsSync(row.path)).toBe(false);
    expect(await used("templates")).toBe(before.n);
    expect(await used("secondary_storage_gib")).toBe(before.gib);
  });

  it("converts a raw disk to qcow2, and accepts an ISO", async () => {
    const raw = await register(`${base}/disk.raw`, {
      format: "raw",
      checksum: createHash("md5")
        .update(fs.readFileSync(path.join(images, "disk.raw")))
        .digest("hex"),
    });
    expect(raw.errorMessage).toBeNull();
    expect(raw.format).toBe("qcow2");
    expect(raw.claimedFormat).toBe("raw");
    expect((JSON.parse(execFileSync("qemu-img", ["info", "--output=json", raw.path]).toString()) as { format: string }).format).toBe(
      "qcow2",
    );
    const iso = await register(`${base}/boot.iso`, { format: "iso" });
    expect(iso.status).toBe("ready");
    expect(iso.format).toBe("iso");
    expect((await tenantApi().template.listImages({ kind: "iso" })).map((x) => x.id)).toEqual([iso.id]);
    // ISOs bill as ISO.CREATE / ISO.DELETE (CloudStack's names), from Ready to delete.
    expect(await usageSequence(h.db, iso.id)).toEqual(["ISO.CREATE"]);
  });

  it("follows at most three redirects", async () => {
    expect((await register(`${base}/hop/2`)).status).toBe("ready");
    await refused(`${base}/hop/3`, /More than 3 redirects/);
  });

  it("refuses private, loopback, link-local and non-http targets, on every hop", async () => {
    // A redirect to another loopback address that the setting does not allow.
    await refused(`${base}/to-other-loopback`, /127\.0\.0\.2 is a private, loopback/);
    await refused(`${base}/to-metadata`, /169\.254\.169\.254 is a private, loopback/);
    await refused(`${base}/to-file`, /Only http and https URLs are allowed, not file:/);
    await refused(`http://169.254.169.254/latest/meta-data/`, /169\.254\.169\.254 is a private/);
    await refused(`http://[::1]:${port}/tiny.qcow2`, /::1 is a private, loopback/);
    // 2852039166 is 169.254.169.254 written as one decimal number.
    await refused(`http://2852039166/latest/`, /169\.254\.169\.254 is a private/);
    await refused(`http://0x7f.0.0.2:${port}/tiny.qcow2`, /127\.0\.0\.2 is a private/);
  });

  it("refuses 127.0.0.1 itself when the setting does not allow it", async () => {
    process.env.STRATUS_TEMPLATE_URL_ALLOW_CIDRS = "";
    try {
      await refused(`${base}/tiny.qcow2`, /127\.0\.0\.1 is a private, loopback/);
    } finally {
      process.env.STRATUS_TEMPLATE_URL_ALLOW_CIDRS = "127.0.0.1/32";
    }
  });

  it("refuses a file: URL at the API, naming the field", async () => {
    const e = await tenantApi()
      .template.registerFromUrl({ name: "x", osType: "Linux", zoneId, format: "qcow2", url: "file:///etc/passwd" })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TRPCError);
    expect((e as TRPCError).code).toBe("BAD_REQUEST");
    expect((e as TRPCError).message).toMatch(/^url: URL must start with http/);
  });

  it("refuses images over the size cap, announced or not", async () => {
    await refused(`${base}/huge`, /10\.0 GiB, more than the 4 MiB allowed/);
    await refused(`${base}/endless`, /larger than the 4 MiB allowed/);
  });

  it("refuses a checksum mismatch, a backing file, a web page and a wrong format", async () => {
    await refused(`${base}/tiny.qcow2`, /Checksum mismatch: the sha256 of the image is [0-9a-f]{64}, not 0{64}/, {
      checksum: "0".repeat(64),
    });
    await refused(`${base}/backed.qcow2`, /has a backing file/);
    await refused(`${base}/datafile.qcow2`, /external data file|qemu-img cannot read the image/);
    await refused(`${base}/page.html`, /web page or text, not a disk image/, { format: "raw" });
    await refused(`${base}/disk.raw`, /not a qcow2 image \(qemu-img sees raw\)/);
    await refused(`${base}/tiny.qcow2`, /is a qcow2 image, not iso/, { format: "iso" });
    await refused(`${base}/missing.qcow2`, /answered 404/);
  });

  it("an Error template keeps its count until deleted, and its secondary GiB were never taken", async () => {
    const before = { n: await used("templates"), gib: await used("secondary_storage_gib") };
    const row = await refused(`${base}/backed.qcow2`, /backing file/);
    expect(await used("templates")).toBe(before.n + 1);
    expect(await used("secondary_storage_gib")).toBe(before.gib);
    await tenantApi().template.delete({ id: row.id });
    expect(await used("templates")).toBe(before.n);
    expect(await h.db.select().from(templates).where(eq(templates.id, row.id))).toEqual([]);
  });
});
