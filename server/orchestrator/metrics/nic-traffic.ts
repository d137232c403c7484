import { asc, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { rowsOf } from "@/db/rows";
import { instances, nics } from "@/db/schema";
import { recordNetworkBytes, type NetworkBytesFact } from "@/server/core/usage";
import type { VmStats } from "@/server/orchestrator/drivers/types";

/**
 * Bytes since the last sample of a counter that counts from the VM's start: all of it when there
 * was no sample or when the counter went down (the VM started again: its tap, and so its counter, is
 * new). As CloudStack does, a counter that did not go down is taken as the same counter: a VM that
 * restarts and passes its old count within one interval is billed the difference only, never twice.
 */
export function counterDelta(now: number, last: number | null) {
  return last === null || now < last ? now : now - last;
}

interface SampledVm {
  id: string;
  name: string;
  accountId: string;
  domainId: string;
  zoneId: string;
}

/**
 * Per-NIC traffic for billing: each sampled VM's interface counters (by index, the NICs in device
 * order) against the counters its nics rows kept from the last sample. In one transaction: the rows
 * take the new counters (set-based, only where no other cycle sampled them meanwhile) and the
 * differences of those rows become NETWORK.BYTES.SENT/RECEIVED facts (one insert).
 */
export async function recordNicTraffic(db: Db, samples: { vm: SampledVm; stats: VmStats }[], at: Date) {
  const withNics = samples.filter((s) => s.stats.nics?.length);
  if (withNics.length === 0) return 0;
  const byVm = new Map(withNics.map((s) => [s.vm.id, s]));
  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(nics)
      .where(inArray(nics.instanceId, [...byVm.keys()]))
      .orderBy(asc(nics.instanceId), asc(nics.deviceId));
    const position = new Map<string, number>();
    const updates: { id: string; rx: number; tx: number; prevAt: Date | null }[] = [];
    const facts: NetworkBytesFact[] = [];
    for (const nic of rows) {
      const index = position.get(nic.instanceId) ?? 0;
      position.set(nic.instanceId, index + 1);
      const { vm, stats } = byVm.get(nic.instanceId)!;
      const c = stats.nics!.find((n) => n.index === index);
      if (!c) continue;
      updates.push({ id: nic.id, rx: c.rxBytes, tx: c.txBytes, prevAt: nic.trafficSampledAt });
      const base = { nicId: nic.id, networkId: nic.networkId, vm, at };
      facts.push({ ...base, type: "NETWORK.BYTES.SENT", bytes: counterDelta(c.txBytes, nic.lastTxBytes) });
      facts.push({ ...base, type: "NETWORK.BYTES.RECEIVED", bytes: counterDelta(c.rxBytes, nic.lastRxBytes) });
    }
    if (updates.length === 0) return 0;
    const values = sql.join(
      updates.map((u) => sql`(${u.id}::uuid, ${u.rx}::bigint, ${u.tx}::bigint, ${u.prevAt?.toISOString() ?? null}::timestamptz)`),
      sql`, `,
    );
    // Guarded by the previous sample's time: a row another cycle sampled meanwhile (or a cycle of the
    // same or a later time) is left alone, so no bytes are counted twice or dropped.
    const updated = await tx.execute<{ id: string }>(sql`
      update ${nics} set last_rx_bytes = v.rx, last_tx_bytes = v.tx, traffic_sampled_at = ${at.toISOString()}::timestamptz
      from (values ${values}) as v(id, rx, tx, prev_at)
      where ${nics.id} = v.id and ${nics.trafficSampledAt} is not distinct from v.prev_at
        and (${nics.trafficSampledAt} is null or ${nics.trafficSampledAt} < ${at.toISOString()}::timestamptz)
      returning ${nics.id} as id`);
    const done = new Set(rowsOf(updated).map((r) => r.id));
    return recordNetworkBytes(
      tx,
      facts.filter((f) => done.has(f.nicId)),
    );
  });
}

export const sampledVmColumns = {
  id: instances.id,
  name: instances.name,
  accountId: instances.accountId,
  domainId: instances.domainId,
  zoneId: instances.zoneId,
};
