import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { instances, nicSecurityGroups, nics } from "@/db/schema";
import { badRequest } from "@/server/core/errors";
import { accountOwner } from "@/server/core/limits";
import { groupsForNewNic, networkUsesSecurityGroups } from "./groups";

/**
 * A new NIC on a shared network joins security groups (the given ones of its VM's account, or the
 * account's default group, made on first use); on other networks groups are refused.
 */
export async function joinSecurityGroups(tx: DbOrTx, nic: typeof nics.$inferSelect, ids: string[] | undefined, field: string) {
  if (!(await networkUsesSecurityGroups(tx, nic.networkId))) {
    if (ids && ids.length > 0) throw badRequest("Security groups apply to NICs on shared networks only", field);
    return;
  }
  const [vm] = await tx.select({ accountId: instances.accountId }).from(instances).where(eq(instances.id, nic.instanceId));
  const owner = await accountOwner(tx, vm!.accountId);
  const groups = await groupsForNewNic(tx, owner, ids, null, field);
  await tx.insert(nicSecurityGroups).values(groups.map((securityGroupId) => ({ nicId: nic.id, securityGroupId })));
}
