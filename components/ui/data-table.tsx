"use client";
import { useEffect, useState } from "react";
import { cn } from "./cn";
import { Input } from "./field";
import { EmptyState, ErrorState, Skeleton } from "./states";

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => React.ReactNode;
  /** Sortable columns send `key` as the sort field to the server. */
  sortable?: boolean;
  className?: string;
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
    toggleSort: (key: string) =>
      setState((s) => ({ ...s, sort: key, dir: s.sort === key && s.dir === "asc" ? "desc" : "asc", page: 1 })),
    setPage: (page: number) => setState((s) => ({ ...s, page })),
  };
}

export function DataTable<T>({
  columns,
  rows,
  total,
  table,
  rowKey,
  isLoading,
  error,
  onRetry,
  emptyTitle = "Nothing here yet",
  emptyHint,
  emptyAction,
  toolbar,
  searchPlaceholder = "Search…",
  label,
}: {
  columns: Column<T>[];
  rows: T[] | undefined;
  total: number | undefined;
  table: ReturnType<typeof useTableState>;
  rowKey: (row: T) => string;
  isLoading?: boolean;
  error?: { message: string } | null;
  onRetry?: () => void;
  emptyTitle?: string;
  emptyHint?: string;
  emptyAction?: React.ReactNode;
  toolbar?: React.ReactNode;
  searchPlaceholder?: string;
  label: string;
}) {
  const { state } = table;
  const pages = Math.max(1, Math.ceil((total ?? 0) / state.pageSize));
  return (
    <div className="rounded-lg border border-slate-200 bg-white shadow-xs">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 p-3">
        <Input
          type="search"
          aria-label={`Search ${label}`}
          placeholder={searchPlaceholder}
          value={state.search}
          onChange={(e) => table.setSearch(e.target.value)}
          className="max-w-xs"
        />
        <div className="ml-auto flex flex-wrap gap-2">{toolbar}</div>
      </div>
      {error ? (
        <ErrorState error={error} onRetry={onRetry} />
      ) : (
        <div className="overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label={label}>
            <thead className="bg-slate-50">
              <tr>
                {columns.map((c) => (
                  <th key={c.key} scope="col" className={cn("px-4 py-2.5 text-left font-medium text-slate-600", c.className)}>
                    {c.sortable ? (
                      <button type="button" className="inline-flex items-center gap-1 hover:text-slate-900" onClick={() => table.toggleSort(c.key)}>
                        {c.header}
                        <span aria-hidden="true" className="text-xs">
                          {state.sort === c.key ? (state.dir === "asc" ? "▲" : "▼") : "↕"}
                        </span>
                      </button>
                    ) : (
                      c.header
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {isLoading && !rows
                ? Array.from({ length: 4 }, (_, i) => (
                    <tr key={i}>
                      {columns.map((c) => (
                        <td key={c.key} className="px-4 py-3">
                          <Skeleton className="h-4 w-24" />
                        </td>
                      ))}
                    </tr>
                  ))
                : rows?.map((row) => (
                    <tr key={rowKey(row)} className="hover:bg-slate-50">
                      {columns.map((c) => (
                        <td key={c.key} className={cn("px-4 py-2.5 align-middle", c.className)}>
                          {c.cell(row)}
                        </td>
                      ))}
                    </tr>
                  ))}
            </tbody>
          </table>
          {rows && rows.length === 0 && <EmptyState title={state.search ? `No ${label} match “${state.search}”` : emptyTitle} hint={emptyHint} action={emptyAction} />}
        </div>
      )}
      <div className="flex items-center justify-between border-t border-slate-200 px-4 py-2 text-sm text-slate-600">
        <span>{total !== undefined ? `${total.toLocaleString()} ${total === 1 ? label.replace(/s$/, "") : label}` : " "}</span>
        <div className="flex items-center gap-2">
          <button type="button" className="rounded px-2 py-1 hover:bg-slate-100 disabled:opacity-40" disabled={state.page <= 1} onClick={() => table.setPage(state.page - 1)}>
            Previous
          </button>
          <span>
            Page {state.page} of {pages}
          </span>
          <button type="button" className="rounded px-2 py-1 hover:bg-slate-100 disabled:opacity-40" disabled={state.page >= pages} onClick={() => table.setPage(state.page + 1)}>
            Next
          </button>
        </div>
      </div>
    </div>
  );
}
