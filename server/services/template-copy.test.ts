import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { resourceCounters, templates, templateZoneCopies, zones } from "@/db/schema";
import { openTestDb, testDbKind } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { testWorkers, waitForJob } from "@/test/orchestrator";
import { accountOwner } from "@/server/core/limits";
import { templatePathInZone } from "@/server/orchestrator/template-path";
import { usableTemplate } from "./instances/access";
import { storeDirectory } from "./template-images/store-files";

/**
 * Copying a template to another zone's secondary store (template.copyToZone): a job with progress
 * writes the same bytes on the other zone's store and the template becomes usable there; the copy's
 * GiB count against the owner's secondary storage limit from the request and come back with the
 * template; only its owner or an administrator above it may copy it; a failed copy leaves no file
 * and gives its GiB back.
 */
let h: DbHandle;
let t: Awaited<ReturnType<typeof seedTenancy>>;
let workers: ReturnType<typeof testWorkers>;
let server: http.Server;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-tplcopy-"));
const image = path.join(dataDir, "image.qcow2");
const saved = { ...process.env };
let zone1: string;

const tenant = () => api(h.db, t.callers.tenant);
const admin = () => api(h.db, t.callers.admin);
const secondaryUsed = async () =>
  (
    await h.db
      .select()
      .from(resourceCounters)
      .where(and(eq(resourceCounters.accountId, t.tenantAccount.id), eq(resourceCounters.resourceType, "secondary_storage_gib")))
  )[0]!.used;
const error = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
};
async function zoneWithStore(name: string, store: string | null) {
  const z = await admin().zone.create({ name });
  if (store) await admin().secondaryStore.create({ zoneId: z.id, name: store, path: `sim://${store}`, capacityGib: 100 });
  return z.id;
}
const storeFile = (store: string, file: string) => path.join(storeDirectory({ name: store, path: `sim://${store}` }), "templates", file);

