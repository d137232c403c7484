import { eq, gt, lt, sql } from "drizzle-orm";
import type { Db } from "@/db";
import { orchestratorNodes } from "@/db/schema";

/**
 * Host ownership among several orchestrator processes on one database (CloudStack's management
 * servers): every process renews a lease in orchestrator_nodes; the live processes are the rows
 * whose lease has not run out; each host belongs to exactly one of them by rendezvous hashing
 * (highest hash of node id and host id), which every process computes alike from the same list.
 * When a process joins or dies only the hosts that hash to it move. While a change of membership
 * reaches the processes (at most a third of the lease) two may briefly both work a host: the
 * reconciler's changes are guarded updates, so that costs a duplicate read, never a double change.
 */

/** FNV-1a, 32 bits: cheap, stable across processes and versions, spreads short ids well. */
function fnv1a(s: string) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32), so ids differing in their last characters spread too.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The live node that owns `key` (a host id) among `nodes`: rendezvous (highest random weight) hashing. */
export function ownerOf(key: string, nodes: readonly string[]): string | null {
  let best: string | null = null;
  let bestWeight = -1;
  for (const n of nodes) {
    const w = fnv1a(`${n}\u0000${key}`);
    if (w > bestWeight || (w === bestWeight && best !== null && n < best)) {
      best = n;
      bestWeight = w;
    }
  }
  return best;
}

/** Renews `node`'s lease and returns the live nodes (sorted); forgets nodes dead for ten leases. */
export async function heartbeat(db: Db, node: string, leaseMs: number): Promise<string[]> {
  const until = sql`now() + (${leaseMs} * interval '1 millisecond')`;
  await db
    .insert(orchestratorNodes)
    .values({ id: node, leaseUntil: until })
    .onConflictDoUpdate({ target: orchestratorNodes.id, set: { heartbeatAt: sql`now()`, leaseUntil: until } });
  await db.delete(orchestratorNodes).where(lt(orchestratorNodes.leaseUntil, sql`now() - (${leaseMs * 10} * interval '1 millisecond')`));
  const rows = await db
    .select({ id: orchestratorNodes.id })
    .from(orchestratorNodes)
    .where(gt(orchestratorNodes.leaseUntil, sql`now()`));
  return rows.map((r) => r.id).sort();
}

/** A clean shutdown: the row goes at once, so the others take the hosts over at their next renewal. */
export async function leave(db: Db, node: string) {
  await db.delete(orchestratorNodes).where(eq(orchestratorNodes.id, node));
}

/** This process's view of the membership: which hosts it works, and whether it leads the cluster-wide sweeps. */
export interface HostShare {
  readonly node: string;
  /** The live nodes at the last renewal (this one included). */
  nodes: () => readonly string[];
  owns: (hostId: string) => boolean;
  /** The first live node (by id) runs what must run once per cluster (the network reconciler). */
  leads: () => boolean;
}

/** One node alone (a single process, tests that drive the reconciler by hand): every host is its own. */
export const soleShare = (node = "local"): HostShare => ({ node, nodes: () => [node], owns: () => true, leads: () => true });

/**
 * Joins the cluster: renews the lease every third of `leaseMs` and keeps the membership view that
 * `share` answers from. `ready` resolves after the first renewal; stop() leaves the cluster.
 */
export function joinCluster(db: Db, node: string, leaseMs: number, log: (m: string, e?: unknown) => void = () => {}) {
  let live: string[] = [node];
  let renewedAt = 0;
  // A process that could not renew for a whole lease may have been counted dead: it works nothing
  // until it renews again (the others have taken its hosts over).
  const current = () => Date.now() - renewedAt < leaseMs;
  const share: HostShare = {
    node,
    nodes: () => live,
    owns: (hostId) => current() && ownerOf(hostId, live) === node,
    leads: () => current() && live[0] === node,
  };
  const renew = async () => {
    const startedAt = Date.now();
    try {
      const next = await heartbeat(db, node, leaseMs);
      // Our own renewal just succeeded: we are live whatever the clocks say.
      if (!next.includes(node)) {
        next.push(node);
        next.sort();
      }
      if (next.join() !== live.join()) log(`members: ${next.join(", ")}`);
      live = next;
      renewedAt = startedAt;
    } catch (e) {
      log("lease renewal failed", e);
    }
  };
  const ready = renew();
  const timer = setInterval(() => void renew(), Math.max(100, Math.floor(leaseMs / 3)));
  return {
    share,
    ready,
    stop: async () => {
      clearInterval(timer);
      await leave(db, node).catch((e: unknown) => log("leaving the cluster failed", e));
    },
  };
}
