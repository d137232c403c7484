import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray } from "drizzle-orm";
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
 * Writes a billing fact in the caller's transaction (numbered by `seq` at insert; read them in seq order). `key` identifies the fact: a job passes
 * `<jobId>:<type>`, so a job resumed after a crash or retried cannot record it twice (the
 * unique key swallows the repeat); API transactions commit once and pass nothing.
 */
export async function recordUsage(
  tx: DbOrTx,
  type: UsageType,
  vm: UsageSubject,
  opts: { key?: string; details?: Record<string, unknown>; occurredAt?: Date } = {},
) {
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
      // When it happened, if not now: a host that went silent stopped billing when last seen.
      ...(opts.occurredAt ? { occurredAt: opts.occurredAt } : {}),
      idempotencyKey: opts.key ?? `${vm.id}:${type}:${randomUUID()}`,
    })
    .onConflictDoNothing({ target: usageEvents.idempotencyKey });
}

/**
 * Whether the VM is billed as running: its last VM.START/VM.STOP/VM.DESTROY fact is a start. Used
 * where Stratus could not see a transition happen (a VM found running or stopped after its host
 * came back), so the usage log never shows two starts or two stops in a row.
 */
export async function billedAsRunning(tx: DbOrTx, vmId: string): Promise<boolean> {
  const [last] = await tx
    .select({ type: usageEvents.type })
    .from(usageEvents)
    .where(and(eq(usageEvents.resourceId, vmId), inArray(usageEvents.type, ["VM.START", "VM.STOP", "VM.DESTROY"])))
    .orderBy(desc(usageEvents.seq))
    .limit(1);
  return last?.type === "VM.START";
}
