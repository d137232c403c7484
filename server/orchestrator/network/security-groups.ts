import { and, eq, exists, inArray, isNotNull } from "drizzle-orm";
import type { Db } from "@/db";
import { hosts, instances, nicSecurityGroups, nics } from "@/db/schema";
import { driverFor } from "../drivers/registry";
import { hostRefOf } from "../drivers/host-ref";
import type { HostRef } from "../drivers/types";
import type { SecurityGroupDriver } from "./spec";
import { buildVmFirewallSpec } from "./build-firewall-spec";
import { recordEvent } from "@/server/core/events";

/** The host's driver as a SecurityGroupDriver, or null when that driver does not filter NICs. */
export function securityGroupDriverOf(host: Pick<HostRef, "hypervisorType">): SecurityGroupDriver | null {
  const d = driverFor(host) as unknown as Partial<SecurityGroupDriver>;
  return typeof d.applySecurityGroups === "function" && typeof d.checkSecurityGroups === "function" ? (d as SecurityGroupDriver) : null;
}

/** Where each VM runs now (starting, running, stopping), with its host. */
async function placed(db: Db, instanceIds: string[]) {
  if (instanceIds.length === 0) return [];
  return db
    .select({ vm: instances, host: hosts })
    .from(instances)
    .innerJoin(hosts, eq(hosts.id, instances.hostId))
    .where(and(inArray(instances.id, instanceIds), inArray(instances.state, ["starting", "running", "stopping"])));
}

/**
 * Applies the current filter of each VM on its host (after a rule or membership change, and
 * before a VM starts). Failures are logged, not thrown: the reconciler applies again.
 */
export async function applySecurityGroupsFor(db: Db, instanceIds: string[], host?: HostRef) {
  const rows = host
    ? instanceIds.map((id) => ({ id, host }))
    : (await placed(db, instanceIds)).map((r) => ({ id: r.vm.id, host: hostRefOf(r.host) }));
  for (const r of rows) {
    const driver = securityGroupDriverOf(r.host);
    if (!driver) continue;
    const spec = await buildVmFirewallSpec(db, r.id);
    if (!spec) continue;
    try {
      await driver.applySecurityGroups(r.host, spec);
    } catch (e) {
      console.error(`[security groups] applying ${spec.vmName} on ${r.host.name} failed; the reconciler will try again`, e);
      if (host) throw e;
    }
  }
}

/**
 * The security-group half of the reconciler: every running VM with a NIC in a group is checked
 * against the spec built now; a difference (a flushed table, a member that came or went while the
 * apply failed) is applied again with an event. `owns`: only VMs on the hosts this process works.
 */
export async function reconcileSecurityGroups(db: Db, owns?: (hostId: string) => boolean) {
  const rows = await db
    .select({ vm: instances, host: hosts })
    .from(instances)
    .innerJoin(hosts, eq(hosts.id, instances.hostId))
    .where(
      and(
        eq(instances.state, "running"),
        isNotNull(instances.hostId),
        exists(
          db
            .select({ one: nics.id })
            .from(nics)
            .innerJoin(nicSecurityGroups, eq(nicSecurityGroups.nicId, nics.id))
            .where(eq(nics.instanceId, instances.id)),
        ),
      ),
    );
  const repairs: { instanceId: string; differences: string[] }[] = [];
  for (const { vm, host: h } of rows) {
    if (owns && !owns(h.id)) continue;
    const host = hostRefOf(h);
    const driver = securityGroupDriverOf(host);
    if (!driver) continue;
    try {
      const spec = await buildVmFirewallSpec(db, vm.id);
      if (!spec) continue;
      const differences = await driver.checkSecurityGroups(host, spec);
      if (differences.length === 0) continue;
      await driver.applySecurityGroups(host, spec);
      repairs.push({ instanceId: vm.id, differences });
      await recordEvent(db, {
        type: "SG.REPAIRED",
        level: "warn",
        description: `Security groups of ${vm.name} differed on ${host.name} (${differences.join("; ")}); applied again`,
        accountId: vm.accountId,
        domainId: vm.domainId,
        domainPath: vm.domainPath,
        resourceType: "instance",
        resourceId: vm.id,
        details: { differences },
      });
    } catch (e) {
      console.error(`[reconciler] security groups of ${vm.name} failed`, e);
    }
  }
  return repairs;
}
