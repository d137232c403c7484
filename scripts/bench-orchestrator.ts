/**
 * npm run bench:orchestrator -- --hosts 1000 --vms 10000 [--concurrency 32] [--list-rows 100000] [--processes 1]
 *   [--vms-per-network 250] [--skip-pgbench]
 *
 * The deploy is the real one: each VM gets its root volume (on a zone-wide simulator pool), a NIC
 * with an address from IPAM on a /16 network, its security groups, define and start.
 * --processes N: N-1 more worker processes (scripts/orchestrator-worker.ts) share the queue with
 * this one (PostgreSQL only). On PostgreSQL the benchmark counts the statements this process sends
 * and its CPU time per deploy, and, when `pgbench` is installed, runs TPC-B (8 clients) in the same
 * run and prints its rate beside the deploy rate.
 *
 * Deploys --vms VMs through the real deploy service onto --hosts simulator hosts (zero latency),
 * with the job workers of this process running them to Running; then fills the instances table to
 * --list-rows rows (synthetic Stopped VMs, inserted in bulk) and measures the first page of the
 * instance list as the root admin would load it. PGlite by default; a fresh database on the
 * PostgreSQL server at DATABASE_URL when set. Prints a final JSON line.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
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
  storagePools,
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
    processes: { type: "string", default: "1" },
    "vms-per-network": { type: "string", default: "250" },
    "skip-pgbench": { type: "boolean", default: false },
  },
});
const HOSTS = Number(args.hosts);
const VMS = Number(args.vms);
const CONCURRENCY = Number(args.concurrency);
const LIST_ROWS = Math.max(VMS, Number(args["list-rows"]));
const PROCESSES = Math.max(1, Number(args.processes));
const VMS_PER_NETWORK = Math.max(1, Number(args["vms-per-network"]));

/** Statements this process sends to PostgreSQL, by first keyword, while `counting`. */
let counting = false;
const statements = new Map<string, number>();
function countQuery(q: string) {
  if (!counting) return;
  const kw = (/^\s*\(?\s*(\w+)/.exec(q)?.[1] ?? "?").toLowerCase();
  statements.set(kw, (statements.get(kw) ?? 0) + 1);
}

/** More worker processes on the same database; resolves when every one says it is ready. */
async function startWorkerProcesses(url: string, n: number): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const child = spawn(process.execPath, ["--import", "tsx", "scripts/orchestrator-worker.ts"], {
        env: { ...process.env, DATABASE_URL: url, STRATUS_WORKER_OWNER: `bench-${i + 2}`, STRATUS_JOB_CONCURRENCY: args.workers },
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(child);
      return new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (b: Buffer) => {
          if (b.toString().includes("ready ")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`worker process ${i + 2} exited with ${code}`)));
      });
    }),
  );
  return children;
}