beforeAll(async () => {
  process.env.DATA_DIR = dataDir;
  process.env.STRATUS_TEMPLATE_URL_ALLOW_CIDRS = "127.0.0.1/32";
  execFileSync("qemu-img", ["create", "-f", "qcow2", image, "64M"], { stdio: "ignore" });
  execFileSync("qemu-io", ["-f", "qcow2", "-c", "write -P 0x5a 0 3M", image], { stdio: "ignore" });
  server = http.createServer((_req, res) => res.end(fs.readFileSync(image)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  h = await openTestDb();
  t = await seedTenancy(h.db);
  workers = testWorkers(h);
  zone1 = (await h.db.select().from(zones).where(eq(zones.name, "Zone 1")))[0]!.id;
});
afterAll(async () => {
  await workers.stop();
  await h.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  process.env = saved;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe(`copying a template to another zone (${testDbKind()})`, () => {
  it("copies the image with progress, makes it usable there, counts its GiB and gives them back with the template", async () => {
    const { template, jobId } = await tenant().template.registerFromUrl({
      name: "copied",
      osType: "Linux",
      zoneId: zone1,
      format: "qcow2",
      isPublic: false,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.qcow2`,
    });
    expect((await waitForJob(h.db, jobId)).status).toBe("succeeded");
    const original = await tenant().template.get({ id: template.id });
    const before = await secondaryUsed();
    const zone2 = await zoneWithStore("Zone 2", "secondary-2");
    const bare = await zoneWithStore("Zone bare", null);
    const owner = await accountOwner(h.db, t.tenantAccount.id);

    // Not in zone 2 yet: not listed there, not deployable there.
    expect((await tenant().template.list({ zoneId: zone2 })).map((x) => x.id)).not.toContain(template.id);
    await expect(usableTemplate(h.db, owner, template.id, zone2)).rejects.toThrow(/not available in this zone; copy it there first/);

    // Refusals, naming the reason: a zone without a store, the template's own zone, another tenant.
    const noStore = await error(tenant().template.copyToZone({ id: template.id, zoneId: bare }));
    expect([noStore.code, noStore.message]).toEqual([
      "PRECONDITION_FAILED",
      "Zone Zone bare has no secondary store; ask an administrator to add one",
    ]);
    expect((await error(tenant().template.copyToZone({ id: template.id, zoneId: zone1 }))).message).toMatch(/lives in that zone already/);
    expect((await error(api(h.db, t.callers.tenant2).template.copyToZone({ id: template.id, zoneId: zone2 }))).code).toBe("NOT_FOUND");
    expect((await error(api(h.db, t.callers.tenant2).template.copies({ id: template.id }))).code).toBe("NOT_FOUND");
    // A public template the caller may use but does not own: seen, so refused as not its to copy.
    const [seeded] = await h.db.select().from(templates).where(eq(templates.name, "Tiny Linux"));
    const notOwner = await error(tenant().template.copyToZone({ id: seeded!.id, zoneId: zone2 }));
    expect([notOwner.code, notOwner.message]).toEqual([
      "FORBIDDEN",
      "Only the owner of Tiny Linux or an administrator above it can copy it to another zone",
    ]);
    expect(await h.db.select().from(templateZoneCopies)).toEqual([]);

    const copy = await tenant().template.copyToZone({ id: template.id, zoneId: zone2 });
    // Counted at the request, and one copy per zone at a time.
    expect(await secondaryUsed()).toBe(before + original.storedGib);
    const again = await error(tenant().template.copyToZone({ id: template.id, zoneId: zone2 }));
    expect(again.code).toBe("CONFLICT");
    const job = await waitForJob(h.db, copy.jobId);
    expect(job.status, job.error ?? "").toBe("succeeded");
    expect([job.type, job.progress]).toEqual(["template.copy", 100]);

    const copied = storeFile("secondary-2", `${template.id}.qcow2`);
    expect(fs.readFileSync(copied).equals(fs.readFileSync(storeFile("secondary-1", `${template.id}.qcow2`)))).toBe(true);
    expect(fs.readdirSync(path.dirname(copied))).toEqual([path.basename(copied)]);
    expect(await tenant().template.copies({ id: template.id })).toEqual([
      { id: copy.id, zoneId: zone2, zoneName: "Zone 2", status: "ready", progress: 100, errorMessage: null },
    ]);
    expect((await tenant().template.list({ zoneId: zone2 })).map((x) => x.id)).toContain(template.id);
    expect((await usableTemplate(h.db, owner, template.id, zone2)).id).toBe(template.id);
    const offered = (await tenant().instance.deployChoices()).templates.find((x) => x.id === template.id);
    expect([offered!.zoneId, offered!.copyZoneIds]).toEqual([zone1, [zone2]]);
    // A VM (or ISO drive) in zone 2 is defined from the copy there; in zone 1 from the original.
    const [tpl] = await h.db.select().from(templates).where(eq(templates.id, template.id));
    expect(await templatePathInZone(h.db, tpl!, zone2)).toBe(copied);
    expect(await templatePathInZone(h.db, tpl!, zone1)).toBe(tpl!.path);
    const [row] = (await tenant().template.listImages({ kind: "template", filter: "mine" })).filter((x) => x.id === template.id);
    expect(row!.copies).toEqual([{ zoneId: zone2, zoneName: "Zone 2", status: "ready", progress: 100, errorMessage: null }]);
    expect((await error(tenant().template.copyToZone({ id: template.id, zoneId: zone2 }))).message).toMatch(/is in zone Zone 2 already/);

    // The root admin may copy a tenant's template too; it counts on the owner's account.
    const zone3 = await zoneWithStore("Zone 3", "secondary-3");
    expect((await waitForJob(h.db, (await admin().template.copyToZone({ id: template.id, zoneId: zone3 })).jobId)).status).toBe(
      "succeeded",
    );
    expect(await secondaryUsed()).toBe(before + 2 * original.storedGib);

    // Deleting the template removes its copies and gives every GiB back.
    await tenant().template.delete({ id: template.id });
    expect(await secondaryUsed()).toBe(before - original.storedGib);
    expect(fs.existsSync(copied)).toBe(false);
    expect(fs.existsSync(storeFile("secondary-3", `${template.id}.qcow2`))).toBe(false);
    expect(await h.db.select().from(templateZoneCopies)).toEqual([]);
  });

  it("a copy that fails leaves no file, says why, gives its GiB back, and can be asked again", async () => {
    const { template, jobId } = await tenant().template.registerFromUrl({
      name: "unlucky",
      osType: "Linux",
      zoneId: zone1,
      format: "qcow2",
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.qcow2`,
    });
    expect((await waitForJob(h.db, jobId)).status).toBe("succeeded");
    const before = await secondaryUsed();
    const broken = await zoneWithStore("Zone broken", "broken");
    // Where the copy's directory should be, a file: the copy cannot be written.
    const dir = path.dirname(storeFile("broken", "x"));
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.writeFileSync(dir, "not a directory");
    const copy = await tenant().template.copyToZone({ id: template.id, zoneId: broken });
    const job = await waitForJob(h.db, copy.jobId);
    expect(job.status).toBe("failed");
    const [failed] = await tenant().template.copies({ id: template.id });
    expect([failed!.status, failed!.errorMessage]).toEqual(["error", expect.stringMatching(/EEXIST|ENOTDIR/)]);
    expect(await secondaryUsed()).toBe(before);
    expect((await tenant().template.list({ zoneId: broken })).map((x) => x.id)).not.toContain(template.id);

    fs.rmSync(dir);
    const retry = await tenant().template.copyToZone({ id: template.id, zoneId: broken });
    expect((await waitForJob(h.db, retry.jobId)).status).toBe("succeeded");
    expect((await tenant().template.copies({ id: template.id })).map((c) => c.status)).toEqual(["ready"]);
    expect(fs.readdirSync(dir)).toEqual([`${template.id}.qcow2`]);
  });
});
