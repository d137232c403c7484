"use client";
import { useSyncExternalStore } from "react";

/**
 * Success feedback: `toast("Account created")` from anywhere, shown by a <Toaster /> on the page
 * (a polite live region, so screen readers announce it). A tiny module store; no provider needed.
 */
interface Toast {
  id: number;
  message: string;
  tone: "success" | "error";
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

export function toast(message: string, tone: Toast["tone"] = "success") {
  const id = nextId++;
  toasts = [...toasts, { id, message, tone }];
  emit();
  setTimeout(() => dismiss(id), 5000);
}

function dismiss(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const empty: Toast[] = [];

export function Toaster() {
  const list = useSyncExternalStore(subscribe, () => toasts, () => empty);
  return (
    <div role="status" aria-live="polite" className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-full max-w-sm flex-col gap-2">
      {list.map((t) => (
        <div
          key={t.id}
          className={`pointer-events-auto flex items-start gap-3 rounded-lg border bg-white px-4 py-3 text-sm shadow-lg ${
            t.tone === "success" ? "border-emerald-200" : "border-red-200"
          }`}
        >
          <span aria-hidden="true" className={t.tone === "success" ? "text-emerald-600" : "text-red-600"}>
            {t.tone === "success" ? "✓" : "!"}
          </span>
          <p className="flex-1 text-slate-800">{t.message}</p>
          <button type="button" aria-label="Dismiss" className="text-slate-400 hover:text-slate-700" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
