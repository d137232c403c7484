import type { DbOrTx } from "@/db";
import { type Caller, isRootAdmin } from "@/server/authz/caller";
import { badRequest } from "@/server/core/errors";
import { domainLimits, type Limits, type ResourceType, resourceLabels } from "@/server/core/limits";

/**
 * Who may set which limit: the root admin any; a reseller those of accounts and sub-domains in its
 * subtree (not its own domain's), never above its own domain's limit.
 */
export async function checkCeiling(db: DbOrTx, caller: Caller, limits: Limits) {
  if (isRootAdmin(caller)) return;
  const own = await domainLimits(db, caller.domainId);
  for (const [t, max] of Object.entries(limits) as [ResourceType, number | null | undefined][]) {
    if (max === undefined) continue;
    const ceiling = own.find((r) => r.resourceType === t)?.max ?? null;
    if (ceiling === null) continue;
    if (max === null || max > ceiling) {
      throw badRequest(`${resourceLabels[t]} cannot exceed your domain's limit of ${ceiling}`, `limits.${t}`);
    }
  }
}
