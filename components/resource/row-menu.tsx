"use client";
import { useEffect, useRef, useState } from "react";
import { cn } from "@/components/ui/cn";

export interface MenuAction {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  disabled?: boolean;
}

/** A row's "⋯" actions menu: a button that opens a small menu; Escape or a click outside closes it. */
export function RowMenu({ label, actions }: { label: string; actions: MenuAction[] }) {
  const [open, setOpen] = useState(false);
  const [pos, setPos] = useState({ top: 0, right: 0 });
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    const onScroll = () => setOpen(false);
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    window.addEventListener("scroll", onScroll, true);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("scroll", onScroll, true);
    };
  }, [open]);
  const visible = actions.filter((a) => !a.disabled);
  if (visible.length === 0) return null;
  return (
    <div ref={ref} className="relative inline-block text-left">
      <button
        type="button"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={(e) => {
          // Fixed position: a table's overflow container would clip an absolutely placed menu.
          const r = e.currentTarget.getBoundingClientRect();
          setPos({ top: r.bottom + 4, right: window.innerWidth - r.right });
          setOpen((o) => !o);
        }}
        className="rounded-md px-2 py-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900"
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <div role="menu" aria-label={label} style={{ top: pos.top, right: pos.right }}
          className="fixed z-40 w-44 overflow-hidden rounded-md border border-slate-200 bg-white py-1 shadow-lg">
          {visible.map((a) => (
            <button
              key={a.label}
              type="button"
              role="menuitem"
              onClick={() => {
                setOpen(false);
                a.onSelect();
              }}
              className={cn("block w-full px-3 py-1.5 text-left text-sm hover:bg-slate-50", a.danger ? "text-red-600" : "text-slate-700")}
            >
              {a.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
