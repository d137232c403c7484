"use client";
import { useEffect, useId, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";

export interface MenuAction {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  /** Why the action is not possible now: it stays in the menu, disabled, with this reason under it. */
  disabled?: string | false | null;
  /** Not offered at all (the caller may never do it). */
  hidden?: boolean;
}

/**
 * A row's "⋯" menu. It lists the same actions as the object's own page; those not possible now are
 * shown disabled with the reason. Keyboard: Enter/Space opens it and focuses the first item, arrows
 * and Tab move, Escape closes it and returns focus to the button.
 */
export function RowMenu({ label, actions }: { label: string; actions: MenuAction[] }) {
  const [open, setOpen] = useState(false);
  const [pos, setPos] = useState<{ top?: number; bottom?: number; right: number }>({ right: 0 });
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const baseId = useId();
  const inside = (t: EventTarget | null) => !!t && (!!ref.current?.contains(t as Node) || !!menu.current?.contains(t as Node));
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>("[role=menuitem]:not([aria-disabled=true])")?.focus();
    const onDown = (e: MouseEvent) => !inside(e.target) && setOpen(false);
    const onScroll = (e: Event) => !menu.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener("mousedown", onDown);
    window.addEventListener("scroll", onScroll, true);
    window.addEventListener("resize", onScroll);
    return () => {
      document.removeEventListener("mousedown", onDown);
      window.removeEventListener("scroll", onScroll, true);
      window.removeEventListener("resize", onScroll);
    };
  }, [open]);
  const shown = actions.filter((a) => !a.hidden);
  if (shown.length === 0) return null;

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close(true);
      return;
    }
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]") ?? [])];
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    const next = items[(i + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length];
    next?.focus();
  };

  return (
    <div
      ref={ref}
      className="relative inline-block text-left"
      onKeyDown={onKeyDown}
      onBlur={(e) => open && !inside(e.relatedTarget) && setOpen(false)}
    >
      <button
        ref={button}
        type="button"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={(e) => {
          // Fixed position: a table's scroll container would clip an absolutely placed menu.
          const r = e.currentTarget.getBoundingClientRect();
          const right = Math.max(4, window.innerWidth - r.right);
          const below = r.bottom + 4 + 40 * shown.length < window.innerHeight;
          setPos(below ? { top: r.bottom + 4, right } : { bottom: window.innerHeight - r.top + 4, right });
          setOpen((o) => !o);
        }}
        className="inline-flex h-8 min-w-8 items-center justify-center rounded-md px-2 text-slate-700 ring-1 ring-slate-200 ring-inset hover:bg-slate-100 hover:text-slate-900"
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {/* In a portal: a sticky table cell is a stacking context that later rows would paint over. */}
      {open &&
        createPortal(
          <div
            ref={menu}
            role="menu"
            aria-label={label}
            style={pos}
            className="fixed z-40 w-56 max-w-[calc(100vw-8px)] overflow-hidden rounded-md border border-slate-200 bg-white py-1 shadow-lg"
          >
            {shown.map((a, i) => {
              const reasonId = `${baseId}-${i}`;
              return (
                <div key={a.label} role="none">
                  <button
                    type="button"
                    role="menuitem"
                    aria-disabled={a.disabled ? true : undefined}
                    aria-describedby={a.disabled ? reasonId : undefined}
                    onClick={() => {
                      if (a.disabled) return;
                      close(false);
                      a.onSelect();
                    }}
                    className={cn(
                      "block w-full px-3 py-1.5 text-left text-sm focus:bg-slate-100 focus:outline-none",
                      a.disabled
                        ? "cursor-not-allowed text-slate-600"
                        : a.danger
                          ? "text-red-700 hover:bg-red-50"
                          : "text-slate-800 hover:bg-slate-50",
                    )}
                  >
                    {a.label}
                  </button>
                  {a.disabled && (
                    <p id={reasonId} className="px-3 pb-1.5 text-xs text-slate-600">
                      {a.disabled}
                    </p>
                  )}
                </div>
              );
            })}
          </div>,
          // Inside the page's main landmark (screen readers find it where the row is), else the body.
          document.querySelector("main") ?? document.body,
        )}
    </div>
  );
}

/** The same actions as a row's menu, as the buttons of an object's own page; a disabled one gives its reason on hover. */
export function ActionBar({ label, actions }: { label: string; actions: MenuAction[] }) {
  return (
    <div role="toolbar" aria-label={label} className="flex flex-wrap gap-2">
      {actions
        .filter((a) => !a.hidden)
        .map((a) => (
          <Button
            key={a.label}
            variant={a.danger ? "danger" : "secondary"}
            disabled={!!a.disabled}
            title={a.disabled || undefined}
            onClick={a.onSelect}
          >
            {a.label}
          </Button>
        ))}
    </div>
  );
}