/** pgbench TPC-B with 8 clients on a database of its own; null when pgbench is not installed. */
function runPgbench(base: string): number | null {
  try {
    execFileSync("pgbench", ["--version"], { stdio: "ignore" });
  } catch {
    log("pgbench is not installed: skipping the TPC-B comparison");
    return null;
  }
  const name = `stratus_pgbench_${process.pid}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  const admin = new URL(base);
  admin.pathname = "/postgres";
  execFileSync("psql", [admin.toString(), "-qc", `drop database if exists ${name}`], { stdio: "ignore" });
  execFileSync("psql", [admin.toString(), "-qc", `create database ${name}`], { stdio: "ignore" });
  try {
    execFileSync("pgbench", ["-i", "-q", "-s", "8", url.toString()], { stdio: "ignore" });
    const out = execFileSync("pgbench", ["-c", "8", "-j", "2", "-T", "15", "-n", url.toString()]).toString();
    const tps = /tps = ([\d.]+)/.exec(out)?.[1];
    return tps ? Number(tps) : null;
  } finally {
    execFileSync("psql", [admin.toString(), "-qc", `drop database if exists ${name} with (force)`], { stdio: "ignore" });
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};
const round = (x: number) => Math.round(x * 100) / 100;
const log = (m: string) => console.error(`[bench] ${m}`);

async function main() {
  const { h, kind, url, drop } = await openBenchDb({ onQuery: countQuery });
  let children: ChildProcess[] = [];
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
    // Primary storage for every bench host: a zone-wide simulator pool (root volumes are created on it).
    await db.insert(storagePools).values({
      zoneId: zone!.id,
      name: "bench-primary",
      type: "simulator",
      path: "sim://bench-primary",
      capacityGib: 1_000_000_000,
    });
    // The tenant gets unlimited limits (the benchmark measures the orchestrator, not refusals).
    const [tenant] = await db.select().from(users).where(eq(users.username, "tenant"));
    const [acc] = await db.select().from(accounts).where(eq(accounts.id, tenant!.accountId));
    await db.update(resourceCounters).set({ max: null }).where(eq(resourceCounters.accountId, acc!.id));
    const caller = (await resolveCaller(db, tenant!.id, 0))!;
    const [offering] = await db.select().from(computeOfferings).where(eq(computeOfferings.name, "Small"));
    const [template] = await db.select().from(templates).where(eq(templates.name, "Tiny Linux"));
    // Every VM gets a NIC with an address: --vms-per-network VMs per network (250 by default, about a
    // default /24 each, as tenants' networks are), each network a /16 so any count fits.
    const [netOffering] = await db.select().from(networkOfferings).where(eq(networkOfferings.isDefault, true));
    const networkIds: string[] = [];
    for (let i = 0; i * VMS_PER_NETWORK < VMS; i++) {
      const network = await createNetwork(db, caller, {
        name: `bench-${i}`,
        zoneId: zone!.id,
        networkOfferingId: netOffering!.id,
        cidr: `10.${i % 256}.0.0/16`,
      });
      networkIds.push(network.id);
    }
    log(`${kind}: ${HOSTS} hosts ready; deploying ${VMS} VMs with ${CONCURRENCY} in flight`);

    if (PROCESSES > 1) {
      if (!url) throw new Error("--processes needs PostgreSQL (DATABASE_URL)");
      children = await startWorkerProcesses(url, PROCESSES - 1);
      log(`${PROCESSES - 1} more worker processes ready`);
    }
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
    counting = true;
    const cpu0 = process.cpuUsage();
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
          networks: [{ networkId: networkIds[Math.floor(i / VMS_PER_NETWORK)]! }],
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
    const cpu = process.cpuUsage(cpu0);
    counting = false;
    await workers.stop();
    for (const c of children) c.kill("SIGTERM");
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
    const pgbenchTps = kind === "postgres" && !args["skip-pgbench"] ? runPgbench(process.env.DATABASE_URL!) : null;
    const stmtTotal = [...statements.values()].reduce((a, b) => a + b, 0);
    const deploysPerSec = round(VMS / (totalMs / 1000));
    const deploy = await db.execute(
      sql`select (select count(*)::int from simulator_volumes) as root_volumes, (select count(*)::int from nics where ip is not null) as nics`,
    );
    const result = {
      db: kind,
      hosts: HOSTS,
      vms: VMS,
      processes: PROCESSES,
      vmsPerNetwork: VMS_PER_NETWORK,
      rootVolumes: Number(rowsOf<{ root_volumes: number }>(deploy)[0]!.root_volumes),
      nicsWithIp: Number(rowsOf<{ nics: number }>(deploy)[0]!.nics),
      listRows: LIST_ROWS,
      failedJobs: failed,
      deploysPerSec,
      ...(kind === "postgres"
        ? {
            statementsPerDeploy: round(stmtTotal / VMS),
            statementsByKind: Object.fromEntries([...statements].map(([k, v]) => [k, round(v / VMS)])),
            cpuMsPerDeploy: round((cpu.user + cpu.system) / 1000 / VMS),
            pgbenchTps,
            ofPgbench: pgbenchTps ? round(deploysPerSec / pgbenchTps) : null,
          }
        : {}),
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
    for (const c of children) c.kill("SIGTERM");
    await h.close();
    await drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
