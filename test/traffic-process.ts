/**
 * One "Stratus process" for the deadlock test (server/orchestrator/deadlock.test.ts): job workers,
 * a fast reconciler loop and API traffic (deploy, stop, start, destroy, expunge) from the users in
 * TRAFFIC_USERS, against the PostgreSQL database at DATABASE_URL, for TRAFFIC_MS. Prints one line
 * `RESULT <json>` with what went wrong (500s, runner and reconciler errors) and exits.
 *
 *   DATABASE_URL=… TRAFFIC_OWNER=p TRAFFIC_USERS=tenant,globex npx tsx test/traffic-process.ts
 */
import { TRPCError } from "@trpc/server";
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { openDb } from "@/db";
import { hosts, instances, jobs } from "@/db/schema";
import { operationAllowed } from "@/lib/vm-state";
import { registerOrchestrator } from "@/server/orchestrator";
import { serviceJobs } from "@/server/services/background";
import { JOB_CHANNEL } from "@/server/orchestrator/jobs/queue";
import { startWorkers } from "@/server/orchestrator/jobs/runner";
import { reconcileHost } from "@/server/orchestrator/sync/reconciler";
import { api, callerFor } from "@/test/fixtures";
import { deployChoicesByName } from "@/test/orchestrator";

const num = (v: string | undefined, d: number) => (v ? Number(v) : d);

async function main() {
  const url = process.env.DATABASE_URL!;
  const owner = process.env.TRAFFIC_OWNER ?? `traffic:${process.pid}`;
  const users = (process.env.TRAFFIC_USERS ?? "tenant").split(",");
  const loopsPerUser = num(process.env.TRAFFIC_LOOPS, 3);
  const durationMs = num(process.env.TRAFFIC_MS, 15_000);
  const handle = openDb({ url, max: 16 });
  registerOrchestrator(handle, serviceJobs);

  const result = {
    owner,
    calls: 0,
    cycles: 0,
    serverErrors: [] as string[],
    otherErrors: {} as Record<string, number>,
    workerErrors: [] as string[],
    reconcileErrors: [] as string[],
  };
  const workers = startWorkers({
    db: handle.db,
    owner,
    concurrency: 3,
    pollMs: 100,
    listen: (cb) => handle.listen(JOB_CHANNEL, cb),
    // A job's own failure shows as a failed job; what the runner logs with an error is its plumbing failing.
    log: (m, e) => void (e && result.workerErrors.push(`${m}: ${e instanceof Error ? e.message : JSON.stringify(e)}`)),
  });

  const choices = await deployChoicesByName(handle.db);
  // Both processes start their traffic together, when the test says "go" (NOTIFY traffic_go).
  const go = new Promise<void>((resolve) => void handle.listen("traffic_go", () => resolve()).then(() => console.log(`ready ${owner}`)));
  await go;
  const until = Date.now() + durationMs;
  let stopping = false;

  // The reconciler, as often as it can go: its host heartbeat races every reservation and release.
  const reconciler = (async () => {
    while (!stopping) {
      for (const host of await handle.db.select().from(hosts)) {
        await reconcileHost(handle.db, host).catch((e: unknown) =>
          result.reconcileErrors.push(e instanceof Error ? e.message : JSON.stringify(e)),
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const loop = async (username: string, n: number) => {
    const caller = await callerFor(handle.db, username);
    const user = api(handle.db, caller);
    // One API call; a 500 is what this test is about, anything else (a 409 for an operation that
    // lost a race, which this traffic provokes on purpose) is counted and tolerated.
    const call = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
      result.calls++;
      try {
        return await fn();
      } catch (e) {
        const code = e instanceof TRPCError ? e.code : "UNKNOWN";
        if (code === "INTERNAL_SERVER_ERROR" || code === "UNKNOWN")
          result.serverErrors.push(`${what}: ${e instanceof TRPCError && e.cause ? e.cause.message : String(e)}`);
        else result.otherErrors[code] = (result.otherErrors[code] ?? 0) + 1;
        return null;
      }
    };
    const rand = (k: number) => Math.floor(Math.random() * k);
    // Both processes act on the same VMs of the same accounts, without waiting for jobs: a user
    // clicking around in two tabs, while the other process's workers and reconciler run.
    for (let i = 0; Date.now() < until; i++) {
      const vms = await handle.db
        .select({ id: instances.id, state: instances.state })
        .from(instances)
        .where(and(eq(instances.accountId, caller.accountId), ne(instances.state, "expunged")));
      const vm = vms[rand(vms.length)];
      if (!vm || vms.length < 4) {
        await call("deploy", () => user.instance.deploy({ ...choices, name: `${owner}-${username}-${n}-${i}` }));
      } else {
        const ops = (["start", "stop", "destroy", "expunge"] as const).filter((op) => operationAllowed(op, vm.state));
        const op = ops[rand(ops.length)];
        if (op === "start") await call("start", () => user.instance.start({ id: vm.id }));
        else if (op === "stop") await call("stop", () => user.instance.stop({ id: vm.id, force: rand(2) === 0 }));
        else if (op === "destroy") await call("destroy", () => user.instance.destroy({ id: vm.id }));
        else if (op === "expunge") await call("expunge", () => user.instance.expunge({ id: vm.id }));
        if (op) result.cycles++;
      }
      await new Promise((r) => setTimeout(r, rand(40)));
    }
  };

  await Promise.all(users.flatMap((u) => Array.from({ length: loopsPerUser }, (_, i) => loop(u, i))));
  // Let the queue drain (both processes' workers run it) before stopping.
  for (let i = 0; i < 150; i++) {
    const [busy] = await handle.db
      .select({ n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(inArray(jobs.status, ["queued", "running"]));
    if (!busy?.n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  stopping = true;
  await reconciler;
  await workers.stop();
  console.log(`RESULT ${JSON.stringify(result)}`);
  await handle.close();
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error("[traffic] failed:", e);
  process.exit(1);
});
