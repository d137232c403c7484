import type { Db } from "@/db";
import type { Caller } from "@/server/authz/caller";
import type { AddSecurityGroupRuleInput } from "@/lib/validation/security-groups";
import { applySecurityGroupsFor } from "@/server/orchestrator/network/security-groups";
import * as groups from "./groups";

/**
 * Changes that alter running VMs' filters: the rows change in one transaction, then every VM whose
 * filter depends on the group is applied again on its host (one `nft -f` each; the reconciler
 * repairs one that failed). Live: no VM needs a restart for a rule change.
 */
export async function addRule(db: Db, caller: Caller, input: AddSecurityGroupRuleInput) {
  const { rule, affectedInstanceIds } = await groups.addSecurityGroupRule(db, caller, input);
  await applySecurityGroupsFor(db, affectedInstanceIds);
  return rule;
}

export async function removeRule(db: Db, caller: Caller, id: string) {
  const { affectedInstanceIds } = await groups.removeSecurityGroupRule(db, caller, id);
  await applySecurityGroupsFor(db, affectedInstanceIds);
  return { ok: true as const };
}

export async function deleteGroup(db: Db, caller: Caller, id: string) {
  const { affectedInstanceIds } = await groups.deleteSecurityGroup(db, caller, id);
  await applySecurityGroupsFor(db, affectedInstanceIds);
  return { ok: true as const };
}

/** On a stopped VM (its own filter is applied when it starts); peers' filters change now. */
export async function setNicGroups(db: Db, caller: Caller, input: { nicId: string; securityGroupIds: string[] }) {
  const { affectedInstanceIds } = await groups.setNicSecurityGroups(db, caller, input);
  await applySecurityGroupsFor(db, affectedInstanceIds);
  return { ok: true as const };
}
