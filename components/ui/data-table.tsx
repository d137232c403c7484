"use client";
import { useEffect, useState } from "react";
import { type MenuAction, RowMenu } from "./row-menu";
import { cn } from "./cn";
import { Input } from "./field";
import { EmptyState, ErrorState, Skeleton } from "./states";

const hideBelow = {
  sm: "hidden sm:table-cell",
  md: "hidden md:table-cell",
  lg: "hidden lg:table-cell",
  xl: "hidden xl:table-cell",
} as const;

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => React.ReactNode;
  /** Sortable columns send `key` as the sort field to the server. */
  sortable?: boolean;
  className?: string;
  /** Hidden on narrower screens, so a phone shows the columns that matter without panning. */
  hideBelow?: keyof typeof hideBelow;
}

export interface TableState {
  search: string;
  sort?: string;
  dir: "asc" | "desc";
  page: number;
  pageSize: number;
}

/** Table state for a server-paged list; the search is debounced so typing does not flood the API. */
export function useTableState(initial: Partial<TableState> = {}) {
  const [state, setState] = useState<TableState>({ search: "", dir: "asc", page: 1, pageSize: 20, ...initial });
  const [debounced, setDebounced] = useState(state.search);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(state.search), 250);
    return () => clearTimeout(t);
  }, [state.search]);
  return {
    state,
    /** What to send to a `*.list` procedure. */
    query: { search: debounced || undefined, sort: state.sort, dir: state.dir, page: state.page, pageSize: state.pageSize },
    setSearch: (search: string) => setState((s) => ({ ...s, search, page: 1 })),
    toggleSort: (key: string) => setState((s) => ({ ...s, sort: key, dir: s.sort === key && s.dir === "asc" ? "desc" : "asc", page: 1 })),
    setPage: (page: number) => setState((s) => ({ ...s, page })),
  };
}
export type Table = ReturnType<typeof useTableState>;

