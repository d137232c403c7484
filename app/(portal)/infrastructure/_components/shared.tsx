"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Select } from "@/components/ui/field";
import { ErrorState, Loading } from "@/components/ui/states";
import { useTRPC } from "@/lib/trpc/client";
import type { AppRouter } from "@/server/api/root";

/** Pieces the infrastructure pages share: row types, formatting, usage bars, row actions, dialogs. */

type Outputs = inferRouterOutputs<AppRouter>;
export type ZoneRow = Outputs["zone"]["list"]["items"][number];
export type ZoneCapacity = Outputs["zone"]["capacity"][number];
export type PodRow = Outputs["pod"]["list"]["items"][number];
export type ClusterRow = Outputs["cluster"]["list"]["items"][number];
export type HostRow = Outputs["host"]["list"]["items"][number];
export type StoragePoolRow = Outputs["storagePool"]["list"]["items"][number];
export type SecondaryStoreRow = Outputs["secondaryStore"]["list"]["items"][number];

export const infraCrumb = { label: "Infrastructure", href: "/infrastructure/zones" };

export const errorMessage = (err: unknown) =>
  err && typeof err === "object" && "message" in err && typeof err.message === "string" ? err.message : "Something went wrong";

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

/** 2400 → "2,400 MHz"; 153600 → "153.6 GHz". */
export const formatMhz = (mhz: number) => (mhz >= 10_000 ? `${fmt(mhz / 1000)} GHz` : `${fmt(mhz, 0)} MHz`);
/** MiB as admins read memory: "512 MiB", "128 GiB", "1.5 TiB". */
export const formatMib = (mib: number) =>
  mib >= 1024 * 1024 ? `${fmt(mib / 1024 / 1024)} TiB` : mib >= 1024 ? `${fmt(mib / 1024)} GiB` : `${fmt(mib, 0)} MiB`;
/** GiB of storage: "500 GiB", "10 TiB". */
export const formatGib = (gib: number) => (gib >= 1024 ? `${fmt(gib / 1024)} TiB` : `${fmt(gib, 0)} GiB`);
/** An over-provisioning factor: "× 2", "× 1.25". */
export const formatFactor = (f: number) => `× ${fmt(f, 2)}`;

export const hypervisorLabel: Record<string, string> = { simulator: "Simulator", kvm: "KVM" };
export const allocationLabel: Record<string, string> = { first_fit: "First fit", random: "Random", user_dispersing: "User dispersing" };

/** "ssd, gpu" → ["ssd", "gpu"] (what tag inputs register with; the schema reports bad tags). */
export const parseTags = (v: unknown): string[] =>
  Array.isArray(v) ? (v as string[]) : [...new Set(String(v ?? "").split(/[\s,]+/).filter(Boolean))];

/** The message of an array field's error, whether the array or one element failed. */
export function tagError(err: unknown): string | undefined {
  if (!err || typeof err !== "object") return undefined;
  if ("message" in err && typeof err.message === "string") return err.message;
  for (const v of Object.values(err)) {
    const m = tagError(v);
    if (m) return m;
  }
  return undefined;
}

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {tags.map((t) => (
        <Badge key={t} tone="gray">
          {t}
        </Badge>
      ))}
    </span>
  );
}

