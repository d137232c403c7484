import { and, asc, desc, eq, getTableColumns, ilike, inArray, isNull, like, or, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Db, DbOrTx } from "@/db";
import { rowsOf } from "@/db/rows";
import { computeOfferings, diskOfferings, domains, networkOfferings } from "@/db/schema";
import { type Caller, escapeLike, isDomainAdmin, isRootAdmin } from "@/server/authz/caller";
import type { OfferingState } from "@/lib/validation/offerings";
import { getDomainInScope, type Domain } from "../domains";
import { conflict, isUniqueViolation, notFound, ServiceError } from "@/server/core/errors";
import { recordEvent } from "@/server/core/events";
import { pathIds } from "@/server/core/limits";
import { type Page, type PageInput, sortColumn } from "../paging";

/**
 * What compute and disk offerings share: scope (public or a domain subtree), visibility, who may
 * manage them, state changes, deletion, and events. compute.ts and disk.ts add their own fields.
 *
 * Visibility:
 *  - root admin: every offering;
 *  - domain admin: public ones, those of its own domain and ancestors (read-only unless its own
 *    domain), and those of its whole subtree (manageable);
 *  - user: active offerings that are public or scoped to its domain or an ancestor.
 * Anything else is NOT_FOUND (never FORBIDDEN: other subtrees' offerings are not revealed).
 */

export type OfferingTable = typeof computeOfferings | typeof diskOfferings | typeof networkOfferings;

export interface OfferingKind<T extends OfferingTable> {
  table: T;
  /** "Compute offering": used in messages. */
  noun: string;
  /** The events' resourceType. */
  resourceType: "compute_offering" | "disk_offering" | "network_offering";
  /** Sort keys a client may send, mapped to columns ("scope" sorts by the domain's name). */
  sortable: Record<string, AnyColumn>;
}

/** What every list row and `get` carries besides the offering's own columns. */
export interface ScopeInfo {
  /** The scope's domain name, or "Public". */
  domainName: string;
  /** The scope's materialised path, null for public offerings. */
  domainPath: string | null;
  /** Whether the caller may change this offering (the server checks again on every change). */
  canManage: boolean;
}

export const PUBLIC_SCOPE = "Public";

import { isForeignKeyViolation } from "@/server/core/errors";

export { isForeignKeyViolation };

/** The SQL condition for offerings the caller may see (undefined: no limit). Needs `domains` left-joined. */
export function visibleCondition(caller: Caller, t: OfferingTable): SQL | undefined {
  if (isRootAdmin(caller)) return undefined;
  const publicOrAncestor = or(isNull(t.domainId), inArray(t.domainId, pathIds(caller.domainPath)));
  if (isDomainAdmin(caller)) return or(publicOrAncestor, like(domains.path, `${escapeLike(caller.domainPath)}%`));
  return and(eq(t.state, "active"), publicOrAncestor);
}

/** Root admin: everything; domain admin: offerings scoped to its own domain or below; user: nothing. */
export function canManage(caller: Caller, domainPath: string | null): boolean {
  if (isRootAdmin(caller)) return true;
  if (isDomainAdmin(caller)) return domainPath !== null && domainPath.startsWith(caller.domainPath);
  return false;
}

function selection(t: OfferingTable) {
  return { ...getTableColumns(t as PgTable), scopeName: domains.name, scopePath: domains.path };
}

type Row<T extends OfferingTable> = T["$inferSelect"];
export type OfferingView<T extends OfferingTable> = Row<T> & ScopeInfo;

function toView<T extends OfferingTable>(caller: Caller, r: Record<string, unknown>): OfferingView<T> {
  const { scopeName, scopePath, ...row } = r as { scopeName: string | null; scopePath: string | null };
  return {
    ...(row as unknown as Row<T>),
    domainName: scopeName ?? PUBLIC_SCOPE,
    domainPath: scopePath,
    canManage: canManage(caller, scopePath),
  };
}

export interface OfferingListInput extends PageInput {
  state?: OfferingState;
  activeOnly?: boolean;
}

