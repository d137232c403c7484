/**
 * npm run bench:scale -- --hosts 100000 --vms 1000000 [--deploys 500] [--workers 16] [--clients 32]
 *
 * A full cloud on PostgreSQL (a fresh database on the server at DATABASE_URL, dropped afterwards;
 * BENCH_KEEP_DB=1 keeps it): --hosts simulator hosts in clusters of 50 and --vms running VMs
 * spread over them (1 % owned by the demo tenant, the rest by another account), each with its
 * simulator twin, loaded by set-based multi-row INSERT … SELECT in chunks (the rows are generated
 * by the server, nothing of that size passes through Node). Then, in this one process:
 *   reconcileCycleS  one reconciler cycle over every host (one listing call per host);
 *   planP99Ms        the planner ranking and reserving a host for a Small VM (rolled back);
 *   listP99Ms        first page of instance.list, as root admin and as the tenant (also split);
 *   capacityMs       capacity.summary as root admin (median of 5);
 *   dashboardMs      the admin dashboard's queries (limit.mine, domain.tree, account.list, user.list);
 *   deploysPerSec    --deploys VMs deployed into the full cloud through the deploy service, with
 *                    --workers job workers in this process, until the last job has finished;
 *   rssMiB           the peak RSS of this process.
 * Prints a final JSON line.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { and, eq, sql } from "drizzle-orm";
import { openBenchDb } from "./bench-db";
import { accounts, computeOfferings, jobs, networkOfferings, pods, resourceCounters, templates, users, zones } from "../db/schema";
import { seed } from "../db/seed";
import { resolveCaller } from "../server/auth/session";
import { registerOrchestrator } from "../server/orchestrator";
import { JOB_CHANNEL } from "../server/orchestrator/jobs/queue";
import { startWorkers } from "../server/orchestrator/jobs/runner";
import { planAndReserve } from "../server/orchestrator/planner/planner";
import { reconcileAll } from "../server/orchestrator/sync/reconciler";
import { createCaller } from "../server/api/root";
import { ServiceError } from "../server/core/errors";
import { deployInstances } from "../server/services/instances/operations";
import { createNetwork } from "../server/services/networks/operations";

const { values: args } = parseArgs({
  options: {
    hosts: { type: "string", default: "1000" },
    vms: { type: "string", default: "10000" },
    deploys: { type: "string", default: "500" },
    workers: { type: "string", default: "16" },
    clients: { type: "string", default: "32" },
  },
});
const HOSTS = Number(args.hosts);
const VMS = Number(args.vms);
const DEPLOYS = Number(args.deploys);
const CHUNK = 100_000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};
const round = (x: number) => Math.round(x * 100) / 100;
const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);
let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const s = performance.now();
  const r = await fn();
  return [r, performance.now() - s];
}

class Rollback extends Error {}
/** An integer literal in generated SQL (parameters would be untyped there). */
const int = (x: number) => sql.raw(String(Math.trunc(x)));

