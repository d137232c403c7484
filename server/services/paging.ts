import { asc, count, desc, type AnyColumn, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { DbOrTx } from "@/db";

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
