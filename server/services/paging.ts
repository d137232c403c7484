import { and, asc, count, desc, inArray, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { DbOrTx } from "@/db";
import { jobs } from "@/db/schema";

export { listInputOf, sortKeysOf } from "@/lib/validation/common";

/** What a list service takes: search, page, and a sort key the router validated against the list's keys. */
export interface PageInput<K extends string = string> {
  search?: string;
  sort?: K;
  dir?: "asc" | "desc";
  page?: number;
  pageSize?: number;
}

/**
 * The column for a sort key, or undefined. The router's enum already refused unknown keys; this
 * looks at own properties only anyway, so no key ("__proto__", "constructor") can reach a prototype.
 */
export function sortColumn<V>(sortable: Record<string, V>, key: string | undefined): V | undefined {
  return key !== undefined && Object.hasOwn(sortable, key) ? sortable[key] : undefined;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/**
 * Runs one page of a single-table query. `sortable` whitelists the columns a client may sort by;
 * anything else falls back to `fallback`, so a sort key from the browser never reaches SQL as text.
 */
export async function pageOf<T extends PgTable>(
  db: DbOrTx,
  table: T,
  where: SQL | undefined,
  input: PageInput,
  sortable: Record<string, AnyColumn>,
  fallback: SQL,
): Promise<Page<T["$inferSelect"]>> {
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const col = sortColumn(sortable, input.sort);
  const order = col ? (input.dir === "desc" ? desc(col) : asc(col)) : fallback;
  const [items, [total]] = await Promise.all([
    db
      .select()
      .from(table as PgTable)
      .where(where)
      .orderBy(order)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db
      .select({ n: count() })
      .from(table as PgTable)
      .where(where),
  ]);
  return { items, total: total?.n ?? 0, page, pageSize };
}

/** Sorts and slices an in-memory list the same way, for lists built from joins. */
export function pageArray<T>(rows: T[], input: PageInput, key: (row: T, sort: string) => unknown): Page<T> {
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const sort = input.sort;
  const sorted = sort
    ? [...rows].sort((a, b) => {
        const x = key(a, sort);
        const y = key(b, sort);
        const c = x == null ? -1 : y == null ? 1 : x < y ? -1 : x > y ? 1 : 0;
        return input.dir === "desc" ? -c : c;
      })
    : rows;
  return { items: sorted.slice((page - 1) * pageSize, page * pageSize), total: rows.length, page, pageSize };
}

/**
 * Counting stops this many rows past the page asked for: a list then says "1,000+" and a page
 * stays fast however many rows the scope holds (a tenant with 10,000 VMs made a first page read
 * all 10,000 at the old cap of 10,000), while Next still leads on past the cap.
 */
export const COUNT_CAP = 1_000;

/** How many rows of `table` match `where`, counted up to `limit` + 1 (so callers can tell "more than the cap"). */
export async function cappedCount(db: DbOrTx, table: PgTable, where: SQL | undefined, limit = COUNT_CAP): Promise<number> {
  const [row] = await db.select({ n: count() }).from(
    db
      .select({ one: sql`1` })
      .from(table)
      .where(where)
      .limit(limit + 1)
      .as("capped"),
  );
  return row?.n ?? 0;
}

/** A list's total for the page at `offset`: exact up to COUNT_CAP rows past the page's start, then "at least". */
export async function pageTotal(db: DbOrTx, table: PgTable, where: SQL | undefined, offset: number) {
  const cap = offset + COUNT_CAP;
  const n = await cappedCount(db, table, where, cap);
  return { total: Math.min(n, cap), totalCapped: n > cap };
}

/** The job queued or running for each of these resources (one per resource: the partial unique index), by resource id. */
export async function activeJobsOf(db: DbOrTx, resourceIds: string[]) {
  if (resourceIds.length === 0) return new Map<string, { id: string; resourceId: string; type: string; progress: number }>();
  const rows = await db
    .select({ id: jobs.id, resourceId: jobs.resourceId, type: jobs.type, progress: jobs.progress })
    .from(jobs)
    .where(and(inArray(jobs.resourceId, resourceIds), inArray(jobs.status, ["queued", "running"])));
  return new Map(rows.map((j) => [j.resourceId, j]));
}
