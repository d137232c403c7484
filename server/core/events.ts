import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import { events, hosts, instances } from "@/db/schema";
import type { Caller } from "@/server/authz/caller";
import { publishChange } from "./changes";

type Instance = typeof instances.$inferSelect;

export interface EventInput {
  type: string;
  description: string;
  level?: "info" | "warn" | "error";
  actorUserId?: string | null;
  accountId?: string | null;
  domainId?: string | null;
  domainPath?: string | null;
  resourceType?: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  /** The host the description names, if any: shown to the root admin only. */
  hostName?: string | null;
}

/** Records an audit event (and publishes it on the change feed); call it inside the transaction that makes the change. */
export async function recordEvent(db: DbOrTx, e: EventInput) {
  const [row] = await db
    .insert(events)
    .values({
      type: e.type,
      description: e.description,
      level: e.level ?? "info",
      actorUserId: e.actorUserId ?? null,
      accountId: e.accountId ?? null,
      domainId: e.domainId ?? null,
      domainPath: e.domainPath ?? null,
      resourceType: e.resourceType ?? null,
      resourceId: e.resourceId ?? null,
      details: e.details ?? null,
      hostName: e.hostName ?? null,
    })
    .returning({ id: events.id });
  await publishChange(db, { kind: "event", id: row!.id, accountId: e.accountId, domainPath: e.domainPath, resourceType: e.resourceType });
}

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

/** An audit event about a guest network, in the transaction of the change it records. */
export const networkEvent = (
  tx: DbOrTx,
  n: { id: string; name: string; accountId: string; domainId: string; domainPath: string },
  type: string,
  description: string,
  opts: {
    actor?: string | null;
    level?: "info" | "warn" | "error";
    details?: Record<string, unknown>;
    /** The host the description names: only the root admin is shown it (core/events). */
    hostName?: string | null;
  } = {},
) =>
  recordEvent(tx, {
    type,
    description,
    level: opts.level,
    actorUserId: opts.actor ?? null,
    accountId: n.accountId,
    domainId: n.domainId,
    domainPath: n.domainPath,
    resourceType: "network",
    resourceId: n.id,
    details: opts.details,
    hostName: opts.hostName,
  });
