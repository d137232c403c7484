/**
 * kill -9 of the worker process that is copying a volume snapshot to the secondary store (a real
 * libvirtd, real files, PostgreSQL shared by the processes): once its lease expires another process
 * takes the job over and finishes it. Afterwards there is one snapshot row, Ready, with one file on
 * the secondary store holding the volume's bytes, no partial file there and no leftover copy on the
 * primary pool, one SNAPSHOT.CREATE, and the `snapshots` counters of the account and its domains
 * equal to the Ready rows.
 *
 * Needs both PostgreSQL (TEST_DB=postgres, TEST_DATABASE_URL) and libvirtd (STRATUS_LIBVIRT_TESTS=1):
 * npm test's "libvirt" suite runs it when TEST_DATABASE_URL is set.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { and, count, eq, inArray, or } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db";
import { jobs, resourceCounters, snapshots, usageEvents } from "@/db/schema";
import { accountOwner, pathIds } from "@/server/core/limits";
import { orchestratorConfig } from "@/server/orchestrator/config";
import { openTestDb } from "@/test/db";
import { type KvmZone, setUpKvmZone } from "@/test/libvirt-cloud";
import { testWorkers, waitFor, waitForJob } from "@/test/orchestrator";
import { killAllWorkers, spawnWorker } from "@/test/processes";

let h: DbHandle & { url?: string };
let kvm: KvmZone | undefined;
const workerEnv = { STRATUS_LEASE_MS: "1500" };

describe.runIf(process.env.STRATUS_LIBVIRT_TESTS === "1")("kill -9 in the middle of a snapshot's copy to secondary storage", () => {
  beforeAll(async () => {
    orchestratorConfig.stopTimeoutMs = 20_000;
    h = await openTestDb();
    // In-process workers set the cloud up, and stop before the snapshot: only worker processes take it.
    const setup = testWorkers(h, "take-crash-setup", 2);
    try {
      kvm = await setUpKvmZone(h, "takecrash");
      const stop = await kvm.tenant.instance.stop({ id: kvm.vmId, force: true });
      expect((await waitForJob(h.db, stop.jobId, 60_000)).status).toBe("succeeded");
    } finally {
      await setup.stop();
    }
    // Enough data that the copy takes a moment to catch it midway (clusters of a 512 MiB pattern).
    execFileSync("qemu-io", ["-f", "qcow2", "-c", "write -P 0x42 0 512M", kvm.topFile()], { stdio: "ignore" });
  }, 300_000);

  afterAll(async () => {
    await killAllWorkers();
    kvm?.cleanUp();
    await h?.close();
  });

  it("another process finishes the snapshot; no orphan rows or files, counters as the rows say", async () => {
    const { tenant, volId, volName, secondary, primary, t } = kvm!;
    const a = await spawnWorker(h.url!, "take-crash-a", workerEnv, 60_000);
    const taken = await tenant.snapshot.take({ volumeId: volId, name: "interrupted" });
    const dir = path.join(secondary, "snapshots", volId);
    const part = path.join(dir, `${taken.id}.qcow2.part`);
    await waitFor(`a partial copy at ${part}`, () => fs.existsSync(part) && fs.statSync(part).size > 0, 120_000, 5);
    await a.kill("SIGKILL");
    const [midway] = await h.db.select().from(jobs).where(eq(jobs.id, taken.jobId));
    expect(midway!.status, a.output()).toBe("running");

    const b = await spawnWorker(h.url!, "take-crash-b", workerEnv, 60_000);
    const job = await waitForJob(h.db, taken.jobId, 180_000);
    expect(job.status, `${job.error}\n${b.output()}`).toBe("succeeded");
    expect(job.attempts).toBeGreaterThan(1);

    // One row, Ready, and its one file on secondary, holding the volume's data.
    const rows = await h.db.select().from(snapshots).where(eq(snapshots.volumeId, volId));
    expect(rows.map((r) => [r.id, r.state, r.full])).toEqual([[taken.id, "ready", true]]);
    const file = rows[0]!.file!;
    expect(fs.readdirSync(dir)).toEqual([path.basename(file)]);
    expect(fs.statSync(file).size).toBe(Number(rows[0]!.sizeBytes));
    const read = spawnSync("qemu-io", ["-r", "-f", "qcow2", "-c", "read -P 0x42 0 512M", file], { encoding: "utf8" });
    expect(read.status).toBe(0);
    expect(read.stdout).not.toMatch(/Pattern verification failed/);
    // On the pool: the volume's base and the overlay of this snapshot, nothing else (no half-made full copy).
    expect(
      fs
        .readdirSync(primary)
        .filter((f) => f.startsWith(`${volName}.`))
        .sort(),
    ).toEqual([`${volName}.qcow2`, `${volName}.s-${taken.id}.qcow2`]);

    const facts = await h.db
      .select()
      .from(usageEvents)
      .where(and(eq(usageEvents.resourceId, taken.id), eq(usageEvents.type, "SNAPSHOT.CREATE")));
    expect(facts).toHaveLength(1);
    // The counters of the account and every domain above it: the Ready snapshots, once.
    const owner = await accountOwner(h.db, t.tenantAccount.id);
    const [{ ready } = { ready: 0 }] = await h.db
      .select({ ready: count() })
      .from(snapshots)
      .where(and(eq(snapshots.accountId, owner.id), eq(snapshots.state, "ready")));
    const counters = await h.db
      .select({ used: resourceCounters.used })
      .from(resourceCounters)
      .where(
        and(
          eq(resourceCounters.resourceType, "snapshots"),
          or(eq(resourceCounters.accountId, owner.id), inArray(resourceCounters.domainId, pathIds(owner.domainPath))),
        ),
      );
    expect(ready).toBe(1);
    expect(counters.map((c) => Number(c.used))).toEqual(Array(1 + pathIds(owner.domainPath).length).fill(1));
  }, 300_000);
});
