import { and, asc, eq, gte } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { hostMetrics, hosts, vmMetrics } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { getInstanceInScope } from "./instances/access";
import { assertInfra } from "./infrastructure/common";
import { notFound } from "@/server/core/errors";

export interface VmSample {
  at: Date;
  cpuPercent: number;
  memoryMib: number;
  diskReadBps: number;
  diskWriteBps: number;
  netRxBps: number;
  netTxBps: number;
}

/** Counters are cumulative: a rate is the difference of two samples over their interval (a restart resets to 0). */
const rate = (cur: number, prev: number, seconds: number) => (seconds > 0 && cur >= prev ? Math.round((cur - prev) / seconds) : 0);

/** A VM's samples over the last `minutes`, scoped exactly like instance.get (another tenant's VM is NOT_FOUND). */
export async function metricsForInstance(db: DbOrTx, caller: Caller, input: { id: string; minutes: number }) {
  const vm = await getInstanceInScope(db, caller, input.id);
  const since = new Date(Date.now() - input.minutes * 60_000);
  const rows = await db
    .select()
    .from(vmMetrics)
    .where(and(eq(vmMetrics.instanceId, vm.id), gte(vmMetrics.at, since)))
    .orderBy(asc(vmMetrics.at))
    .limit(5000);
  const samples: VmSample[] = rows.map((r, i) => {
    const p = rows[i - 1];
    const dt = p ? (r.at.getTime() - p.at.getTime()) / 1000 : 0;
    return {
      at: r.at,
      cpuPercent: r.cpuPercent,
      memoryMib: r.memoryMib,
      diskReadBps: p ? rate(r.diskReadBytes, p.diskReadBytes, dt) : 0,
      diskWriteBps: p ? rate(r.diskWriteBytes, p.diskWriteBytes, dt) : 0,
      netRxBps: p ? rate(r.netRxBytes, p.netRxBytes, dt) : 0,
      netTxBps: p ? rate(r.netTxBytes, p.netTxBytes, dt) : 0,
    };
  });
  const last = rows[rows.length - 1];
  return {
    instanceId: vm.id,
    memoryTotalMib: vm.memoryMib,
    samples,
    totals: last
      ? { diskReadBytes: last.diskReadBytes, diskWriteBytes: last.diskWriteBytes, netRxBytes: last.netRxBytes, netTxBytes: last.netTxBytes }
      : null,
  };
}

/** A host's load over the last `minutes` (root admin). */
export async function metricsForHost(db: DbOrTx, caller: Caller, input: { id: string; minutes: number }) {
  assertInfra(caller, "read");
  const [h] = await db
    .select({ id: hosts.id, memoryMib: hosts.memoryMib, cpuCores: hosts.cpuCores })
    .from(hosts)
    .where(eq(hosts.id, input.id));
  if (!h) throw notFound("Host");
  const since = new Date(Date.now() - input.minutes * 60_000);
  const samples = await db
    .select({
      at: hostMetrics.at,
      runningVms: hostMetrics.runningVms,
      cpuPercent: hostMetrics.cpuPercent,
      memoryMib: hostMetrics.memoryMib,
    })
    .from(hostMetrics)
    .where(and(eq(hostMetrics.hostId, h.id), gte(hostMetrics.at, since)))
    .orderBy(asc(hostMetrics.at))
    .limit(5000);
  return { hostId: h.id, memoryTotalMib: h.memoryMib, cpuCores: h.cpuCores, samples };
}