/** One page of the offerings the caller may see, with their scope's name. */
export async function listOfferings<T extends OfferingTable>(
  db: DbOrTx,
  caller: Caller,
  kind: OfferingKind<T>,
  input: OfferingListInput,
): Promise<Page<OfferingView<T>>> {
  const t = kind.table;
  const conds: (SQL | undefined)[] = [visibleCondition(caller, t)];
  if (input.state) conds.push(eq(t.state, input.state));
  if (input.activeOnly) conds.push(eq(t.state, "active"));
  if (input.search) {
    const q = `%${escapeLike(input.search)}%`;
    conds.push(or(ilike(t.name, q), ilike(t.displayText, q), ilike(domains.name, q)));
  }
  const where = and(...conds);
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const col = sortColumn(kind.sortable, input.sort);
  const order = col ? [input.dir === "desc" ? desc(col) : asc(col), asc(t.name), asc(t.id)] : [asc(t.name), asc(t.id)];
  const [rows, [total]] = await Promise.all([
    db
      .select(selection(t))
      .from(t as PgTable)
      .leftJoin(domains, eq(domains.id, t.domainId))
      .where(where)
      .orderBy(...order)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(t as PgTable)
      .leftJoin(domains, eq(domains.id, t.domainId))
      .where(where),
  ]);
  return { items: rows.map((r) => toView<T>(caller, r)), total: total?.n ?? 0, page, pageSize };
}

/** An offering the caller may see, or NOT_FOUND. */
export async function getOffering<T extends OfferingTable>(
  db: DbOrTx,
  caller: Caller,
  kind: OfferingKind<T>,
  id: string,
): Promise<OfferingView<T>> {
  const t = kind.table;
  const [r] = await db
    .select(selection(t))
    .from(t as PgTable)
    .leftJoin(domains, eq(domains.id, t.domainId))
    .where(and(eq(t.id, id), visibleCondition(caller, t)));
  if (!r) throw notFound(kind.noun);
  return toView<T>(caller, r);
}

/**
 * An offering the caller may change: NOT_FOUND when it cannot see it, FORBIDDEN when it can see it
 * but it belongs to a scope above its own (public, or an ancestor domain's).
 */
export async function getManagedOffering<T extends OfferingTable>(
  db: DbOrTx,
  caller: Caller,
  kind: OfferingKind<T>,
  id: string,
): Promise<OfferingView<T>> {
  const o = await getOffering(db, caller, kind, id);
  if (!o.canManage) {
    throw new ServiceError(
      "FORBIDDEN",
      o.domainId === null
        ? "Public offerings are managed by the root administrator"
        : `${kind.noun} ${o.name} belongs to domain ${o.domainName}, which is managed by its parent domain's administrator`,
    );
  }
  return o;
}

/**
 * The scope a new offering gets: NULL (public, root admin only) or a domain in the caller's subtree
 * (NOT_FOUND otherwise, like any out-of-scope domain).
 */
export async function resolveScope(db: DbOrTx, caller: Caller, domainId: string | null): Promise<Domain | null> {
  if (domainId === null) {
    if (!isRootAdmin(caller)) {
      throw new ServiceError("FORBIDDEN", "Public offerings are managed by the root administrator; choose one of your domains", "domainId");
    }
    return null;
  }
  return getDomainInScope(db, caller, domainId);
}

export const scopeLabel = (domainName: string | null) =>
  domainName === null || domainName === PUBLIC_SCOPE ? "the public scope" : `domain ${domainName}`;

/** Turns a unique violation on (domain_id, name) into a CONFLICT naming the field. */
export function rethrowNameConflict(err: unknown, kind: OfferingKind<OfferingTable>, name: string, domainName: string | null): never {
  if (isUniqueViolation(err))
    throw conflict(`A ${kind.noun.toLowerCase()} named "${name}" already exists in ${scopeLabel(domainName)}`, "name");
  throw err;
}

/** The audit event of a change to an offering, scoped like the offering (null for public). */
export function offeringEvent(
  db: DbOrTx,
  caller: Caller,
  kind: OfferingKind<OfferingTable>,
  o: { id: string; domainId: string | null; domainPath: string | null },
  verb: "CREATE" | "UPDATE" | "ACTIVATE" | "DEACTIVATE" | "DELETE",
  description: string,
  details?: Record<string, unknown>,
) {
  return recordEvent(db, {
    type: `OFFERING.${verb}`,
    description,
    actorUserId: caller.userId,
    domainId: o.domainId,
    domainPath: o.domainPath,
    resourceType: kind.resourceType,
    resourceId: o.id,
    details,
  });
}