async function main() {
  if (!process.env.DATABASE_URL)
    throw new Error("bench:scale runs on PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
  const rssTimer = setInterval(sampleRss, 200);
  const { h, kind, drop } = await openBenchDb();
  try {
    await h.migrate();
    await seed(h.db, { demo: true });
    const db = h.db;
    const [zone] = await db.select().from(zones).where(eq(zones.name, "Zone 1"));
    const [pod] = await db.select().from(pods);
    const [offering] = await db.select().from(computeOfferings).where(eq(computeOfferings.name, "Small"));
    const [template] = await db.select().from(templates).where(eq(templates.name, "Tiny Linux"));
    const [tenantUser] = await db.select().from(users).where(eq(users.username, "tenant"));
    const [globexUser] = await db.select().from(users).where(eq(users.username, "globex"));
    const [adminUser] = await db.select().from(users).where(eq(users.username, "admin"));
    const [tenantAcc] = await db.select().from(accounts).where(eq(accounts.id, tenantUser!.accountId));
    const [globexAcc] = await db.select().from(accounts).where(eq(accounts.id, globexUser!.accountId));
    const cpu = offering!.cpuCores * offering!.cpuMhz;
    const mem = offering!.memoryMib;

    // ---- Load: clusters of 50 hosts, VMs round-robin over the hosts, all set-based. ----
    const tLoad = performance.now();
    await db.execute(sql`delete from hosts`); // the demo seed's four hosts: the bench brings its own
    const nClusters = Math.ceil(HOSTS / 50);
    await db.execute(sql`
      insert into clusters (zone_id, pod_id, name, hypervisor_type, cpu_overcommit, memory_overcommit)
      select ${zone!.id}::uuid, ${pod!.id}::uuid, 'bench-cluster-' || lpad(c::text, 5, '0'), 'simulator', 4, 1.5
      from generate_series(0, ${int(nClusters - 1)}) c`);
    const perHost = Math.ceil(VMS / HOSTS);
    for (let from = 0; from < HOSTS; from += CHUNK) {
      const to = Math.min(HOSTS, from + CHUNK) - 1;
      // A host's share of the VMs: host k runs VMs k, k + HOSTS, k + 2·HOSTS, …
      await db.execute(sql`
        insert into hosts (zone_id, pod_id, cluster_id, name, hypervisor_type, address, cpu_cores, cpu_mhz, memory_mib,
                           cpu_used_mhz, memory_used_mib, last_seen_at)
        select ${zone!.id}::uuid, ${pod!.id}::uuid, c.id, 'bench-host-' || lpad(k::text, 6, '0'), 'simulator', 'sim://bench-' || k, 64, 2400, 262144,
               n * ${int(cpu)}, n * ${int(mem)}, now()
        from generate_series(${int(from)}, ${int(to)}) k
        cross join lateral (select ((${int(VMS)} - 1 - k) / ${int(HOSTS)} + 1) * (k < ${int(VMS)})::int as n) cnt
        join clusters c on c.name = 'bench-cluster-' || lpad((k / 50)::text, 5, '0')`);
    }
    await db.execute(sql`create temporary table bench_hosts as select row_number() over (order by name) - 1 as k, id from hosts`);
    await db.execute(sql`create index on bench_hosts (k)`);
    log(`${HOSTS} hosts in ${nClusters} clusters loaded (${perHost} VMs per host)`);
    for (let from = 0; from < VMS; from += CHUNK) {
      const to = Math.min(VMS, from + CHUNK) - 1;
      await db.execute(sql`
        insert into instances (name, account_id, domain_id, domain_path, zone_id, host_id, last_host_id, compute_offering_id, template_id,
                               state, cpu_cores, cpu_mhz, memory_mib, capacity_reserved, state_changed_at, created_at)
        select 'vm-' || g, a.id, a.domain_id, d.path, ${zone!.id}::uuid, bh.id, bh.id, ${offering!.id}::uuid, ${template!.id}::uuid,
               'running', ${int(offering!.cpuCores)}, ${int(offering!.cpuMhz)}, ${int(mem)}, true, now() - interval '1 hour', now() - g * interval '1 second'
        from generate_series(${int(from)}, ${int(to)}) g
        join bench_hosts bh on bh.k = g % ${int(HOSTS)}
        join accounts a on a.id = case when g % 100 = 0 then ${tenantAcc!.id}::uuid else ${globexAcc!.id}::uuid end
        join domains d on d.id = a.domain_id`);
      await db.execute(sql`
        insert into simulator_vms (host_id, name, state, cpu_cores, memory_mib, started_at)
        select host_id, 'i-' || number, 'running', cpu_cores, memory_mib, now() - interval '1 hour'
        from instances where name like 'vm-%' and number > (select coalesce(max(number), 0) from instances) - ${int(to - from + 1)}`);
      log(`${to + 1} VMs loaded`);
      sampleRss();
    }
    await db.execute(sql`analyze`);
    const loadS = (performance.now() - tLoad) / 1000;
    log(`loaded in ${round(loadS)} s`);

    registerOrchestrator(h);
    // ---- Reconcile: one cycle over every host. ----
    const [reports, reconcileMs] = await timed(() => reconcileAll(db, { reportedUnknown: new Set() }));
    const changed = reports.reduce((n, r) => n + r.changed.length, 0);
    const unknown = reports.reduce((n, r) => n + r.unknownVms.length, 0);
    log(`reconcile cycle: ${round(reconcileMs / 1000)} s over ${reports.length} hosts (${changed} changes, ${unknown} unknown VMs)`);
    sampleRss();

    // ---- Planner: rank and reserve for a Small VM into the full cloud, rolled back. ----
    const planMs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      await db
        .transaction(async (tx) => {
          await planAndReserve(tx, {
            zoneId: zone!.id,
            accountId: tenantAcc!.id,
            cpuCores: offering!.cpuCores,
            cpuMhz: offering!.cpuMhz,
            memoryMib: mem,
            hostTags: [],
            hypervisorType: "simulator",
          });
          throw new Rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof Rollback)) throw e;
        });
      planMs.push(performance.now() - s);
    }
    log(`plan p50 ${round(pct(planMs, 50))} ms, p99 ${round(pct(planMs, 99))} ms`);

    // ---- The pages: first page of the instance list, capacity, dashboard. ----
    const admin = (await resolveCaller(db, adminUser!.id, 0))!;
    const tenant = (await resolveCaller(db, tenantUser!.id, 0))!;
    const adminApi = createCaller({ db, caller: admin });
    const tenantApi = createCaller({ db, caller: tenant });
    const listAdmin: number[] = [];
    const listTenant: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      await (i % 2 ? tenantApi : adminApi).instance.list({ page: 1, pageSize: 20 });
      (i % 2 ? listTenant : listAdmin).push(performance.now() - s);
    }
    const capacityRuns: number[] = [];
    for (let i = 0; i < 5; i++) capacityRuns.push((await timed(() => adminApi.capacity.summary()))[1]);
    const dashboardRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [, ms] = await timed(() =>
        Promise.all([
          adminApi.limit.mine(),
          adminApi.domain.tree(),
          adminApi.account.list({ pageSize: 1 }),
          adminApi.user.list({ pageSize: 1 }),
        ]),
      );
      dashboardRuns.push(ms);
    }
    log(
      `list p99 admin ${round(pct(listAdmin, 99))} ms, tenant ${round(pct(listTenant, 99))} ms; capacity ${round(pct(capacityRuns, 50))} ms; dashboard ${round(pct(dashboardRuns, 50))} ms`,
    );
    sampleRss();

    // ---- Deploys into the full cloud. ----
    await db.update(resourceCounters).set({ max: null }).where(eq(resourceCounters.accountId, tenantAcc!.id));
    const [netOffering] = await db.select().from(networkOfferings).where(eq(networkOfferings.isDefault, true));
    const network = await createNetwork(db, tenant, {
      name: "bench",
      zoneId: zone!.id,
      networkOfferingId: netOffering!.id,
      cidr: "10.0.0.0/16",
    });
    const workers = startWorkers({
      db,
      owner: "bench",
      concurrency: Number(args.workers),
      pollMs: 200,
      log: () => {},
      listen: (cb) => h.listen(JOB_CHANNEL, cb),
    });
    let next = 0;
    let retries = 0;
    const t0 = performance.now();
    const client = async () => {
      while (next < DEPLOYS) {
        const i = next++;
        // The network's address allocation refuses when too many deploys race for it ("try again"): as a client would, retry.
        for (let attempt = 0; ; attempt++) {
          try {
            await deployInstances(db, tenant, {
              zoneId: zone!.id,
              templateId: template!.id,
              computeOfferingId: offering!.id,
              name: `new-${i}`,
              count: 1,
              networks: [{ networkId: network.id }],
            });
            break;
          } catch (e) {
            if (attempt >= 20 || !(e instanceof ServiceError) || e.code !== "CONFLICT") throw e;
            retries++;
            await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Number(args.clients) }, client));
    for (;;) {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(jobs)
        .where(and(sql`${jobs.status} in ('queued', 'running')`));
      if (Number(row!.n) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const deployS = (performance.now() - t0) / 1000;
    await workers.stop();
    const [failed] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(and(eq(jobs.type, "vm.deploy"), sql`${jobs.status} <> 'succeeded'`));
    sampleRss();
    log(`${DEPLOYS} deploys in ${round(deployS)} s (${failed!.n} failed)`);

    const result = {
      db: kind,
      hosts: HOSTS,
      vms: VMS,
      deploysPerSec: round(DEPLOYS / deployS),
      reconcileCycleS: round(reconcileMs / 1000),
      planP99Ms: round(pct(planMs, 99)),
      listP99Ms: round(pct([...listAdmin, ...listTenant], 99)),
      capacityMs: round(pct(capacityRuns, 50)),
      rssMiB: Math.round(peakRss / 1048576),
      listAdminP99Ms: round(pct(listAdmin, 99)),
      listTenantP99Ms: round(pct(listTenant, 99)),
      planP50Ms: round(pct(planMs, 50)),
      dashboardMs: round(pct(dashboardRuns, 50)),
      reconcileChanges: changed,
      failedDeploys: Number(failed!.n),
      deployRetries: retries,
      loadS: round(loadS),
    };
    console.log(JSON.stringify(result));
  } finally {
    clearInterval(rssTimer);
    await h.close();
    await drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
