import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { and, eq, ne, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { jobs, resourceCounters, templates, templateZoneCopies, zones } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { waitFor, waitForJob } from "@/test/orchestrator";
import { killAllWorkers, spawnWorker } from "@/test/processes";
import { storeDirectory } from "./template-images/store-files";

/**
 * kill -9 of the process copying a template to another zone's secondary store: after its lease
 * expires another process copies again from the start; the copy ends Ready with the same bytes, no
 * partial file is left on either store, and the owner's secondary storage counter equals what the
 * template and copy rows hold.
 */
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;
let server: http.Server;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-copycrash-"));
const image = path.join(dataDir, "image.qcow2");
const saved = { ...process.env };
const workerEnv = {
  DATA_DIR: dataDir,
  STRATUS_TEMPLATE_URL_ALLOW_CIDRS: "127.0.0.1/32",
  STRATUS_TEMPLATE_MAX_MIB: "1024",
  STRATUS_LEASE_MS: "1500",
};

beforeAll(async () => {
  Object.assign(process.env, workerEnv);
  // Big enough that the copy takes a moment to catch midway.
  execFileSync("qemu-img", ["create", "-f", "qcow2", "-o", "preallocation=full", image, "384M"], { stdio: "ignore" });
  server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(fs.statSync(image).size) });
    fs.createReadStream(image).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  h = await openTestDb();
  t = await seedTenancy(h.db);
}, 60_000);
afterAll(async () => {
  await killAllWorkers();
  await h?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  process.env = saved;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it("a copy whose process is killed is taken over and completes, leaving no partial file and counters as the rows say", async () => {
  const a = await spawnWorker(h.url!, "copy-crash-a", workerEnv, 60_000);
  const tenant = api(h.db, t.callers.tenant);
  const admin = api(h.db, t.callers.admin);
  const [zone1] = await h.db.select({ id: zones.id }).from(zones).where(eq(zones.name, "Zone 1"));
  const { template, jobId } = await tenant.template.registerFromUrl({
    name: "big",
    osType: "Linux",
    zoneId: zone1!.id,
    format: "qcow2",
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.qcow2`,
  });
  expect((await waitForJob(h.db, jobId, 120_000)).status, a.output()).toBe("succeeded");
  const zone2 = await admin.zone.create({ name: "Zone 2" });
  await admin.secondaryStore.create({ zoneId: zone2.id, name: "secondary-2", path: "sim://secondary-2", capacityGib: 100 });

  const copy = await tenant.template.copyToZone({ id: template.id, zoneId: zone2.id });
  const dir = path.join(storeDirectory({ name: "secondary-2", path: "sim://secondary-2" }), "templates");
  const partial = path.join(dir, `.${template.id}.copy.part`);
  await waitFor(`a partial copy at ${partial}`, () => fs.existsSync(partial) && fs.statSync(partial).size > 0, 60_000, 2);
  await a.kill("SIGKILL");
  const [midway] = await h.db.select().from(jobs).where(eq(jobs.id, copy.jobId));
  expect(midway!.status).toBe("running");

  const b = await spawnWorker(h.url!, "copy-crash-b", workerEnv, 60_000);
  const job = await waitForJob(h.db, copy.jobId, 120_000);
  expect(job.status, `${job.error}\n${b.output()}`).toBe("succeeded");
  expect(job.attempts).toBeGreaterThan(1);

  const [row] = await h.db.select().from(templateZoneCopies).where(eq(templateZoneCopies.id, copy.id));
  const [tpl] = await h.db.select().from(templates).where(eq(templates.id, template.id));
  expect([row!.status, row!.progress, row!.storedBytes]).toEqual(["ready", 100, fs.statSync(tpl!.path).size]);
  expect(fs.readdirSync(dir)).toEqual([`${template.id}.qcow2`]);
  expect(fs.readFileSync(row!.path).equals(fs.readFileSync(tpl!.path))).toBe(true);
  const sourceDir = path.dirname(tpl!.path);
  expect(fs.readdirSync(sourceDir).filter((f) => f.startsWith("."))).toEqual([]);
  // One copy row, and the owner's counter is the template's GiB plus the copy's, nothing more.
  expect(await h.db.select({ id: templateZoneCopies.id }).from(templateZoneCopies)).toEqual([{ id: copy.id }]);
  const [{ gib } = { gib: 0 }] = await h.db
    .select({
      gib: sql<number>`(select coalesce(sum(stored_gib), 0) from templates where account_id = ${t.tenantAccount.id} and state = 'active')
        + (select coalesce(sum(c.stored_gib), 0) from template_zone_copies c join templates x on x.id = c.template_id where x.account_id = ${t.tenantAccount.id} and c.status <> 'error')`.mapWith(
        Number,
      ),
    })
    .from(sql`(select 1) as one`);
  const [counter] = await h.db
    .select()
    .from(resourceCounters)
    .where(and(eq(resourceCounters.accountId, t.tenantAccount.id), eq(resourceCounters.resourceType, "secondary_storage_gib")));
  expect(gib).toBe(2 * tpl!.storedGib);
  expect(counter!.used).toBe(gib);
  expect(
    await h.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.resourceId, copy.id), ne(jobs.status, "succeeded"))),
  ).toEqual([]);
}, 240_000);