/** Locks an offering's row for the rest of the transaction (references to it then wait for us). */
export async function lockOffering(tx: DbOrTx, t: OfferingTable, id: string) {
  await tx.execute(sql`select 1 from ${t} where ${t.id} = ${id} for update`);
}

/**
 * Tables that hold a row referencing this offering (instances, volumes, … whichever exist), found
 * through the foreign keys pointing at the offering's table, so this keeps working as tables arrive.
 */
export async function offeringReferences(db: DbOrTx, t: OfferingTable, id: string): Promise<string[]> {
  const tableName = t === computeOfferings ? "compute_offerings" : t === diskOfferings ? "disk_offerings" : "network_offerings";
  const fks = rowsOf<{ nsp: string; rel: string; col: string }>(
    await db.execute(sql`
      select n.nspname as nsp, r.relname as rel, a.attname as col
      from pg_constraint c
      join pg_class r on r.oid = c.conrelid
      join pg_namespace n on n.oid = r.relnamespace
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and c.confrelid = to_regclass(${tableName}) and array_length(c.conkey, 1) = 1`),
  );
  const used: string[] = [];
  for (const fk of fks) {
    const hit = rowsOf(
      await db.execute(
        sql`select 1 from ${sql.identifier(fk.nsp)}.${sql.identifier(fk.rel)} where ${sql.identifier(fk.col)} = ${id} limit 1`,
      ),
    );
    if (hit.length > 0) used.push(fk.rel);
  }
  return used;
}

const verbs: Record<OfferingState, "ACTIVATE" | "DEACTIVATE"> = { active: "ACTIVATE", inactive: "DEACTIVATE" };

/** Activates or deactivates an offering (inactive ones stay usable by what already uses them). */
export async function setOfferingState<T extends OfferingTable>(
  db: Db,
  caller: Caller,
  kind: OfferingKind<T>,
  input: { id: string; state: OfferingState },
): Promise<OfferingView<T>> {
  const o = await getManagedOffering(db, caller, kind, input.id);
  if (o.state === input.state) return o;
  const t: OfferingTable = kind.table;
  await db.transaction(async (tx) => {
    await tx.update(t).set({ state: input.state }).where(eq(t.id, o.id));
    await offeringEvent(
      tx,
      caller,
      kind,
      o,
      verbs[input.state],
      `${input.state === "active" ? "Activated" : "Deactivated"} ${kind.noun.toLowerCase()} ${o.name}`,
    );
  });
  return getOffering(db, caller, kind, o.id);
}

/** Deletes an unused offering; one still referenced (instances, volumes) must be deactivated instead. */
export async function deleteOffering<T extends OfferingTable>(db: Db, caller: Caller, kind: OfferingKind<T>, id: string): Promise<void> {
  const o = await getManagedOffering(db, caller, kind, id);
  const t: OfferingTable = kind.table;
  try {
    await db.transaction(async (tx) => {
      await tx.delete(t).where(eq(t.id, o.id));
      await offeringEvent(tx, caller, kind, o, "DELETE", `Deleted ${kind.noun.toLowerCase()} ${o.name} (${o.domainName})`);
    });
  } catch (e) {
    if (isForeignKeyViolation(e)) {
      throw new ServiceError("PRECONDITION_FAILED", `${kind.noun} ${o.name} is in use; deactivate it instead`);
    }
    throw e;
  }
}

/**
 * The offering a new resource of an account in `ownerDomainPath` may use: active, and public or
 * scoped to that domain or an ancestor. For the orchestrator's deploy/create-volume paths.
 */
export async function usableOffering<T extends OfferingTable>(
  db: DbOrTx,
  kind: OfferingKind<T>,
  id: string,
  ownerDomainPath: string,
): Promise<Row<T>> {
  const t: OfferingTable = kind.table;
  const [o] = await db
    .select()
    .from(t)
    .where(and(eq(t.id, id), or(isNull(t.domainId), inArray(t.domainId, pathIds(ownerDomainPath)))));
  if (!o) throw notFound(kind.noun);
  if (o.state !== "active") throw new ServiceError("BAD_REQUEST", `${kind.noun} ${o.name} is inactive; choose another one`);
  return o;
}
