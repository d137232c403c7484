/**
 * npm run bench:orchestrator -- --hosts 1000 --vms 10000 [--concurrency 32] [--list-rows 100000]
 *
 * Deploys --vms VMs through the real deploy service onto --hosts simulator hosts (zero latency),
 * with the job workers of this process running them to Running; then fills the instances table to
 * --list-rows rows (synthetic Stopped VMs, inserted in bulk) and measures the first page of the
 * instance list as the root admin would load it. PGlite by default; a fresh database on the
 * PostgreSQL server at DATABASE_URL when set. Prints a final JSON line.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { eq, sql } from "drizzle-orm";
import { openBenchDb } from "./bench-db";
import {
  accounts,
  clusters,
  computeOfferings,
  hosts,
  jobs,
  networkOfferings,
  pods,
  resourceCounters,
  templates,
  zones,
} from "../db/schema";
import { seed } from "../db/seed";
import { rowsOf } from "../db/rows";
import { resolveCaller } from "../server/auth/session";
import { registerOrchestrator } from "../server/orchestrator";
import { JOB_CHANNEL } from "../server/orchestrator/jobs/queue";
import { startWorkers } from "../server/orchestrator/jobs/runner";
import { createCaller } from "../server/api/root";
import { deployInstances } from "../server/services/instances/operations";
import { createNetwork } from "../server/services/networks/operations";
import { users } from "../db/schema";

const { values: args } = parseArgs({
  options: {
    hosts: { type: "string", default: "1000" },
    vms: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "32" },
    workers: { type: "string", default: "16" },
    "list-rows": { type: "string", default: "100000" },
  },
});
const HOSTS = Number(args.hosts);
const VMS = Number(args.vms);
const CONCURRENCY = Number(args.concurrency);
const LIST_ROWS = Math.max(VMS, Number(args["list-rows"]));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};
const round = (x: number) => Math.round(x * 100) / 100;
const log = (m: string) => console.error(`[bench] ${m}`);

async function main() {
  const { h, kind, drop } = await openBenchDb();
  try {
    await h.migrate();
    await seed(h.db, { demo: true });
    const db = h.db;
    // A zone of HOSTS hosts in clusters of 50, each host 64 cores and 256 GiB.
    const [zone] = await db.select().from(zones).where(eq(zones.name, "Zone 1"));
    const [pod] = await db.select().from(pods);
    await db.delete(hosts).where(sql`true`); // the demo seed's hosts: the whole table is meant, the bench adds its own
    for (let c = 0; c * 50 < HOSTS; c++) {
      const [cluster] = await db
        .insert(clusters)
        .values({
          zoneId: zone!.id,
          podId: pod!.id,
          name: `bench-cluster-${c}`,
          hypervisorType: "simulator",
          cpuOvercommit: 4,
          memoryOvercommit: 1.5,
        })
        .returning();
      const n = Math.min(50, HOSTS - c * 50);
      await db.insert(hosts).values(
        Array.from({ length: n }, (_, i) => ({
          zoneId: zone!.id,
          podId: pod!.id,
          clusterId: cluster!.id,
          name: `bench-host-${String(c * 50 + i).padStart(5, "0")}`,
          hypervisorType: "simulator" as const,
          address: `sim://bench-${c * 50 + i}`,
          cpuCores: 64,
          cpuMhz: 2400,
          memoryMib: 262144,
        })),
      );
    }
    // The tenant gets unlimited limits (the benchmark measures the orchestrator, not refusals).
    const [tenant] = await db.select().from(users).where(eq(users.username, "tenant"));
    const [acc] = await db.select().from(accounts).where(eq(accounts.id, tenant!.accountId));
    await db.update(resourceCounters).set({ max: null }).where(eq(resourceCounters.accountId, acc!.id));
    const caller = (await resolveCaller(db, tenant!.id, 0))!;
    const [offering] = await db.select().from(computeOfferings).where(eq(computeOfferings.name, "Small"));
    const [template] = await db.select().from(templates).where(eq(templates.name, "Tiny Linux"));
    // Every VM gets a NIC: on a /16, since a default /24 network holds 253 of them.
    const [netOffering] = await db.select().from(networkOfferings).where(eq(networkOfferings.isDefault, true));
    const network = await createNetwork(db, caller, {
      name: "bench",
      zoneId: zone!.id,
      networkOfferingId: netOffering!.id,
      cidr: "10.0.0.0/16",
    });
    log(`${kind}: ${HOSTS} hosts ready; deploying ${VMS} VMs with ${CONCURRENCY} in flight`);

    registerOrchestrator(h);
    const workers = startWorkers({
      db,
      owner: "bench",
      concurrency: Number(args.workers),
      pollMs: 200,
      log: () => {},
      listen: (cb) => h.listen(JOB_CHANNEL, cb),
    });

    const apiMs: number[] = [];
    const doneAt: number[] = [];
    let next = 0;
    const t0 = performance.now();
    async function client() {
      while (next < VMS) {
        const i = next++;
        const s = performance.now();
        await deployInstances(db, caller, {
          zoneId: zone!.id,
          templateId: template!.id,
          computeOfferingId: offering!.id,
          name: `vm-${i}`,
          count: 1,
          networks: [{ networkId: network.id }],
        });
        const e = performance.now();
        apiMs[i] = e - s;
        doneAt[i] = e - t0;
        if (i % 1000 === 999) log(`${i + 1} deploy calls, ${Math.round(((i + 1) / (e - t0)) * 1000)}/s`);
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    // Wait for every job to finish.
    for (;;) {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(jobs)
        .where(sql`${jobs.status} in ('queued', 'running')`);
      if (Number(row!.n) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const totalMs = performance.now() - t0;
    await workers.stop();
    const jobRows = await db.execute(
      sql`select extract(epoch from (finished_at - created_at)) * 1000 as ms, status from jobs where type = 'vm.deploy'`,
    );
    const jobList = rowsOf<{ ms: number; status: string }>(jobRows);
    const failed = jobList.filter((j) => j.status !== "succeeded").length;
    const jobMs = jobList.map((j) => Number(j.ms));
    // Per-deploy cost early vs late: wall time per deploy over the first and the last 1000.
    const window = Math.min(1000, Math.floor(VMS / 2));
    const perDeployAt1k = (doneAt[window - 1]! - 0) / window;
    const perDeployAtEnd = (doneAt[VMS - 1]! - doneAt[VMS - 1 - window]!) / window;

    // Fill the table to LIST_ROWS with synthetic stopped VMs, then time the first page.
    const filler = LIST_ROWS - VMS;
    if (filler > 0) {
      log(`inserting ${filler} synthetic instances for the list measurement`);
      await db.execute(sql`
        insert into instances (name, account_id, domain_id, domain_path, zone_id, compute_offering_id, template_id, state, cpu_cores, cpu_mhz, memory_mib, created_at)
        select 'filler-' || g, a.id, a.domain_id, d.path, ${zone!.id}, ${offering!.id}, ${template!.id}, 'stopped', 1, 1000, 1024, now() - g * interval '1 second'
        from generate_series(1, ${filler}) g, accounts a join domains d on d.id = a.domain_id where a.id = ${acc!.id}`);
      await db.execute(sql`analyze instances`);
    }
    const [adminUser] = await db.select().from(users).where(eq(users.username, "admin"));
    const adminApi = createCaller({ db, caller: (await resolveCaller(db, adminUser!.id, 0))! });
    const tenantApi = createCaller({ db, caller });
    const listMs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      await (i % 2 ? tenantApi : adminApi).instance.list({ page: 1, pageSize: 20 });
      listMs.push(performance.now() - s);
    }
    const result = {
      db: kind,
      hosts: HOSTS,
      vms: VMS,
      listRows: LIST_ROWS,
      failedJobs: failed,
      deploysPerSec: round(VMS / (totalMs / 1000)),
      apiP50Ms: round(pct(apiMs, 50)),
      jobP50Ms: round(pct(jobMs, 50)),
      jobP99Ms: round(pct(jobMs, 99)),
      listP99Ms: round(pct(listMs, 99)),
      perDeployMsAt1k: round(perDeployAt1k),
      perDeployMsAtEnd: round(perDeployAtEnd),
      rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    };
    console.log(JSON.stringify(result));
  } finally {
    await h.close();
    await drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