/** Which rows are ticked for a bulk action (kept across pages of the same list). */
export function useSelection() {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  return {
    selected,
    has: (id: string) => selected.has(id),
    toggle: (id: string) =>
      setSelected((s) => {
        const next = new Set(s);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    set: (ids: string[]) => setSelected(new Set(ids)),
    clear: () => setSelected(new Set()),
  };
}
export type Selection = ReturnType<typeof useSelection>;

/** What a list query gives the table (a tanstack query result of a `*.list` procedure fits). */
export interface ListQuery<T> {
  data?: { items: T[]; total: number; totalCapped?: boolean };
  isPending: boolean;
  isFetching?: boolean;
  error: { message: string } | null;
  refetch: () => unknown;
}

/**
 * A server-paged table: search, filters, sortable headers (aria-sort), paging, optional row
 * selection with bulk actions, and a row-actions menu in a column that stays in view on the right.
 * Its scroll area contains everything it draws, so a wide table never makes the page pan sideways.
 */
export function DataTable<T>({
  columns,
  query,
  table,
  rowKey,
  label,
  noun,
  emptyTitle = "Nothing here yet",
  emptyHint,
  emptyAction,
  filters,
  toolbar,
  searchPlaceholder = "Search…",
  rowActions,
  rowName,
  selection,
  bulkActions,
  rowTestId,
}: {
  columns: Column<T>[];
  query: ListQuery<T>;
  table: Table;
  rowKey: (row: T) => string;
  /** The table's accessible name, plural ("hosts"). */
  label: string;
  /** Singular and plural for the count under the table; defaults to `label` without its final s. */
  noun?: [string, string];
  emptyTitle?: string;
  emptyHint?: string;
  emptyAction?: React.ReactNode;
  /** Filter controls beside the search. */
  filters?: React.ReactNode;
  /** Buttons at the right end of the toolbar. */
  toolbar?: React.ReactNode;
  searchPlaceholder?: string;
  rowActions?: (row: T) => MenuAction[];
  /** How a row is named in its menu's label ("Actions for host h1"). */
  rowName?: (row: T) => string;
  selection?: Selection;
  /** Shown above the table while rows are selected. */
  bulkActions?: (selected: T[]) => React.ReactNode;
  rowTestId?: (row: T) => string;
}) {
  const { state } = table;
  const rows = query.data?.items;
  const total = query.data?.total;
  const pages = Math.max(1, Math.ceil((total ?? 0) / state.pageSize));
  // A capped total ("1,000+") counts a fixed number of rows past this page: there are more pages.
  const morePages = query.data?.totalCapped === true;
  const [one, many] = noun ?? [label.replace(/s$/, ""), label];
  const selectedRows = selection ? (rows ?? []).filter((r) => selection.has(rowKey(r))) : [];
  return (
    <div className="rounded-lg border border-slate-200 bg-white shadow-xs">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 p-3" role="search" aria-label={`Filter ${label}`}>
        <Input
          type="search"
          aria-label={`Search ${label}`}
          placeholder={searchPlaceholder}
          value={state.search}
          onChange={(e) => {
            table.setSearch(e.target.value);
            selection?.clear();
          }}
          className="w-full sm:w-64"
        />
        {filters}
        {toolbar && <div className="flex flex-wrap gap-2 sm:ml-auto">{toolbar}</div>}
      </div>
      {selection && selectedRows.length > 0 && bulkActions && (
        <div
          role="toolbar"
          aria-label="Bulk actions"
          className="flex flex-wrap items-center gap-2 border-b border-brand-100 bg-brand-50 px-3 py-2 text-sm"
        >
          <span className="font-medium text-brand-800">{selectedRows.length} selected</span>
          {bulkActions(selectedRows)}
          <button type="button" className="ml-auto rounded px-2 py-1 text-slate-700 hover:bg-white" onClick={selection.clear}>
            Clear selection
          </button>
        </div>
      )}
      {query.error ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <TableGrid
          columns={columns}
          rows={rows}
          loading={query.isPending && !rows}
          rowKey={rowKey}
          label={label}
          rowActions={rowActions}
          rowName={rowName}
          selection={selection}
          table={table}
          rowTestId={rowTestId}
          empty={
            <EmptyState title={state.search ? `No ${label} match “${state.search}”` : emptyTitle} hint={emptyHint} action={emptyAction} />
          }
        />
      )}
      <div className="flex flex-wrap items-center justify-between gap-2 border-t border-slate-200 px-4 py-2 text-sm text-slate-700">
        <span>
          {total !== undefined ? `${total.toLocaleString("en-US")}${query.data?.totalCapped ? "+" : ""} ${total === 1 ? one : many}` : " "}
        </span>
        <nav aria-label={`Pages of ${label}`} className="flex items-center gap-2">
          <button
            type="button"
            className="rounded px-2 py-1 hover:bg-slate-100 disabled:text-slate-600"
            disabled={state.page <= 1}
            onClick={() => table.setPage(state.page - 1)}
          >
            Previous
          </button>
          <span>
            Page {state.page} of {pages.toLocaleString("en-US")}
            {morePages ? "+" : ""}
          </span>
          <button
            type="button"
            className="rounded px-2 py-1 hover:bg-slate-100 disabled:text-slate-600"
            disabled={state.page >= pages && !morePages}
            onClick={() => table.setPage(state.page + 1)}
          >
            Next
          </button>
        </nav>
      </div>
    </div>
  );
}

interface GridProps<T> {
  columns: Column<T>[];
  rows: T[] | undefined;
  loading?: boolean;
  rowKey: (row: T) => string;
  label: string;
  rowActions?: (row: T) => MenuAction[];
  rowName?: (row: T) => string;
  selection?: Selection;
  table?: Table;
  rowTestId?: (row: T) => string;
  empty: React.ReactNode;
  className?: string;
  /** It scrolls inside its box: keyboard users reach it (a focusable, named region). */
  scrolls?: boolean;
}

/** The table itself: headers (sortable when a `table` state is given), rows, the row-menu column, skeletons while loading. */
function TableGrid<T>({
  columns,
  rows,
  loading,
  rowKey,
  label,
  rowActions,
  rowName,
  selection,
  table,
  rowTestId,
  empty,
  className,
  scrolls,
}: GridProps<T>) {
  const state = table?.state;
  const allSelected = !!rows && rows.length > 0 && !!selection && rows.every((r) => selection.has(rowKey(r)));
  const th = "px-3 py-2.5 text-left font-medium text-slate-700";
  return (
    <div
      className={cn("relative overflow-x-auto", className)}
      {...(scrolls ? { tabIndex: 0, role: "region", "aria-label": `${label} (scrolls)` } : {})}
    >
      <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label={label}>
        <thead className="sticky top-0 z-10 bg-slate-50">
          <tr>
            {selection && (
              <th scope="col" className="w-10 px-3 py-2.5">
                <input
                  type="checkbox"
                  aria-label={`Select all ${label} on this page`}
                  className="size-4 rounded border-slate-300"
                  checked={allSelected}
                  disabled={!rows?.length}
                  onChange={() => (allSelected ? selection.clear() : selection.set((rows ?? []).map(rowKey)))}
                />
              </th>
            )}
            {columns.map((c) => (
              <th
                key={c.key}
                scope="col"
                className={cn(th, c.hideBelow && hideBelow[c.hideBelow], c.className)}
                aria-sort={c.sortable && state?.sort === c.key ? (state.dir === "asc" ? "ascending" : "descending") : undefined}
              >
                {c.sortable && table ? (
                  <button
                    type="button"
                    className="inline-flex items-center gap-1 whitespace-nowrap hover:text-slate-900"
                    onClick={() => table.toggleSort(c.key)}
                  >
                    {c.header}
                    <span aria-hidden="true" className="text-xs">
                      {state?.sort === c.key ? (state.dir === "asc" ? "▲" : "▼") : "↕"}
                    </span>
                  </button>
                ) : (
                  c.header
                )}
              </th>
            ))}
            {rowActions && (
              <th scope="col" className={cn(th, "sticky right-0 w-12 bg-slate-50 text-right")}>
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {loading
            ? Array.from({ length: 4 }, (_, i) => (
                <tr key={i}>
                  {selection && <td className="w-10 px-3 py-3" />}
                  {columns.map((c) => (
                    <td key={c.key} className={cn("px-3 py-3", c.hideBelow && hideBelow[c.hideBelow])}>
                      <Skeleton className="h-4 w-20" />
                    </td>
                  ))}
                  {rowActions && <td className="px-3 py-3" />}
                </tr>
              ))
            : rows?.map((row) => {
                const key = rowKey(row);
                const picked = selection?.has(key);
                return (
                  <tr key={key} data-testid={rowTestId?.(row)} className={cn("group", picked ? "bg-brand-50/60" : "hover:bg-slate-50")}>
                    {selection && (
                      <td className="w-10 px-3 py-2.5">
                        <input
                          type="checkbox"
                          aria-label={`Select ${rowName?.(row) ?? key}`}
                          className="size-4 rounded border-slate-300"
                          checked={!!picked}
                          onChange={() => selection.toggle(key)}
                        />
                      </td>
                    )}
                    {columns.map((c) => (
                      <td key={c.key} className={cn("px-3 py-2.5 align-middle", c.hideBelow && hideBelow[c.hideBelow], c.className)}>
                        {c.cell(row)}
                      </td>
                    ))}
                    {rowActions && (
                      <td
                        className={cn("sticky right-0 px-3 py-2 text-right", picked ? "bg-brand-50" : "bg-white group-hover:bg-slate-50")}
                      >
                        <RowMenu label={`Actions for ${rowName?.(row) ?? key}`} actions={rowActions(row)} />
                      </td>
                    )}
                  </tr>
                );
              })}
        </tbody>
      </table>
      {rows && rows.length === 0 && empty}
    </div>
  );
}

/**
 * A short list that is already whole (an instance's recent events, a cluster's hosts): the kit's
 * table without search, paging or server sort. `maxHeight` scrolls it inside its card.
 */
export function StaticTable<T>({
  rows,
  emptyTitle = "Nothing here yet",
  emptyHint,
  maxHeight,
  ...grid
}: Omit<GridProps<T>, "rows" | "empty" | "table" | "selection" | "loading" | "className" | "scrolls"> & {
  rows: T[];
  emptyTitle?: string;
  emptyHint?: string;
  maxHeight?: boolean;
}) {
  return (
    <TableGrid
      {...grid}
      rows={rows}
      className={maxHeight ? "max-h-96 overflow-y-auto" : undefined}
      scrolls={maxHeight}
      empty={<EmptyState title={emptyTitle} hint={emptyHint} />}
    />
  );
}
