import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { hosts } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { recordEvent } from "@/server/services/events";
import type { Instance } from "./access";

/**
 * An audit event about a VM, in the transaction of the change it records. The VM's host (or last
 * host) is recorded beside the text, so only the root admin is shown which host it names.
 */
export async function recordVmEvent(
  tx: DbOrTx,
  vm: Pick<Instance, "id" | "name" | "accountId" | "domainId" | "domainPath"> & Partial<Pick<Instance, "hostId" | "lastHostId">>,
  type: string,
  description: string,
  opts: { actor?: Caller | string | null; level?: "info" | "warn" | "error"; details?: Record<string, unknown> } = {},
) {
  const actor = typeof opts.actor === "string" ? opts.actor : (opts.actor?.userId ?? null);
  const hostId = vm.hostId ?? vm.lastHostId ?? null;
  const [host] = hostId ? await tx.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, hostId)) : [];
  return recordEvent(tx, {
    hostName: host?.name ?? null,
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