/** Used against total as a bar; amber from 70 %, red from 90 %. `compact` for table cells. */
export function UsageBar({
  label,
  used,
  total,
  format,
  compact,
}: {
  label: string;
  used: number;
  total: number;
  format: (n: number) => string;
  compact?: boolean;
}) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : used > 0 ? 100 : 0;
  const tone = pct >= 90 ? "bg-red-500" : pct >= 70 ? "bg-amber-500" : "bg-brand-500";
  return (
    <div className={compact ? "min-w-36" : undefined}>
      <div className={cn("flex items-baseline justify-between gap-2", compact ? "text-xs" : "text-sm")}>
        {!compact && <span className="font-medium text-slate-700">{label}</span>}
        <span className="tabular-nums text-slate-500">
          {format(used)} / {format(total)}
          {total > 0 && <span className="ml-1 text-slate-400">({fmt(pct, 0)}%)</span>}
        </span>
      </div>
      <div
        className={cn("mt-1 overflow-hidden rounded-full bg-slate-100", compact ? "h-1.5" : "h-2")}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuenow={used}
        aria-valuemax={total}
        aria-valuetext={`${format(used)} of ${format(total)}`}
      >
        <div className={cn("h-full rounded-full", tone)} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** A success or failure line above a table, dismissible. */
export type NoticeValue = { tone: "ok" | "error"; text: string } | null;
export function Notice({ notice, onDismiss }: { notice: NoticeValue; onDismiss: () => void }) {
  if (!notice) return null;
  return (
    <div
      role={notice.tone === "error" ? "alert" : "status"}
      className={cn(
        "mb-4 flex items-start justify-between gap-3 rounded-md p-3 text-sm",
        notice.tone === "error" ? "bg-red-50 text-red-800" : "bg-emerald-50 text-emerald-800",
      )}
    >
      <span>{notice.text}</span>
      <button type="button" className="font-medium underline" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

export function FormError({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700">
      {message}
    </p>
  ) : null;
}

type AnyState = "enabled" | "disabled" | "maintenance";

/**
 * Edit, Enable/Disable, Maintenance (hosts and pools) and Delete buttons of a row; each button's
 * accessible name says what it does to which object ("Disable host sim-host-1").
 */
export function RowActions({
  noun,
  row,
  onEdit,
  onSetState,
  onDelete,
  maintenance,
  busy,
}: {
  noun: string;
  row: { name: string; state?: AnyState };
  onEdit: () => void;
  onSetState?: (state: AnyState) => void;
  onDelete: () => void;
  maintenance?: boolean;
  busy?: boolean;
}) {
  const target = `${noun} ${row.name}`;
  const stateButton = (state: AnyState, text: string) => (
    <Button size="sm" variant="ghost" aria-label={`${text} ${target}`} disabled={busy} onClick={() => onSetState?.(state)}>
      {text}
    </Button>
  );
  return (
    <div className="flex justify-end gap-1 whitespace-nowrap">
      <Button size="sm" variant="ghost" aria-label={`Edit ${target}`} onClick={onEdit}>
        Edit
      </Button>
      {onSetState && row.state && (
        <>
          {row.state === "enabled" ? stateButton("disabled", "Disable") : stateButton("enabled", "Enable")}
          {maintenance && row.state !== "maintenance" && stateButton("maintenance", "Maintenance")}
        </>
      )}
      <Button size="sm" variant="ghost" className="text-red-600 hover:bg-red-50" aria-label={`Delete ${target}`} onClick={onDelete}>
        Delete
      </Button>
    </div>
  );
}

/** Asks before deleting; shows the server's refusal ("still has 2 pods; delete them first"). */
export function DeleteDialog({
  noun,
  name,
  open,
  onClose,
  onConfirm,
  loading,
  error,
  hint,
}: {
  noun: string;
  name: string | undefined;
  open: boolean;
  onClose: () => void;
  onConfirm: () => void;
  loading: boolean;
  error: string | null;
  hint?: string;
}) {
  return (
    <ConfirmDialog
      open={open}
      onClose={onClose}
      title={`Delete ${noun}`}
      confirmLabel="Delete"
      danger
      loading={loading}
      error={error}
      onConfirm={onConfirm}
      message={
        <>
          Delete the {noun} <strong>{name}</strong>? This cannot be undone.{hint ? ` ${hint}` : ""}
        </>
      }
    />
  );
}

/** Which row's dialog is open. */
export function useRowDialogs<T>() {
  const [editing, setEditing] = useState<T | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<T | null>(null);
  return { editing, setEditing, creating, setCreating, deleting, setDeleting };
}

/** All zones, pods or clusters for selects and filters (infrastructure is small: one page of 200). */
const everything = { pageSize: 200, sort: "name" } as const;
export function useZoneOptions(enabled = true) {
  const trpc = useTRPC();
  return useQuery(trpc.zone.list.queryOptions(everything, { enabled, select: (p) => p.items }));
}
export function usePodOptions(enabled = true) {
  const trpc = useTRPC();
  return useQuery(trpc.pod.list.queryOptions({ pageSize: 200 }, { enabled, select: (p) => p.items }));
}
export function useClusterOptions(enabled = true) {
  const trpc = useTRPC();
  return useQuery(trpc.cluster.list.queryOptions({ pageSize: 200 }, { enabled, select: (p) => p.items }));
}

/** A filter select above a table ("All zones" + options). */
export function FilterSelect({
  label,
  allLabel,
  value,
  onChange,
  options,
}: {
  label: string;
  allLabel: string;
  value: string;
  onChange: (v: string) => void;
  options: { value: string; label: string }[];
}) {
  return (
    <Select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} className="w-48">
      <option value="">{allLabel}</option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </Select>
  );
}

/** The state filter: enabled/disabled, plus maintenance for hosts and pools. */
export function StateFilter({ value, onChange, maintenance }: { value: string; onChange: (v: string) => void; maintenance?: boolean }) {
  return (
    <FilterSelect
      label="Filter by state"
      allLabel="All states"
      value={value}
      onChange={onChange}
      options={[
        { value: "enabled", label: "Enabled" },
        { value: "disabled", label: "Disabled" },
        ...(maintenance ? [{ value: "maintenance", label: "Maintenance" }] : []),
      ]}
    />
  );
}

/** Hosts counted as "in service" beside a total. */
export function Count({ n, label }: { n: number; label: string }) {
  return (
    <span className={cn("tabular-nums", n === 0 && "text-slate-400")} title={`${n} ${label}`}>
      {n.toLocaleString("en-US")}
    </span>
  );
}

/** Filters a page starts with, from links such as /infrastructure/hosts?clusterId=… */
export interface InitialFilter {
  zoneId?: string;
  podId?: string;
  clusterId?: string;
}

/** A filter id from the address bar, or "" when it is not an id (so the API never sees junk). */
export const idOrEmpty = (v: string | undefined) => (v && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v : "");

/** The message for a parent select: the server's ("Zone not found"), or "Choose a …" when empty. */
export function parentError(err: { type?: string | number; message?: string } | undefined, what: string): string | undefined {
  if (!err) return undefined;
  return err.type === "server" && err.message ? err.message : `Choose a ${what}`;
}

/** Renders `children` once the options a form needs are loaded (so selects start on real values). */
export function WhenLoaded<T>({
  query,
  what,
  children,
}: {
  query: { data: T | undefined; error: { message: string } | null; isPending: boolean; refetch: () => unknown };
  what: string;
  children: (data: T) => React.ReactNode;
}) {
  if (query.error) return <ErrorState error={query.error} onRetry={() => query.refetch()} />;
  if (query.data === undefined) return <Loading label={`Loading ${what}…`} />;
  return <>{children(query.data)}</>;
}

/** Cancel and submit at the bottom of a dialog form. */
export function FormButtons({ onClose, loading, label }: { onClose: () => void; loading: boolean; label: string }) {
  return (
    <div className="flex justify-end gap-2 border-t border-slate-200 pt-4">
      <Button variant="secondary" onClick={onClose}>
        Cancel
      </Button>
      <Button type="submit" loading={loading}>
        {label}
      </Button>
    </div>
  );
}
