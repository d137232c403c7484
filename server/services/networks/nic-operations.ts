import { and, eq } from "drizzle-orm";
import type { Db } from "@/db";
import { nics } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { recordVmEvent } from "@/server/core/events";
import { retryOnDeadlock } from "@/server/core/retry";
import { recordCompletedJob } from "@/server/orchestrator/jobs/queue";
import { getInstanceInScope, type Instance } from "@/server/services/instances/access";
import { lockInState } from "@/server/services/instances/operations";
import { allocateNic, checkRequestedIp } from "./ipam";
import { usableNetwork } from "./operations";
import { dropRulesOfNics } from "@/server/core/network-rules";

/**
 * NIC operations on a stopped VM (its next start defines it with the new NICs and applies the
 * networks). Each takes the VM's row lock first (the lock order), then the network's.
 */

const jobFor = (vm: Instance, caller: Caller, type: string, input: Record<string, unknown>) => ({
  resourceType: "instance",
  resourceId: vm.id,
  accountId: vm.accountId,
  domainPath: vm.domainPath,
  userId: caller.userId,
  type,
  input,
});

async function stoppedVm(db: Db, caller: Caller, id: string, what: string) {
  const vm = await getInstanceInScope(db, caller, id);
  if (vm.state !== "stopped") throw new ServiceError("CONFLICT", `Stop ${vm.name} to ${what} (it is ${vm.state})`);
  return vm;
}

export async function addNic(db: Db, caller: Caller, input: { instanceId: string; networkId: string; ip?: string }) {
  const vm = await stoppedVm(db, caller, input.instanceId, "add a NIC");
  const n = await usableNetwork(db, vm.accountId, vm.zoneId, input.networkId, "networkId");
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const locked = await lockInState(tx, vm);
      const [already] = await tx
        .select({ id: nics.id })
        .from(nics)
        .where(and(eq(nics.instanceId, vm.id), eq(nics.networkId, n.id)));
      if (already) throw conflict(`${vm.name} already has a NIC on network ${n.name}`, "networkId");
      const nic = await allocateNic(tx, n.id, vm.id, { ip: input.ip, field: "ip" });
      await recordVmEvent(tx, locked, "NIC.CREATE", `Added a NIC on ${n.name} to ${vm.name}${nic.ip ? ` (${nic.ip})` : ""}`, {
        actor: caller,
      });
      const job = await recordCompletedJob(tx, jobFor(locked, caller, "vm.addNic", { networkId: n.id }), { nicId: nic.id, ip: nic.ip });
      return { jobId: job.id, nic };
    }),
  );
}

async function nicOf(db: Db, vm: Instance, nicId: string) {
  const [nic] = await db
    .select()
    .from(nics)
    .where(and(eq(nics.id, nicId), eq(nics.instanceId, vm.id)));
  if (!nic) throw notFound("NIC");
  return nic;
}

/** Removes a NIC (not the default one): its address is free again. */
export async function removeNic(db: Db, caller: Caller, input: { instanceId: string; nicId: string }) {
  const vm = await stoppedVm(db, caller, input.instanceId, "remove a NIC");
  const nic = await nicOf(db, vm, input.nicId);
  if (nic.deviceId === 0) throw new ServiceError("BAD_REQUEST", "The default NIC (device 0) cannot be removed", "nicId");
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const locked = await lockInState(tx, vm);
      await dropRulesOfNics(tx, [nic.id], caller.userId);
      const gone = await tx.delete(nics).where(eq(nics.id, nic.id)).returning();
      if (gone.length === 0) throw notFound("NIC");
      await recordVmEvent(tx, locked, "NIC.DELETE", `Removed NIC ${nic.mac}${nic.ip ? ` (${nic.ip})` : ""} from ${vm.name}`, {
        actor: caller,
      });
      return { jobId: (await recordCompletedJob(tx, jobFor(locked, caller, "vm.removeNic", { nicId: nic.id }))).id };
    }),
  );
}

/** Gives a NIC another free address of its network (the old one is free again once this commits). */
export async function updateNicIp(db: Db, caller: Caller, input: { instanceId: string; nicId: string; ip: string }) {
  const vm = await stoppedVm(db, caller, input.instanceId, "change a NIC's address");
  const nic = await nicOf(db, vm, input.nicId);
  const n = await usableNetwork(db, vm.accountId, vm.zoneId, nic.networkId, "nicId");
  const ip = checkRequestedIp(n, input.ip, "ip");
  if (ip === nic.ip) throw new ServiceError("BAD_REQUEST", `${vm.name} already has ${ip} on ${n.name}`, "ip");
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const locked = await lockInState(tx, vm);
      let moved: typeof nics.$inferSelect | undefined;
      try {
        [moved] = await tx.update(nics).set({ ip }).where(eq(nics.id, nic.id)).returning();
      } catch (e) {
        if (isUniqueViolation(e)) throw conflict(`${ip} is already in use in network ${n.name}; choose a free address`, "ip");
        throw e;
      }
      if (!moved) throw notFound("NIC");
      await recordVmEvent(tx, locked, "NIC.UPDATE", `${vm.name}'s NIC on ${n.name} is now ${ip} (was ${nic.ip})`, { actor: caller });
      return { jobId: (await recordCompletedJob(tx, jobFor(locked, caller, "vm.updateNicIp", { nicId: nic.id, ip }), { ip })).id };
    }),
  );
}
