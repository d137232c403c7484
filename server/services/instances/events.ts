import type { DbOrTx } from "@/db";
import type { Caller } from "@/server/authz/caller";
import { recordEvent } from "@/server/services/events";
import type { Instance } from "./access";

/** An audit event about a VM, in the transaction of the change it records. */
export function recordVmEvent(
  tx: DbOrTx,
  vm: Pick<Instance, "id" | "name" | "accountId" | "domainId" | "domainPath">,
  type: string,
  description: string,
  opts: { actor?: Caller | string | null; level?: "info" | "warn" | "error"; details?: Record<string, unknown> } = {},
) {
  const actor = typeof opts.actor === "string" ? opts.actor : (opts.actor?.userId ?? null);
  return recordEvent(tx, {
    type,
    description,
    level: opts.level,
    actorUserId: actor,
    accountId: vm.accountId,
    domainId: vm.domainId,
    domainPath: vm.domainPath,
    resourceType: "instance",
    resourceId: vm.id,
    details: opts.details,
  });
}
