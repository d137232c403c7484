import { and, eq, inArray, notExists } from "drizzle-orm";
import type { Db } from "@/db";
import { jobs, networks } from "@/db/schema";
import type { HostRef } from "@/server/orchestrator/drivers/types";
import { networkDriverOf, placementOf } from "@/server/orchestrator/network/realise";
import type { NetworkRole } from "@/server/orchestrator/network/spec";
import { networkEvent } from "@/server/core/events";

export interface NetworkRepair {
  networkId: string;
  host: string;
  differences: string[];
}

/**
 * The network half of the reconciler: every implemented network without a job in flight is
 * checked on its router and member hosts against the spec built from the database now; where a
 * host differs (a restart, a crash, a hand edit, a lease of a VM that came or went) the whole
 * spec is applied again and an event says what was repaired.
 */
export async function reconcileNetworks(db: Db): Promise<NetworkRepair[]> {
  const rows = await db
    .select()
    .from(networks)
    .where(
      and(
        eq(networks.state, "implemented"),
        notExists(
          db
            .select({ one: jobs.id })
            .from(jobs)
            .where(and(eq(jobs.resourceId, networks.id), inArray(jobs.status, ["queued", "running"]))),
        ),
      ),
    );
  const repairs: NetworkRepair[] = [];
  for (const n of rows) {
    try {
      const p = await placementOf(db, n.id);
      if (!p) continue;
      const targets: [HostRef, NetworkRole][] = [
        ...(p.router ? [[p.router, "router"] as [HostRef, NetworkRole]] : []),
        ...p.members.map((h) => [h, "member"] as [HostRef, NetworkRole]),
      ];
      for (const [host, role] of targets) {
        const driver = networkDriverOf(host);
        if (!driver) continue;
        const differences = await driver.checkNetwork(host, p.spec, role);
        if (differences.length === 0) continue;
        await driver.applyNetwork(host, p.spec, role);
        repairs.push({ networkId: n.id, host: host.name, differences });
        await networkEvent(
          db,
          n,
          "NETWORK.REPAIRED",
          `Network ${n.name} differed on its ${role === "router" ? "router" : "member"} host (${differences.join("; ")}); applied again`,
          { level: "warn", details: { differences } },
        );
      }
    } catch (e) {
      console.error(`[reconciler] network ${n.name} failed`, e);
    }
  }
  return repairs;
}
