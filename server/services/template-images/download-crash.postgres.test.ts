import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { templates, zones } from "@/db/schema";
import { openTestDb } from "@/test/db";
import { api, seedTenancy } from "@/test/fixtures";
import { waitForJob } from "@/test/orchestrator";
import { killAllWorkers, spawnWorker } from "@/test/processes";
import { storeDirectory } from "./store-files";

/**
 * kill -9 of the process downloading a template: after its lease expires another process takes
 * the job over and downloads again from the start; the template ends Ready with the right bytes
 * and no temporary file is left on the store.
 */
let h: DbHandle & { url?: string };
let t: Awaited<ReturnType<typeof seedTenancy>>;
let server: http.Server;
let requests = 0;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-crash-"));
const image = path.join(dataDir, "image.qcow2");
const saved = { ...process.env };
const workerEnv = { DATA_DIR: dataDir, STRATUS_TEMPLATE_URL_ALLOW_CIDRS: "127.0.0.1/32", STRATUS_LEASE_MS: "1500" };

beforeAll(async () => {
  Object.assign(process.env, workerEnv);
  execFileSync("qemu-img", ["create", "-f", "qcow2", "-o", "preallocation=full", image, "8M"], { stdio: "ignore" });
  const bytes = fs.readFileSync(image);
  server = http.createServer((_req, res) => {
    // The first download drips slowly (the process is killed during it); later ones are quick.
    const slow = ++requests === 1;
    res.writeHead(200, { "content-length": String(bytes.length) });
    let at = 0;
    const step = () => {
      if (res.destroyed) return;
      const next = Math.min(bytes.length, at + (slow ? 64 * 1024 : bytes.length));
      res.write(bytes.subarray(at, next));
      at = next;
      if (at >= bytes.length) return void res.end();
      setTimeout(step, 100);
    };
    step();
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

it("a download whose process is killed is taken over and completes, leaving no temporary file", async () => {
  const a = await spawnWorker(h.url!, "crash-a", workerEnv);
  const [zone] = await h.db.select({ id: zones.id }).from(zones).where(eq(zones.name, "Zone 1"));
  const { template, jobId } = await api(h.db, t.callers.tenant).template.registerFromUrl({
    name: "survives-kill",
    osType: "Linux",
    zoneId: zone!.id,
    format: "qcow2",
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.qcow2`,
  });
  const dir = path.join(storeDirectory({ name: "secondary-1", path: "sim://secondary-1" }), "templates");
  const partial = path.join(dir, `.${template.id}.part`);
  const until = Date.now() + 30_000;
  while (!(fs.existsSync(partial) && fs.statSync(partial).size > 0)) {
    if (Date.now() > until) throw new Error(`no partial download:\n${a.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await a.kill("SIGKILL");
  const b = await spawnWorker(h.url!, "crash-b", workerEnv);
  const job = await waitForJob(h.db, jobId, 60_000);
  expect(job.status, b.output()).toBe("succeeded");
  const [row] = await h.db.select().from(templates).where(eq(templates.id, template.id));
  expect(row!.status).toBe("ready");
  expect(fs.readFileSync(row!.path).equals(fs.readFileSync(image))).toBe(true);
  expect(fs.readdirSync(dir).filter((f) => f.startsWith("."))).toEqual([]);
  expect(requests).toBe(2);
}, 120_000);
