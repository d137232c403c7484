"use client";
import { useEffect, useRef, useState } from "react";
import { Button } from "./button";
import { cn } from "./cn";

/**
 * State that belongs to one opening of a dialog: it goes back to `initial` each time `openedFor`
 * changes to a truthy value (the dialog opened, or opened for another object). Adjusted during
 * render rather than in an effect, so the previous opening's value is never painted.
 */
export function useOpeningState<T>(openedFor: unknown, initial: T) {
  const [value, setValue] = useState(initial);
  const [seen, setSeen] = useState(openedFor);
  if (seen !== openedFor) {
    setSeen(openedFor);
    if (openedFor) setValue(initial);
  }
  return [value, setValue] as const;
}

/** A modal built on the native <dialog> element: focus trap, Escape and backdrop for free. */
export function Dialog({
  open,
  onClose,
  title,
  children,
  footer,
  wide,
  extraWide,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: React.ReactNode;
  footer?: React.ReactNode;
  wide?: boolean;
  /** Wider still, for charts. */
  extraWide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      onClick={(e) => e.target === ref.current && onClose()}
      aria-labelledby="dialog-title"
      className={cn(
        "m-auto w-full rounded-lg p-0 shadow-xl backdrop:bg-slate-900/40",
        extraWide ? "max-w-5xl" : wide ? "max-w-2xl" : "max-w-md",
      )}
    >
      {open && (
        <div className="flex flex-col">
          <div className="border-b border-slate-200 px-5 py-3">
            <h2 id="dialog-title" className="text-base font-semibold">
              {title}
            </h2>
          </div>
          <div className="px-5 py-4">{children}</div>
          {footer && <div className="flex justify-end gap-2 border-t border-slate-200 bg-slate-50 px-5 py-3">{footer}</div>}
        </div>
      )}
    </dialog>
  );
}

/** Asks before a destructive or important action; shows the action's error if it fails. */
export function ConfirmDialog({
  open,
  onClose,
  title,
  message,
  confirmLabel = "Confirm",
  danger,
  loading,
  error,
  onConfirm,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  message: React.ReactNode;
  confirmLabel?: string;
  danger?: boolean;
  loading?: boolean;
  error?: string | null;
  onConfirm: () => void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={title}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button variant={danger ? "danger" : "primary"} loading={loading} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div className="text-sm text-slate-700">{message}</div>
      {error && (
        <p role="alert" className="mt-3 rounded-md bg-red-50 p-2 text-sm text-red-700">
          {error}
        </p>
      )}
    </Dialog>
  );
}
