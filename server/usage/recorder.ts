import { randomUUID } from "node:crypto";
import type { DbOrTx } from "@/db";
import { usageEvents } from "@/db/schema";

export type UsageType = "VM.CREATE" | "VM.START" | "VM.STOP" | "VM.UPGRADE" | "VM.DESTROY" | "VM.EXPUNGE";

export interface UsageSubject {
  id: string;
  name: string;
  accountId: string;
  domainId: string;
  zoneId: string;
  computeOfferingId: string;
  templateId: string;
}

/**
 * Writes a billing fact in the caller's transaction. `key` identifies the fact: a job passes
 * `<jobId>:<type>`, so a job resumed after a crash or retried cannot record it twice (the
 * unique key swallows the repeat); API transactions commit once and pass nothing.
 */
export async function recordUsage(tx: DbOrTx, type: UsageType, vm: UsageSubject, opts: { key?: string; details?: Record<string, unknown> } = {}) {
  await tx
    .insert(usageEvents)
    .values({
      type,
      accountId: vm.accountId,
      domainId: vm.domainId,
      zoneId: vm.zoneId,
      resourceId: vm.id,
      resourceName: vm.name,
      offeringId: vm.computeOfferingId,
      templateId: vm.templateId,
      details: opts.details ?? null,
      idempotencyKey: opts.key ?? `${vm.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}
