import { asc, count, desc, type AnyColumn, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { DbOrTx } from "@/db";

/** The list input every table in the UI sends: search, sort, page. */
export const pageInput = z.object({
  search: z.string().trim().max(200).optional(),
  sort: z.string().max(64).optional(),
  dir: z.enum(["asc", "desc"]).default("asc"),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(20),
});
export type PageInput = Partial<z.input<typeof pageInput>>;

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
  const col = input.sort ? sortable[input.sort] : undefined;
  const order = col ? (input.dir === "desc" ? desc(col) : asc(col)) : fallback;
  const [items, [total]] = await Promise.all([
    db
      .select()
      .from(table as PgTable)
      .where(where)
      .orderBy(order)
      .limit(pageSize)
      .offset((page - 1) * pageSize),
    db.select({ n: count() }).from(table as PgTable).where(where),
  ]);
  return { items: items as T["$inferSelect"][], total: total?.n ?? 0, page, pageSize };
}

/** Sorts and slices an in-memory list the same way, for lists built from joins. */
export function pageArray<T>(rows: T[], input: PageInput, key: (row: T, sort: string) => unknown): Page<T> {
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 20;
  const sorted = input.sort
    ? [...rows].sort((a, b) => {
        const x = key(a, input.sort!);
        const y = key(b, input.sort!);
        const c = x == null ? -1 : y == null ? 1 : x < y ? -1 : x > y ? 1 : 0;
        return input.dir === "desc" ? -c : c;
      })
    : rows;
  return { items: sorted.slice((page - 1) * pageSize, page * pageSize), total: rows.length, page, pageSize };
}
