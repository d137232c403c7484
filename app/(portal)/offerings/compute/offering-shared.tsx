"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useMemo, useState } from "react";
import { useCaller, useCan } from "@/components/shell/caller-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Select } from "@/components/ui/field";
import { useTRPC } from "@/lib/trpc/client";
import type { AppRouter } from "@/server/api/root";

/** Pieces the compute and disk offering pages share (scope choice, row actions, messages). */

type Outputs = inferRouterOutputs<AppRouter>;
export type ComputeOfferingRow = Outputs["computeOffering"]["list"]["items"][number];
export type DiskOfferingRow = Outputs["diskOffering"]["list"]["items"][number];
export interface OfferingRowBase {
  id: string;
  name: string;
  state: "active" | "inactive";
  domainId: string | null;
  domainName: string;
  canManage: boolean;
}

export const errorMessage = (err: unknown) =>
  err && typeof err === "object" && "message" in err && typeof err.message === "string" ? err.message : "Something went wrong";

export function FormError({ message }: { message: string | null }) {
  return message ? (
    <p role="alert" className="rounded-md bg-red-50 p-2 text-sm text-red-700">
      {message}
    </p>
  ) : null;
}

/** A success or failure line above a table, dismissible. */
export function Notice({ notice, onDismiss }: { notice: { tone: "ok" | "error"; text: string } | null; onDismiss: () => void }) {
  if (!notice) return null;
  return (
    <div
      role={notice.tone === "error" ? "alert" : "status"}
      className={`mb-4 flex items-start justify-between gap-3 rounded-md p-3 text-sm ${notice.tone === "error" ? "bg-red-50 text-red-800" : "bg-emerald-50 text-emerald-800"}`}
    >
      <span>{notice.text}</span>
      <button type="button" className="font-medium underline" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}

export function ScopeBadge({ row }: { row: { domainId: string | null; domainName: string } }) {
  return row.domainId === null ? <Badge tone="blue">Public</Badge> : <Badge tone="gray">{row.domainName}</Badge>;
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

/** "ssd, gpu" → ["ssd", "gpu"] (what the tag inputs register with). */
export const parseTags = (v: unknown): string[] =>
  Array.isArray(v) ? (v as string[]) : String(v ?? "").split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

/** "" (an empty number input) → null, anything else → a number (NaN is reported by the schema). */
export const numberOrNull = (v: unknown) => (v === "" || v === null || v === undefined ? null : Number(v));

export const formatMib = (mib: number) => (mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`);

export interface ScopeOption {
  value: string;
  label: string;
}

/**
 * Where the caller may put a new offering: "Public" (root admin only), then every domain of its
 * subtree from `domain.tree`, labelled with its path.
 */
export function useScopeOptions(enabled: boolean) {
  const trpc = useTRPC();
  const caller = useCaller();
  const tree = useQuery(trpc.domain.tree.queryOptions(undefined, { enabled }));
  const options = useMemo<ScopeOption[]>(() => {
    const nodes = tree.data ?? [];
    const names = new Map(nodes.map((n) => [n.id, n.name]));
    const domainOptions = nodes
      .map((n) => ({
        value: n.id,
        label: n.path
          .split("/")
          .filter(Boolean)
          .map((id) => names.get(id))
          .filter(Boolean)
          .join(" / "),
      }))
      .sort((a, b) => a.label.localeCompare(b.label));
    return caller.accountType === "root_admin" ? [{ value: "", label: "Public (every domain)" }, ...domainOptions] : domainOptions;
  }, [tree.data, caller.accountType]);
  /** The default for a new offering: public for the root admin, the caller's own domain otherwise. */
  const defaultScope = caller.accountType === "root_admin" ? "" : caller.domainId;
  return { options, defaultScope, isLoading: tree.isPending && enabled, error: tree.error };
}

export function ScopeSelect({ id, options, invalid, ...rest }: React.SelectHTMLAttributes<HTMLSelectElement> & { options: ScopeOption[]; invalid?: boolean }) {
  return (
    <Select id={id} invalid={invalid} {...rest}>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </Select>
  );
}

/** The state filter above a table. */
export function StateFilter({ value, onChange }: { value: "" | "active" | "inactive"; onChange: (v: "" | "active" | "inactive") => void }) {
  return (
    <Select aria-label="Filter by state" value={value} onChange={(e) => onChange(e.target.value as "" | "active" | "inactive")} className="w-40">
      <option value="">All states</option>
      <option value="active">Active</option>
      <option value="inactive">Inactive</option>
    </Select>
  );
}

/** Edit, Activate/Deactivate and Delete buttons of a row the caller may manage. */
export function RowActions({
  row,
  onEdit,
  onSetState,
  onDelete,
  busy,
}: {
  row: OfferingRowBase;
  onEdit: () => void;
  onSetState: (state: "active" | "inactive") => void;
  onDelete: () => void;
  busy?: boolean;
}) {
  const mayManage = useCan("offering.manage");
  if (!mayManage) return null;
  if (!row.canManage) {
    return <span className="text-xs text-slate-400" title={row.domainId === null ? "Public offerings are managed by the root administrator" : "Managed by a parent domain's administrator"}>Read-only</span>;
  }
  const next = row.state === "active" ? "inactive" : "active";
  return (
    <div className="flex justify-end gap-1">
      <Button size="sm" variant="ghost" aria-label={`Edit ${row.name}`} onClick={onEdit}>
        Edit
      </Button>
      <Button size="sm" variant="ghost" aria-label={`${next === "active" ? "Activate" : "Deactivate"} ${row.name}`} disabled={busy} onClick={() => onSetState(next)}>
        {next === "active" ? "Activate" : "Deactivate"}
      </Button>
      <Button size="sm" variant="ghost" className="text-red-600 hover:bg-red-50" aria-label={`Delete ${row.name}`} onClick={onDelete}>
        Delete
      </Button>
    </div>
  );
}

/** Asks before deleting; shows the server's refusal (e.g. "in use; deactivate it instead"). */
export function DeleteOfferingDialog({
  row,
  noun,
  onClose,
  onConfirm,
  loading,
  error,
}: {
  row: OfferingRowBase | null;
  noun: string;
  onClose: () => void;
  onConfirm: (row: OfferingRowBase) => void;
  loading: boolean;
  error: string | null;
}) {
  return (
    <ConfirmDialog
      open={row !== null}
      onClose={onClose}
      title={`Delete ${noun}`}
      confirmLabel="Delete"
      danger
      loading={loading}
      error={error}
      onConfirm={() => row && onConfirm(row)}
      message={
        <>
          Delete the {noun} <strong>{row?.name}</strong> ({row?.domainId === null ? "public" : row?.domainName})? An offering still in use cannot
          be deleted; deactivate it instead so nothing new uses it.
        </>
      }
    />
  );
}

/** Which row's dialog is open: small state shared by both pages. */
export function useRowDialogs<T>() {
  const [editing, setEditing] = useState<T | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<T | null>(null);
  return { editing, setEditing, creating, setCreating, deleting, setDeleting };
}

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
