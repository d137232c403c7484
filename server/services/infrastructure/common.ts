import { asc, desc, type AnyColumn, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db";
import type { Caller } from "@/server/authz/caller";
import { can } from "@/server/authz/permissions";
import { forbidden, ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { type Page, type PageInput, sortColumn } from "../paging";

/**
 * Helpers shared by the infrastructure services (zones, pods, clusters, hosts, storage). These are
 * root-admin objects: they belong to no domain, so their events carry no domain path (only the root
 * admin sees them) and there is no scope to filter by, only the permission to check.
 */

/** Defence in depth: the router already checks the permission, services check it again. */
export function assertInfra(caller: Caller, action: "read" | "manage") {
  if (!can(caller.accountType, action === "read" ? "infra.read" : "infra.manage")) {
    throw forbidden("Only the root administrator can manage infrastructure");
  }
}

export { isForeignKeyViolation as isFkViolation } from "@/server/core/errors";

/** NOT_FOUND for a parent object named in a form field (so the form can show it beside the select). */
export const parentNotFound = (what: string, field: string) => new ServiceError("NOT_FOUND", `${what} not found`, field);

/** The object is valid to act on in principle, but its current contents or use prevent it. */
export const notEmpty = (message: string) => new ServiceError("PRECONDITION_FAILED", message);

/** "1 pod", "3 clusters". */
export { count as plural } from "@/lib/count";

/** "a, b and c". */
export function joinList(parts: string[]): string {
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

export type InfraResource = "zone" | "pod" | "cluster" | "host" | "storage_pool" | "secondary_store";

/** Records an infrastructure event; call it inside the transaction that makes the change. */
export function infraEvent(
  tx: DbOrTx,
  caller: Caller,
  e: { type: string; description: string; resourceType: InfraResource; resourceId: string; details?: Record<string, unknown> },
) {
  return recordEvent(tx, { ...e, actorUserId: caller.userId });
}

/** The fields of `after` that differ from `before`, as { field: [before, after] } for event details. */
export function changes(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const [k, v] of Object.entries(after)) {
    if (v === undefined) continue;
    const old = before[k];
    if (JSON.stringify(old) !== JSON.stringify(v)) out[k] = [old, v];
  }
  return out;
}

/** Drops undefined values, so a partial update only sets what was sent. */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * One page of a joined query, sorted and sliced in SQL. `sortable` whitelists the sort keys a
 * client may send (anything else falls back to `fallback`); `tieBreak` keeps pages stable.
 */
export async function pageJoined<T>(
  input: PageInput,
  sortable: Record<string, AnyColumn | SQL>,
  fallback: SQL[],
  tieBreak: AnyColumn,
  run: (order: SQL[], limit: number, offset: number) => Promise<T[]>,
  countRows: () => Promise<number>,
): Promise<Page<T>> {
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const col = sortColumn(sortable, input.sort);
  const order = col ? [input.dir === "desc" ? desc(col) : asc(col), asc(tieBreak)] : [...fallback, asc(tieBreak)];
  const [items, total] = await Promise.all([run(order, pageSize, (page - 1) * pageSize), countRows()]);
  return { items, total, page, pageSize };
}
