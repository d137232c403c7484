"use client";
import { useMemo, useState } from "react";
import { count } from "@/components/resource/format";
import { cn } from "@/components/ui/cn";
import { Select } from "@/components/ui/field";
import type { DomainNode } from "./router-types";

/** Children by parent id, and the top nodes (those whose parent the caller cannot see). */
export function indexTree(nodes: DomainNode[]) {
  const ids = new Set(nodes.map((n) => n.id));
  const children = new Map<string, DomainNode[]>();
  const roots: DomainNode[] = [];
  for (const n of nodes) {
    if (n.parentId && ids.has(n.parentId)) {
      const list = children.get(n.parentId) ?? [];
      list.push(n);
      children.set(n.parentId, list);
    } else roots.push(n);
  }
  const byName = (a: DomainNode, b: DomainNode) => a.name.localeCompare(b.name);
  roots.sort(byName);
  for (const list of children.values()) list.sort(byName);
  return { roots, children };
}

/** "ROOT / Acme Cloud / dev" for a domain, from the names of the visible tree. */
export function displayPath(nodes: DomainNode[], id: string): string {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const node = byId.get(id);
  if (!node) return "";
  return node.path
    .split("/")
    .filter(Boolean)
    .map((part) => byId.get(part)?.name)
    .filter((n): n is string => Boolean(n))
    .join(" / ");
}

/** Tree order (depth first), with each node's depth relative to the visible top. */
export function flattenTree(nodes: DomainNode[]): { node: DomainNode; depth: number }[] {
  const { roots, children } = indexTree(nodes);
  const out: { node: DomainNode; depth: number }[] = [];
  const walk = (n: DomainNode, depth: number) => {
    out.push({ node: n, depth });
    for (const c of children.get(n.id) ?? []) walk(c, depth + 1);
  };
  roots.forEach((r) => walk(r, 0));
  return out;
}

/** An expandable tree of domains (ARIA tree); the selected node is highlighted. */
export function DomainTree({
  nodes,
  selectedId,
  onSelect,
}: {
  nodes: DomainNode[];
  selectedId: string | null;
  onSelect: (id: string) => void;
}) {
  const { roots, children } = useMemo(() => indexTree(nodes), [nodes]);
  // Expanded: the visible top, and every ancestor of the selected node (kept open as selection moves).
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(roots.map((r) => r.id)));
  const selectedPath = nodes.find((n) => n.id === selectedId)?.path;
  // Opened while rendering, when the selection moves, so the tree never paints with it hidden.
  const [openedFor, setOpenedFor] = useState<string | undefined>(undefined);
  if (selectedPath !== openedFor) {
    setOpenedFor(selectedPath);
    if (selectedPath) {
      const ancestors = selectedPath.split("/").filter((p) => p && p !== selectedId);
      setExpanded((prev) => (ancestors.every((a) => prev.has(a)) ? prev : new Set([...prev, ...ancestors])));
    }
  }
  const isOpen = (id: string) => expanded.has(id);
  const toggle = (id: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const renderNode = (n: DomainNode, depth: number): React.ReactNode => {
    const kids = children.get(n.id) ?? [];
    const open = isOpen(n.id);
    const active = n.id === selectedId;
    return (
      <li
        key={n.id}
        role="treeitem"
        aria-labelledby={`domain-${n.id}`}
        aria-selected={active}
        aria-expanded={kids.length ? open : undefined}
      >
        <div
          className={cn(
            "group flex items-center gap-1 rounded-md pr-2 text-sm",
            active ? "bg-brand-50 text-brand-700 ring-1 ring-brand-600/20" : "text-slate-700 hover:bg-slate-100",
          )}
          style={{ paddingLeft: `${depth * 1.1 + 0.25}rem` }}
        >
          {kids.length ? (
            <button
              type="button"
              tabIndex={-1}
              aria-label={`${open ? "Collapse" : "Expand"} ${n.name}`}
              onClick={() => toggle(n.id)}
              className="flex size-6 shrink-0 items-center justify-center rounded text-slate-600 hover:bg-slate-200 hover:text-slate-700"
            >
              <span aria-hidden="true" className={cn("inline-block text-[10px] transition-transform", open && "rotate-90")}>
                ▶
              </span>
            </button>
          ) : (
            <span className="size-6 shrink-0" aria-hidden="true" />
          )}
          <button
            type="button"
            onClick={() => onSelect(n.id)}
            onKeyDown={(e) => {
              if (e.key === "ArrowRight" && kids.length && !open) toggle(n.id);
              if (e.key === "ArrowLeft" && kids.length && open) toggle(n.id);
            }}
            className="flex min-w-0 flex-1 items-center justify-between gap-2 py-1.5 text-left"
          >
            <span id={`domain-${n.id}`} className={cn("truncate", active && "font-medium")}>
              {n.name}
            </span>
          </button>
          {/* Outside the button: its name is exactly what it shows, the domain's name. */}
          {n.accountCount > 0 && (
            <span className="shrink-0 text-xs text-slate-600 tabular-nums" title={count(n.accountCount, "account")}>
              {n.accountCount}
              <span className="sr-only"> {n.accountCount === 1 ? "account" : "accounts"}</span>
            </span>
          )}
        </div>
        {kids.length > 0 && open && <ul role="group">{kids.map((k) => renderNode(k, depth + 1))}</ul>}
      </li>
    );
  };

  return (
    <ul role="tree" aria-label="Domains" className="space-y-0.5 p-2">
      {roots.map((r) => renderNode(r, 0))}
    </ul>
  );
}

/** A <select> of visible domains, in tree order, each labelled with its full path. */
export const DomainOptions = ({ nodes, exclude }: { nodes: DomainNode[]; exclude?: (n: DomainNode) => boolean }) => (
  <>
    {flattenTree(nodes)
      .filter(({ node }) => !exclude?.(node))
      .map(({ node }) => (
        <option key={node.id} value={node.id}>
          {displayPath(nodes, node.id)}
        </option>
      ))}
  </>
);

export { Select };
